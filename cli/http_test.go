package cli_test

import (
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/cli"
)

// TestHTTPTargetListed checks that perfplan targets lists the http kind with
// its op arguments and statistics.
func TestHTTPTargetListed(t *testing.T) {
	t.Parallel()
	r := run(t, "targets")
	if strings.Contains(r.stdout, "target.status_404") {
		t.Errorf("the status codes are listed one by one:\n%s", r.stdout)
	}
	for _, want := range []string{"\nhttp ", "ops: any name, each op block configured by weight, method, path,", "target.connection_errors", "target.status_NNN (62 of them, 100–511)", "target.status_{1,2,3,4,5}xx"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d; stdout lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
}

// TestHTTPExample runs examples/http.hcl through the real binary against a
// local server that answers / and 404s the items, as Python's would.
func TestHTTPExample(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path != "/" {
			nethttp.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("<html>index</html>"))
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "run.json")
	r := run(t, "run", "--quiet", "--duration-scale", "0.2", "--out", "json="+out,
		"../examples/http.hcl", "--var", "base_url="+srv.URL)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	d := readRunDoc(t, out)
	st := d.Plans[0].Scenarios[0].TargetStats
	if st["status_200"] == 0 || st["status_404"] == 0 || st["requests"] != st["status_200"]+st["status_404"] || st["connections_reused"] == 0 {
		t.Errorf("target statistics %v", st)
	}
}

// TestHTTPServerDown checks that a server that is down stops the run before
// the load, with exit 4 and the probe's failure.
func TestHTTPServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	r := run(t, "run", "--quiet", "../examples/http.hcl", "--var", "base_url=http://"+addr)
	if r.code != cli.ExitTarget || !strings.Contains(r.stderr, "probe GET http://"+addr+"/: refused: connection refused by "+addr) {
		t.Errorf("exit %d, want %d with the probe's failure\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitTarget, r.stdout, r.stderr)
	}
}

// TestHTTPDiagnostics checks the load-time diagnostics of a broken http
// plan: an invalid URL, an unknown method, a template naming an unknown
// field and a status list that is not codes or ranges, each at its line.
func TestHTTPDiagnostics(t *testing.T) {
	t.Parallel()
	r := run(t, "validate", "testdata/http-invalid.hcl")
	if r.code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, cli.ExitUsage, r.stderr)
	}
	for _, want := range []string{
		"testdata/http-invalid.hcl:2,14", "base_url: must start with http:// or https://",
		"testdata/http-invalid.hcl:12,14", `The value of "method" must be one of "GET",`,
		"testdata/http-invalid.hcl:15,22", `"id" is not a field of the template "path". Its fields are "key", "worker".`,
		"testdata/http-invalid.hcl:18,15", `success: "ok" is not a status code (100 to 599), a class ("2xx") or a range ("200-299")`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
