package http

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// bothClients lists the clients that speak HTTP/1.1; the HTTP/1.1 tests run
// with each.
var bothClients = []string{ClientFastHTTP, ClientNetHTTP}

// op returns an op configuration with the given attributes.
func op(name string, attrs map[string]any) targets.OpConfig {
	if attrs == nil {
		attrs = map[string]any{}
	}
	return targets.OpConfig{Name: name, Config: targets.Config{Attrs: attrs}}
}

// tmplOf parses a template as a plan writes it, "/items/${key}".
func tmplOf(s string) targets.TemplateValue {
	var t targets.TemplateValue
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			t.Parts = append(t.Parts, targets.TemplatePart{Text: s})
			break
		}
		if i > 0 {
			t.Parts = append(t.Parts, targets.TemplatePart{Text: s[:i]})
		}
		end := strings.IndexByte(s[i:], '}')
		t.Parts = append(t.Parts, targets.TemplatePart{Field: s[i+2 : i+end]})
		s = s[i+end+1:]
	}
	return t
}

// openTarget builds and opens an http target; it is closed with the test.
func openTarget(t *testing.T, attrs map[string]any, ops ...targets.OpConfig) (*target, error) {
	t.Helper()
	cfg := targets.Config{Attrs: attrs, Ops: ops}
	k := Kind()
	if err := k.Validate(cfg); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, o := range ops {
		if err := k.ValidateOp(cfg, o); err != nil {
			t.Fatalf("ValidateOp %s: %v", o.Name, err)
		}
	}
	tt, err := k.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = tt.Close() })
	return tt.(*target), tt.Open(context.Background())
}

func mustOpen(t *testing.T, attrs map[string]any, ops ...targets.OpConfig) *target {
	t.Helper()
	tg, err := openTarget(t, attrs, ops...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return tg
}

func worker(t *testing.T, tg *target, id int) targets.Worker {
	t.Helper()
	w, err := tg.NewWorker(id)
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	return w
}

func do(w targets.Worker, op int, key uint64, value []byte) error {
	return w.Do(context.Background(), &targets.Request{Op: op, Key: key, Value: value})
}

// classOf returns the class of a failure, or -1.
func classOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return -1
}

func TestKeepAliveReuse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, "hello, world\n")
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client}, op("get", nil))
			var wg sync.WaitGroup
			for id := range 2 {
				w := worker(t, tg, id)
				wg.Go(func() {
					for i := range 50 {
						if err := do(w, 0, uint64(i), nil); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			st := tg.Stats()
			// Two workers need two connections (the probe's is reused).
			if st[statRequests] != 100 || st[statResponses] != 100 || st["status_2xx"] != 100 || st["status_200"] != 100 {
				t.Errorf("counts: %v", st)
			}
			if st[statConnsOpened] > 2 || st[statConnsReused] < 98 || st[statReuseRatio] < 0.98 {
				t.Errorf("connections: opened %v reused %v ratio %v", st[statConnsOpened], st[statConnsReused], st[statReuseRatio])
			}
			if st[statBytesSent] < 100*30 || st[statBytesReceived] < 100*(13+30) {
				t.Errorf("bytes: sent %v received %v", st[statBytesSent], st[statBytesReceived])
			}
		})
		t.Run(client+"/keep_alive=false", func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client, "keep_alive": false}, op("get", nil))
			w := worker(t, tg, 0)
			for i := range 5 {
				if err := do(w, 0, uint64(i), nil); err != nil {
					t.Fatal(err)
				}
			}
			// The probe's connection and one per request.
			if st := tg.Stats(); st[statConnsOpened] != 6 || st[statConnsReused] != 0 {
				t.Errorf("connections: opened %v reused %v", st[statConnsOpened], st[statConnsReused])
			}
		})
	}
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {
		time.Sleep(time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client, "max_connections": int64(1)}, op("get", nil))
			var wg sync.WaitGroup
			for id := range 4 {
				w := worker(t, tg, id)
				wg.Go(func() {
					for i := range 10 {
						if err := do(w, 0, uint64(i), nil); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			// Four workers wait their turns on one connection.
			if st := tg.Stats(); st[statConnsOpened] != 1 || st[statResponses] != 40 {
				t.Errorf("stats %v", st)
			}
		})
	}
}

// caFile writes a TLS test server's certificate as a PEM file.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTP2OverTLS(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	protos := map[string]int{}
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := caFile(t, srv)
	for _, tc := range []struct {
		attrs map[string]any
		proto string
	}{
		{map[string]any{}, "HTTP/2.0"},                                                // ALPN picks h2
		{map[string]any{"protocol": ProtoH2}, "HTTP/2.0"},                             // h2 only, the h2 client
		{map[string]any{"protocol": ProtoH2, "client": ClientNetHTTP}, "HTTP/2.0"},    // h2 only, net/http
		{map[string]any{"protocol": ProtoHTTP1}, "HTTP/1.1"},                          // fasthttp over TLS
		{map[string]any{"protocol": ProtoHTTP1, "client": ClientNetHTTP}, "HTTP/1.1"}, // net/http over TLS
	} {
		tc.attrs["base_url"], tc.attrs["ca_file"] = srv.URL, ca
		tg := mustOpen(t, tc.attrs, op("get", nil))
		w := worker(t, tg, 0)
		mu.Lock()
		clear(protos)
		mu.Unlock()
		for i := range 10 {
			if err := do(w, 0, uint64(i), nil); err != nil {
				t.Fatalf("%v: %v", tc.attrs, err)
			}
		}
		mu.Lock()
		if protos[tc.proto] != 10 {
			t.Errorf("%v: protocols %v, want 10 requests over %s", tc.attrs, protos, tc.proto)
		}
		mu.Unlock()
		if st := tg.Stats(); st[statConnsOpened] != 1 || st["status_200"] != 10 {
			t.Errorf("%v: one connection for the probe and the requests: %v", tc.attrs, st)
		}
	}
}

func TestH2C(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	protos := map[string]int{}
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
	}))
	srv.Config.Protocols = new(nethttp.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	// The default client for h2c is the lean one; net/http when asked.
	for client, want := range map[string]string{ClientAuto: ClientH2, ClientNetHTTP: ClientNetHTTP} {
		tg := mustOpen(t, map[string]any{"base_url": srv.URL, "protocol": ProtoH2C, "client": client}, op("get", nil))
		if tg.cfg.Client != want {
			t.Fatalf("h2c client %q, want %q", tg.cfg.Client, want)
		}
		w := worker(t, tg, 0)
		for i := range 10 {
			if err := do(w, 0, uint64(i), nil); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		if protos["HTTP/2.0"] != 11 || len(protos) != 1 {
			t.Errorf("%s: protocols %v, want 11 requests (probe included) over h2c", want, protos)
		}
		clear(protos)
		mu.Unlock()
		if st := tg.Stats(); st[statConnsOpened] != 1 || st[statConnsReused] != 10 {
			t.Errorf("%s: one connection for the probe and the requests: %v", want, st)
		}
	}
}

func TestTLSVerification(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {}))
	// Not the server's log of each failed handshake.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, client := range []string{ClientFastHTTP, ClientNetHTTP} {
		base := map[string]any{"base_url": srv.URL, "protocol": ProtoHTTP1, "client": client}
		// The self-signed certificate is not trusted: the probe fails, so
		// the run stops before the load (exit 4).
		_, err := openTarget(t, base, op("get", nil))
		if err == nil || classOf(err) != ClassTLS || !strings.Contains(err.Error(), "probe GET "+srv.URL+"/: tls: ") ||
			!strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s: Open = %v, want a TLS failure of the probe", client, err)
		}
		// Without the probe, each request fails and counts as a TLS error.
		noProbe := map[string]any{"probe": false}
		for k, v := range base {
			noProbe[k] = v
		}
		tg := mustOpen(t, noProbe, op("get", nil))
		err = do(worker(t, tg, 0), 0, 1, nil)
		if classOf(err) != ClassTLS || !strings.HasPrefix(err.Error(), "tls: ") {
			t.Errorf("%s: Do = %v, want a TLS failure", client, err)
		}
		if st := tg.Stats(); st[statErrorsTLS] != 1 || st[statConnectionErrors] != 1 || st[statResponses] != 0 {
			t.Errorf("%s: stats %v", client, st)
		}
		// insecure_skip_verify, only when written, accepts it.
		insecure := map[string]any{"insecure_skip_verify": true}
		for k, v := range base {
			insecure[k] = v
		}
		tg = mustOpen(t, insecure, op("get", nil))
		if err := do(worker(t, tg, 0), 0, 1, nil); err != nil {
			t.Errorf("%s: insecure_skip_verify: %v", client, err)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client, "request_timeout": time.Minute},
				op("slow", map[string]any{"path": tmplOf("/slow"), "timeout": 50 * time.Millisecond}),
				op("fast", nil))
			w := worker(t, tg, 0)
			start := time.Now()
			err := do(w, 0, 1, nil)
			if classOf(err) != ClassTimeout || err.Error() != "timeout: no complete response within 50ms" {
				t.Errorf("Do = %v, want a timeout", err)
			}
			if el := time.Since(start); el > 4*time.Second {
				t.Errorf("the timeout took %s", el)
			}
			// The next request gets its response.
			if err := do(w, 1, 1, nil); err != nil {
				t.Errorf("after a timeout: %v", err)
			}
			if st := tg.Stats(); st[statTimeouts] != 1 || st[statRequests] != 2 || st[statResponses] != 1 {
				t.Errorf("stats %v", st)
			}
		})
	}
}

func TestStatusClassification(t *testing.T) {
	t.Parallel()
	var elsewhere sync.WaitGroup
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/elsewhere" {
			elsewhere.Add(1) // never reached: redirects are not followed
			return
		}
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil {
			return // the probe
		}
		if code == 302 {
			nethttp.Redirect(w, r, "/elsewhere", code)
			return
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client},
				op("default", map[string]any{"path": tmplOf("/status/${key}")}),
				op("custom", map[string]any{"path": tmplOf("/status/${key}"), "success": []string{"2xx", "404", "500-502"}}))
			w := worker(t, tg, 0)
			for _, tc := range []struct {
				op   int
				code uint64
				err  string
			}{
				{0, 200, ""}, {0, 204, ""}, {0, 302, ""}, {0, 404, "status: 404 Not Found"},
				{0, 503, "status: 503 Service Unavailable"}, {0, 299, ""}, {0, 599, "status: 599"},
				{1, 404, ""}, {1, 501, ""}, {1, 302, "status: 302 Found"}, {1, 503, "status: 503 Service Unavailable"},
			} {
				err := do(w, tc.op, tc.code, nil)
				got := ""
				if err != nil {
					got = err.Error()
					if classOf(err) != ClassStatus {
						t.Errorf("op %d status %d: class %v", tc.op, tc.code, classOf(err))
					}
				}
				if got != tc.err {
					t.Errorf("op %d status %d: error %q, want %q", tc.op, tc.code, got, tc.err)
				}
			}
			st := tg.Stats()
			want := map[string]float64{
				"status_2xx": 3, "status_3xx": 2, "status_4xx": 2, "status_5xx": 4,
				"status_200": 1, "status_204": 1, "status_299": 1, "status_302": 2, "status_404": 2, "status_501": 1, "status_503": 2, "status_599": 1,
				statErrorsStatus: 5, statResponses: 11, statConnectionErrors: 0,
			}
			for k, v := range want {
				if st[k] != v {
					t.Errorf("%s = %v, want %v", k, st[k], v)
				}
			}
			if _, ok := st["status_500"]; ok {
				t.Error("a status that never came is listed")
			}
		})
	}
}

func TestTemplatesHeadersAndBodies(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, body, a, b, ua, ct string
		length                          int64
	}
	got := make(chan seen, 16)
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, string(b), r.Header.Get("X-A"), r.Header.Get("X-B"), r.Header.Get("User-Agent"),
			r.Header.Get("Content-Type"), r.ContentLength}
		_, _ = w.Write(make([]byte, 100_000)) // read to the end and counted
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			tg := mustOpen(t, map[string]any{"base_url": srv.URL + "/api/", "client": client, "headers": map[string]string{"X-A": "target", "X-B": "target"}},
				op("put", map[string]any{
					"method":  "PUT",
					"path":    tmplOf("/items/${key}?w=${worker}&k=${key}"),
					"headers": map[string]string{"x-b": "op", "Content-Type": "application/json"},
					"body":    tmplOf(`{"k": ${key}, "w": ${worker}, "v": "${value}"}`),
				}),
				op("post", map[string]any{"method": "POST", "path": tmplOf("/fixed"), "body": tmplOf("fixed body"), "headers": map[string]string{"User-Agent": "mine"}}),
				op("random", map[string]any{"method": "POST", "body_size": int64(100)}),
			)
			<-got // the probe
			w := worker(t, tg, 3)
			if err := do(w, 0, 42, []byte("abc")); err != nil {
				t.Fatal(err)
			}
			s := <-got
			want := seen{"PUT", "/api/items/42?w=3&k=42", `{"k": 42, "w": 3, "v": "abc"}`, "target", "op", "perfplan", "application/json", 29}
			if s != want {
				t.Errorf("templated request\n got %+v\nwant %+v", s, want)
			}
			if err := do(w, 1, 7, nil); err != nil {
				t.Fatal(err)
			}
			if s := <-got; s.uri != "/api/fixed" || s.body != "fixed body" || s.ua != "mine" || s.ct != "" {
				t.Errorf("fixed request %+v", s)
			}
			if err := do(w, 2, 7, nil); err != nil {
				t.Fatal(err)
			}
			if s := <-got; s.uri != "/api/" || len(s.body) != 100 || s.length != 100 {
				t.Errorf("random body: %+v", s)
			}
			if st := tg.Stats(); st[statBytesReceived] < 4*100_000 {
				t.Errorf("bytes received %v", st[statBytesReceived])
			}
		})
	}
}

// wantCancelled calls call with a context that is cancelled after wait,
// and fails unless it returns context.Canceled within a minute.
func wantCancelled(t *testing.T, what string, wait time.Duration, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	time.Sleep(wait)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s = %v, want context.Canceled", what, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s ignored its context", what)
	}
}

// wantBodyTooLarge makes n requests of op 0 on w and fails unless each
// is the body error of a response longer than a 1 MiB max_body.
func wantBodyTooLarge(t *testing.T, w targets.Worker, n int) {
	t.Helper()
	for range n {
		err := do(w, 0, 1, nil)
		if classOf(err) != ClassBody || err.Error() != "body: response body longer than max_body (1048576 bytes); the rest is not read" {
			t.Fatalf("Do = %v, want a body error", err)
		}
	}
}

// closedAddr returns an address of 127.0.0.1 that nothing listens on: a
// listener's, closed.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestServerDown(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	for _, client := range bothClients {
		// Down before the run: the probe fails, Open fails (exit 4).
		_, err := openTarget(t, map[string]any{"base_url": "http://" + addr, "client": client}, op("get", nil))
		want := fmt.Sprintf("http: probe GET http://%s/: refused: connection refused by %s", addr, addr)
		if err == nil || err.Error() != want || classOf(err) != ClassRefused {
			t.Errorf("%s: Open = %v, want %q", client, err, want)
		}
	}
	// Down during the run: each request fails, counted.
	srv := httptest.NewServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {}))
	var workers []targets.Worker
	var tgs []*target
	for _, client := range bothClients {
		tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client}, op("get", nil))
		w := worker(t, tg, 0)
		if err := do(w, 0, 1, nil); err != nil {
			t.Fatal(err)
		}
		workers, tgs = append(workers, w), append(tgs, tg)
	}
	srv.CloseClientConnections()
	srv.Close()
	for i, w := range workers {
		for range 3 {
			err := do(w, 0, 1, nil)
			if c := classOf(err); c != ClassRefused && c != ClassReset {
				t.Errorf("%s: after the server went down: %v (class %v)", bothClients[i], err, c)
			}
		}
		if st := tgs[i].Stats(); st[statConnectionErrors] != 3 || st[statRequests] != 4 {
			t.Errorf("%s: stats %v", bothClients[i], st)
		}
	}
}

func TestPhaseTiming(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {}))
	t.Cleanup(srv.Close)
	tg := mustOpen(t, map[string]any{"base_url": srv.URL, "ca_file": caFile(t, srv), "phase_timing": true, "keep_alive": false}, op("get", nil))
	w := worker(t, tg, 0)
	for i := range 5 {
		if err := do(w, 0, uint64(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	st := tg.Stats()
	// The probe's connection is untraced; each request makes its own.
	for _, p := range phases {
		if st[p+phaseCountSuffix] != 5 || !(st[p+"_p50"] > 0) || st[p+"_max"] < st[p+"_p99"] || !(st[p+phaseMeanSuffix] > 0) {
			t.Errorf("%s: count %v mean %v p50 %v p99 %v max %v", p, st[p+phaseCountSuffix], st[p+phaseMeanSuffix], st[p+"_p50"], st[p+"_p99"], st[p+"_max"])
		}
	}
	if _, ok := mustOpen(t, map[string]any{"base_url": srv.URL, "insecure_skip_verify": true}, op("get", nil)).Stats()["ttfb_p99"]; ok {
		t.Error("phase statistics without phase_timing")
	}
}
