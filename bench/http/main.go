// Command http measures perfplan's http target beside wrk, hey, vegeta and
// h2load, in one run, against nginx on loopback:
//
//   - it installs nginx, hey, wrk and h2load from Debian's packages when
//     they are missing (apt-get, as test.sh installs its servers; with a
//     policy-rc.d that keeps the nginx package from starting its service),
//     and vegeta with `go install github.com/tsenart/vegeta/v12@v12.13.0`
//     into a directory of its own under the system's temporary directory
//     (wrk2, the usual fixed-rate reference, is neither in Debian nor on
//     the Go module proxy: vegeta, an open model too, stands in for it);
//     with -install=false a missing vegeta or h2load skips its rows;
//   - it starts nginx itself, as a child with its own prefix and
//     configuration in a temporary directory: one worker, access log off,
//     the file kept open (open_file_cache),
//     serving a 13-byte file on three free ports of 127.0.0.1: HTTP/1.1,
//     h2c (HTTP/2 with prior knowledge) and h2 over TLS (a self-signed
//     certificate made for the run);
//   - it builds perfplan and runs each generator as a child process, so that
//     every figure of CPU and memory comes from the child's own rusage
//     (os.ProcessState.SysUsage) and is comparable: perfplan through its real
//     binary and a plan (full.hcl, rate.hcl, noop.hcl and h2.hcl beside this
//     file);
//   - HTTP/1.1 at full speed with 32 connections (wrk -c32 -t2, hey -c32,
//     perfplan constant-vus 32);
//   - HTTP/1.1 at a fixed 5,000/s: perfplan constant-arrival-rate from 32
//     workers (up to 256 when iterations come late, rather than drop them),
//     vegeta attack -rate (an open model), hey -q (a rate limit per worker,
//     a closed loop), and perfplan's noop target at that rate (the runner's
//     own cost without HTTP);
//   - HTTP/1.1 at a fixed 20,000/s: perfplan and vegeta, to compare the
//     service time (perfplan's service_time, from each request's actual
//     start, against vegeta's latency, which is measured the same way);
//   - HTTP/2 at full speed with 32 streams: h2load -c1 -m32 (one
//     connection, 32 streams) and perfplan constant-vus 32 (its own h2
//     client), over h2c and over TLS (-tls=false skips TLS), and perfplan
//     with client = "net/http" over h2c, to show what the h2 client gains;
//   - the measurements of a run are interleaved, one of each in turn, and
//     the runs repeat that; a ratio is taken within each run (the two sides
//     measured seconds apart), and printed as the median over the runs with
//     its range (min–max);
//   - it prints the table (medians over the runs), the ratios, and the
//     goals of issue 23, each MET or MISSED; -fail-on-miss makes a missed
//     goal exit with status 3.
//
// Usage:
//
//	go run ./bench/http                            # 3 runs of 14 measurements of 10s: about 10 minutes
//	go run ./bench/http -runs 1 -duration 3s       # a smoke run
//	go run ./bench/http -around '/tmp/quiet.sh sleep'
//	go run ./bench/http -only 'h2c'                # the measurements whose key or row matches
//
// -only REGEX keeps the measurements whose key (hey, perfplan-h2c,
// h2load-tls, ...) or row name matches the regular expression; the ratios
// whose two sides were measured are printed, and goals are judged on them
// alone.
//
// -around starts a command before each measurement, with the measurement's
// length in seconds as its last argument, and waits for it after (on a
// shared machine, a script that pauses other heavy processes for that long).
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/perfplan/perfplan/internal/nettest"
)

//go:embed full.hcl
var fullPlan []byte

//go:embed rate.hcl
var ratePlan []byte

//go:embed noop.hcl
var noopPlan []byte

//go:embed h2.hcl
var h2Plan []byte

// body is the file nginx serves: 13 bytes, as in the reference
// figures.
const body = "Hello, world\n"

type options struct {
	duration   time.Duration
	runs       int
	conns      int
	rate       float64
	highRate   float64
	tls        bool
	around     []string
	only       *regexp.Regexp
	perfplan   string
	install    bool
	failOnMiss bool
}

// exitMissed is the exit status of a run that missed a goal, with
// -fail-on-miss.
const exitMissed = 3

func main() {
	var o options
	var around, only string
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	flag.IntVar(&o.runs, "runs", 3, "runs of every measurement; the table shows their medians")
	flag.IntVar(&o.conns, "conns", 32, "connections (wrk -c, hey -c, perfplan workers)")
	flag.Float64Var(&o.rate, "rate", 5000, "the fixed rate, per second")
	flag.Float64Var(&o.highRate, "high-rate", 20000, "the high fixed rate, per second (perfplan against vegeta)")
	flag.BoolVar(&o.tls, "tls", true, "measure HTTP/2 over TLS too (h2load and perfplan)")
	flag.BoolVar(&o.failOnMiss, "fail-on-miss", false, "exit with status 3 when a goal is missed")
	flag.StringVar(&around, "around", "", "command started around each measurement, given its length in seconds (e.g. '/tmp/quiet.sh sleep')")
	flag.StringVar(&o.perfplan, "perfplan", "", "perfplan binary to measure (default: build ./cmd/perfplan)")
	flag.BoolVar(&o.install, "install", true, "install nginx, hey, wrk and h2load with apt-get, and vegeta with go install, when missing")
	flag.StringVar(&only, "only", "", "measure only the rows whose key or name matches this regular expression (e.g. 'h2c|h2load')")
	flag.Parse()
	o.around = strings.Fields(around)
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/http: -only:", err)
			os.Exit(2)
		}
		o.only = re
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	missed, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/http:", err)
		os.Exit(1)
	}
	if missed > 0 && o.failOnMiss {
		os.Exit(exitMissed)
	}
}

// run measures and prints, and returns how many goals were missed.
func run(ctx context.Context, o options) (int, error) {
	tools, err := ensureTools(o.install)
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "perfplan-bench-http")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	// nginx's worker drops root for nobody, which must read the file.
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	if o.perfplan == "" {
		o.perfplan = filepath.Join(dir, "perfplan")
		fmt.Fprintln(os.Stderr, "== building perfplan")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.perfplan, "./cmd/perfplan")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return 0, fmt.Errorf("build perfplan (run from the repository's root): %w", err)
		}
	}
	for name, src := range map[string][]byte{"full.hcl": fullPlan, "rate.hcl": ratePlan, "noop.hcl": noopPlan, "h2.hcl": h2Plan} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return 0, err
		}
	}
	ngx, err := startNginx(ctx, tools["nginx"], filepath.Join(dir, "nginx"))
	if err != nil {
		return 0, err
	}
	defer ngx.stop()
	b := &bench{o: o, tools: tools, dir: dir, ngx: ngx, results: map[string][]result{}}
	ms := b.measurements()
	if len(ms) == 0 {
		return 0, fmt.Errorf("-only %q matches no measurement", o.only)
	}
	fmt.Fprintf(os.Stderr, "== nginx on %s (h2c %s, TLS %s); %d runs of %d measurements of %s\n", ngx.url, ngx.h2cURL, ngx.tlsURL, o.runs, len(ms), o.duration)
	for r := 1; r <= o.runs; r++ {
		for _, m := range ms {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			res, err := b.measure(ctx, m)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", m.name, err)
			}
			fmt.Fprintf(os.Stderr, "   run %d %-44s %s\n", r, m.name, res)
			b.results[m.key] = append(b.results[m.key], res)
		}
	}
	return b.print(os.Stdout), nil
}

// tool names and the Debian packages that hold them; h2load is optional
// with -install=false (its rows are skipped), the others are not.
var packages = map[string]string{"nginx": "nginx", "hey": "hey", "wrk": "wrk", "h2load": "nghttp2-client"}

// optional lists the tools whose rows are skipped when they are missing
// and -install=false.
var optional = map[string]bool{"h2load": true, "vegeta": true}

// vegetaModule is the vegeta that the bench installs, and vegetaDir where:
// a directory of its own under the system's temporary directory, kept from
// one run to the next.
const vegetaModule = "github.com/tsenart/vegeta/v12@v12.13.0"

func vegetaDir() string { return filepath.Join(os.TempDir(), "perfplan-bench-vegeta-v12.13.0") }

// ensureTools finds nginx, hey, wrk, h2load and vegeta, installing the
// missing ones (or, with install false, leaving out the optional ones).
func ensureTools(install bool) (map[string]string, error) {
	find := func() (map[string]string, []string) {
		found := map[string]string{}
		var missing []string
		for _, name := range slices.Sorted(maps.Keys(packages)) {
			if p, err := exec.LookPath(name); err == nil {
				found[name] = p
			} else if p := "/usr/sbin/" + name; fileExists(p) {
				found[name] = p
			} else if install || !optional[name] {
				missing = append(missing, packages[name])
			}
		}
		return found, missing
	}
	found, missing := find()
	if len(missing) > 0 {
		if !install {
			return nil, fmt.Errorf("missing %s (and -install=false)", strings.Join(missing, ", "))
		}
		if err := aptInstall(missing); err != nil {
			return nil, err
		}
		if found, missing = find(); len(missing) > 0 {
			return nil, fmt.Errorf("still missing after install: %s", strings.Join(missing, ", "))
		}
	}
	if p, err := exec.LookPath("vegeta"); err == nil {
		found["vegeta"] = p
	} else if p := filepath.Join(vegetaDir(), "vegeta"); fileExists(p) {
		found["vegeta"] = p
	} else if install {
		fmt.Fprintf(os.Stderr, "== installing vegeta (go install %s)\n", vegetaModule)
		cmd := exec.Command("go", "install", vegetaModule)
		cmd.Env = append(os.Environ(), "GOBIN="+vegetaDir(), "GOFLAGS=")
		cmd.Dir = os.TempDir() // outside this module, whose go.mod does not list it
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go install %s: %w", vegetaModule, err)
		}
		found["vegeta"] = p
	}
	return found, nil
}

// aptInstall installs Debian packages.
func aptInstall(pkgs []string) error {
	fmt.Fprintf(os.Stderr, "== installing %s (apt-get)\n", strings.Join(pkgs, " "))
	// policy-rc.d keeps the nginx package from starting its service: the
	// bench runs its own nginx.
	const script = `set -e
created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created=1
fi
trap '[ -z "$created" ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null`
	args := append([]string{"sh", "-c", script, "sh"}, pkgs...)
	if os.Geteuid() != 0 {
		args = append([]string{"sudo"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("install %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// nginx is the bench's own nginx.
type nginx struct {
	cmd *exec.Cmd
	// url serves HTTP/1.1, h2cURL h2c (HTTP/2 with prior knowledge only)
	// and tlsURL HTTP/2 or HTTP/1.1 over TLS (ALPN), with the certificate
	// in caFile, which signs itself.
	url, h2cURL, tlsURL, caFile string
}

const nginxConf = `# perfplan bench/http: one worker, loopback only, its own prefix.
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  # Keep connections for the whole measurement, so that each generator's
  # cost per request is measured, not its reconnections.
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  # Keep the file open: without the cache, each request's open, fstat
  # and close made nginx's one worker the ceiling of the HTTP/2 rows
  # (h2load reached 1.48x hey's HTTP/1.1 req/s, with it 1.82x), so they
  # measured the server rather than the clients.
  open_file_cache max=16 inactive=300s;
  open_file_cache_valid 300s;
  server {
    listen 127.0.0.1:%[2]d;
    root %[1]s/html;
  }
  server {
    listen 127.0.0.1:%[3]d http2;
    root %[1]s/html;
  }
  server {
    listen 127.0.0.1:%[4]d ssl http2;
    ssl_certificate %[1]s/cert.pem;
    ssl_certificate_key %[1]s/key.pem;
    root %[1]s/html;
  }
}
`

// startNginx starts nginx on three free loopback ports and waits until it
// serves the file.
func startNginx(ctx context.Context, bin, dir string) (*nginx, error) {
	for _, d := range []string{"html", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "html", "index.html"), []byte(body), 0o644); err != nil {
		return nil, err
	}
	if err := writeCert(dir); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, ports[0], ports[1], ports[2]), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	// Its own process group, so that stop reaches the worker too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginx{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d/", ports[0]),
		h2cURL: fmt.Sprintf("http://127.0.0.1:%d/", ports[1]), tlsURL: fmt.Sprintf("https://127.0.0.1:%d/", ports[2]),
		caFile: filepath.Join(dir, "cert.pem")}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == body {
				// The waiter goroutine keeps reaping; stop signals the
				// process.
				go func() { <-exited }()
				return n, nil
			}
			err = fmt.Errorf("status %d, body %q", resp.StatusCode, b)
		}
		select {
		case e := <-exited:
			n.killGroup()
			return nil, fmt.Errorf("nginx exited: %v\n%s", e, stderr.String())
		case <-ctx.Done():
			n.killGroup()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.killGroup()
			return nil, fmt.Errorf("nginx does not serve %s: %v\n%s", n.url, err, stderr.String())
		}
	}
}

// stop asks nginx to quit (SIGQUIT, graceful), and kills its process
// group (master and worker) after two seconds.
func (n *nginx) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	for range 40 {
		// The group is gone once the worker and the master are.
		if syscall.Kill(-n.cmd.Process.Pid, syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.killGroup()
}

// killGroup kills nginx's process group.
func (n *nginx) killGroup() { _ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL) }

// freePorts returns n distinct free ports of 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		p, err := nettest.FreePort()
		if err != nil {
			return nil, err
		}
		if tries > 100 {
			return nil, errors.New("no distinct free ports")
		}
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// writeCert writes cert.pem and key.pem into dir: a self-signed ECDSA
// certificate for 127.0.0.1, valid for a day, which is its own CA (the
// perfplan plan's ca_file).
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "perfplan bench/http"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
