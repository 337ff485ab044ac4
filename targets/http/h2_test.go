package http

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// connKey holds a connection's count of requests in flight, in a request's
// context.
type connKey struct{}

// inFlight counts one connection's requests in flight and the most seen.
type inFlight struct{ now, peak atomic.Int64 }

// goH2Server is one of Go's HTTP/2 servers, h2c or over TLS, that allows
// maxStreams streams a connection; it serves:
//
//	/echo        the request's method, URI, body length and X-A header, as
//	             "METHOD URI LEN X-A"
//	/big/N       N zero bytes
//	/status/N    status N
//	/slow        nothing until the request is cancelled (cancelled counts
//	             those)
type goH2Server struct {
	srv       *httptest.Server
	conns     sync.Map // net.Conn → *inFlight
	cancelled atomic.Int64
	tlsCA     string
}

func newGoH2Server(t *testing.T, overTLS bool, maxStreams int) *goH2Server {
	t.Helper()
	s := &goH2Server{}
	s.srv = httptest.NewUnstartedServer(nethttp.HandlerFunc(s.serve))
	s.srv.Config.HTTP2 = &nethttp.HTTP2Config{MaxConcurrentStreams: maxStreams}
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		f := &inFlight{}
		s.conns.Store(c, f)
		return context.WithValue(ctx, connKey{}, f)
	}
	if overTLS {
		s.srv.EnableHTTP2 = true
		s.srv.StartTLS()
		s.tlsCA = caFile(t, s.srv)
	} else {
		s.srv.Config.Protocols = new(nethttp.Protocols)
		s.srv.Config.Protocols.SetUnencryptedHTTP2(true)
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *goH2Server) serve(w nethttp.ResponseWriter, r *nethttp.Request) {
	f := r.Context().Value(connKey{}).(*inFlight)
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	if r.ProtoMajor != 2 {
		w.WriteHeader(nethttp.StatusHTTPVersionNotSupported)
		return
	}
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/echo"):
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d %s", r.Method, r.RequestURI, len(b), r.Header.Get("X-A"))
	case strings.Contains(p, "/big/"):
		n, _ := strconv.Atoi(p[strings.LastIndex(p, "/")+1:])
		w.Header().Set("Content-Length", strconv.Itoa(n))
		buf := make([]byte, 64<<10)
		for n > 0 {
			m, err := w.Write(buf[:min(n, len(buf))])
			if err != nil {
				return
			}
			n -= m
		}
	case strings.Contains(p, "/status/"):
		code, _ := strconv.Atoi(p[strings.LastIndex(p, "/")+1:])
		w.WriteHeader(code)
	case strings.HasSuffix(p, "/slow"):
		<-r.Context().Done()
		s.cancelled.Add(1)
	}
}

// attrs are a target's attributes for the server, with the h2 client.
func (s *goH2Server) attrs(extra map[string]any) map[string]any {
	a := map[string]any{"base_url": s.srv.URL, "protocol": ProtoH2C, "client": ClientH2}
	if s.tlsCA != "" {
		a["protocol"], a["ca_file"] = ProtoH2, s.tlsCA
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// peak is the most requests in flight on any one connection.
func (s *goH2Server) peak() int64 {
	var p int64
	s.conns.Range(func(_, v any) bool { p = max(p, v.(*inFlight).peak.Load()); return true })
	return p
}

// TestH2GoServers runs the h2 client against Go's HTTP/2 servers, h2c and
// over TLS: templated requests with bodies, responses larger than the
// flow-control windows, max_body, timeouts and status errors.
func TestH2GoServers(t *testing.T) {
	t.Parallel()
	for _, overTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", overTLS), func(t *testing.T) {
			t.Parallel()
			s := newGoH2Server(t, overTLS, 100)
			tg := mustOpen(t, s.attrs(map[string]any{"base_url": s.srv.URL + "/api", "headers": map[string]string{"X-A": "target"}, "max_body": int64(16 << 20)}),
				op("put", map[string]any{"method": "PUT", "path": tmplOf("/echo?k=${key}&w=${worker}"), "body": tmplOf(`{"v": "${value}"}`)}),
				op("post", map[string]any{"method": "POST", "path": tmplOf("/echo"), "body_size": int64(100_000), "headers": map[string]string{"x-a": "op"}}),
				op("big", map[string]any{"path": tmplOf("/big/${key}")}),
				op("status", map[string]any{"path": tmplOf("/status/${key}")}),
				op("slow", map[string]any{"path": tmplOf("/slow"), "timeout": 50 * time.Millisecond}),
				op("get", map[string]any{"path": tmplOf("/echo")}),
				op("head", map[string]any{"method": "HEAD", "path": tmplOf("/big/${key}")}))
			w := worker(t, tg, 7)
			for i, tc := range []struct {
				op    int
				key   uint64
				value string
				class Class
			}{
				{0, 42, "abc", -1}, {1, 0, "", -1}, {2, 10 << 20, "", -1}, {2, 20 << 20, "", ClassBody},
				{3, 404, "", ClassStatus}, {3, 204, "", -1}, {4, 0, "", ClassTimeout}, {5, 0, "", -1},
				// A HEAD's content-length over max_body is no body.
				{6, 20 << 20, "", -1},
			} {
				err := do(w, tc.op, tc.key, []byte(tc.value))
				if classOf(err) != tc.class || (tc.class == -1 && err != nil) {
					t.Errorf("request %d (op %s, key %d): %v, want class %v", i, tg.cfg.Ops[tc.op].Name, tc.key, err, tc.class)
				}
				if tc.class == ClassTimeout && err.Error() != "timeout: no complete response within 50ms" {
					t.Errorf("timeout message %q", err)
				}
			}
			st := tg.Stats()
			want := map[string]float64{statRequests: 9, statResponses: 7, "status_200": 5, "status_204": 1, "status_404": 1,
				statErrorsStatus: 1, statErrorsBody: 1, statTimeouts: 1, statConnsOpened: 1, statConnsReused: 9}
			for k, v := range want {
				if st[k] != v {
					t.Errorf("%s = %v, want %v", k, st[k], v)
				}
			}
			if st[statBytesReceived] < 10<<20 || st[statBytesReceived] > 40<<20 || st[statBytesSent] < 100_000 {
				t.Errorf("bytes: received %v sent %v", st[statBytesReceived], st[statBytesSent])
			}
			// The timed-out request was reset: the server saw it end.
			deadline := time.Now().Add(10 * time.Second)
			for s.cancelled.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if s.cancelled.Load() != 1 {
				t.Error("the server never saw the timed-out request cancelled")
			}
		})
	}
}

// TestH2EchoedRequests: what the server receives from the h2 client: the
// method, the templated path after base_url's, the body and the headers.
func TestH2EchoedRequests(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- fmt.Sprintf("%s %s %s %q a=%s b=%s ua=%s ct=%s len=%d", r.Proto, r.Method, r.RequestURI, b,
			r.Header.Get("X-A"), r.Header.Get("X-B"), r.Header.Get("User-Agent"), r.Header.Get("Content-Type"), r.ContentLength)
	}))
	srv.Config.Protocols = new(nethttp.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	tg := mustOpen(t, map[string]any{"base_url": srv.URL + "/api/", "protocol": ProtoH2C, "headers": map[string]string{"X-A": "target", "X-B": "target", "Keep-Alive": "300"}},
		op("put", map[string]any{"method": "PUT", "path": tmplOf("/items/${key}?w=${worker}"),
			"headers": map[string]string{"x-b": "op", "Content-Type": "application/json"}, "body": tmplOf(`{"k": ${key}, "v": "${value}"}`)}),
		op("post", map[string]any{"method": "POST", "path": tmplOf("/fixed"), "body": tmplOf(""), "headers": map[string]string{"User-Agent": "mine"}}))
	if tg.cfg.Client != ClientH2 {
		t.Fatalf("client %q", tg.cfg.Client)
	}
	if s := <-got; s != `HTTP/2.0 GET /api "" a=target b=target ua=perfplan ct= len=0` {
		t.Errorf("probe: %s", s)
	}
	w := worker(t, tg, 3)
	for i, want := range []string{
		`HTTP/2.0 PUT /api/items/42?w=3 "{\"k\": 42, \"v\": \"abc\"}" a=target b=op ua=perfplan ct=application/json len=21`,
		`HTTP/2.0 PUT /api/items/43?w=3 "{\"k\": 43, \"v\": \"abcdef\"}" a=target b=op ua=perfplan ct=application/json len=24`,
		`HTTP/2.0 POST /api/fixed "" a=target b=target ua=mine ct= len=0`,
	} {
		o, key, value := 0, uint64(42+i), "abc"
		if i == 1 {
			value = "abcdef"
		}
		if i == 2 {
			o = 1
		}
		if err := do(w, o, key, []byte(value)); err != nil {
			t.Fatal(err)
		}
		if s := <-got; s != want {
			t.Errorf("request %d\n got %s\nwant %s", i, s, want)
		}
	}
}

// TestH2MaxConcurrentStreams: more workers than the server's
// SETTINGS_MAX_CONCURRENT_STREAMS never exceed it on a connection; the
// client opens more connections, at most one per worker.
func TestH2MaxConcurrentStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		maxConns int64
		minConns float64
	}{{"unbounded", 0, 3}, {"max_connections=1", 1, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newGoH2Server(t, false, 3)
			tg := mustOpen(t, s.attrs(map[string]any{"max_connections": tc.maxConns, "request_timeout": time.Minute}),
				op("big", map[string]any{"path": tmplOf("/big/${key}")}))
			var wg sync.WaitGroup
			for id := range 10 {
				w := worker(t, tg, id)
				wg.Go(func() {
					for i := range 20 {
						if err := do(w, 0, uint64(1000+i), nil); err != nil {
							t.Errorf("worker %d: %v", id, err)
							return
						}
					}
				})
			}
			wg.Wait()
			st := tg.Stats()
			if st[statResponses] != 200 || st[statConnsOpened] < tc.minConns || st[statConnsOpened] > 10 {
				t.Errorf("responses %v, connections %v", st[statResponses], st[statConnsOpened])
			}
			if tc.maxConns == 1 && st[statConnsOpened] != 1 {
				t.Errorf("max_connections = 1: %v connections", st[statConnsOpened])
			}
			if p := s.peak(); p > 3 {
				t.Errorf("%d streams in flight on a connection, the server allows 3", p)
			}
		})
	}
}

// TestH2Config: which client auto picks, and the h2 client's validation.
func TestH2Config(t *testing.T) {
	t.Parallel()
	k := Kind()
	for _, tc := range []struct {
		attrs  map[string]any
		client string
	}{
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C}, ClientH2},
		{map[string]any{"base_url": "https://127.0.0.1", "protocol": ProtoH2}, ClientH2},
		{map[string]any{"base_url": "https://127.0.0.1"}, ClientNetHTTP}, // ALPN may pick HTTP/1.1
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C, "phase_timing": true}, ClientNetHTTP},
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C, "keep_alive": false}, ClientNetHTTP},
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C, "client": ClientNetHTTP}, ClientNetHTTP},
		{map[string]any{"base_url": "http://127.0.0.1", "keep_alive": false}, ClientFastHTTP},
	} {
		c, err := parseConfig(targets.Config{Attrs: tc.attrs})
		if err != nil || c.Client != tc.client {
			t.Errorf("%v: client %q (%v), want %q", tc.attrs, c.Client, err, tc.client)
		}
	}
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"base_url": "http://127.0.0.1", "client": ClientH2}, `client: "h2" speaks HTTP/2 only`},
		{map[string]any{"base_url": "https://127.0.0.1", "client": ClientH2}, `client: "h2" speaks HTTP/2 only`},
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C, "client": ClientH2, "phase_timing": true}, "phase_timing: needs the net/http client"},
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2C, "client": ClientH2, "keep_alive": false}, "keep_alive: false needs the net/http client"},
	} {
		if got := attrErrors(k.Validate(targets.Config{Attrs: tc.attrs})); !strings.Contains(got, tc.want) {
			t.Errorf("%v: errors %q, want %q", tc.attrs, got, tc.want)
		}
	}
}

// TestH2ALPN: a server that does not choose h2 by ALPN (Go's refuses the
// handshake when it has no protocol in common; this one ignores ALPN and
// speaks HTTP/1.1) fails the h2 client's probe with a message that says
// so.
func TestH2ALPN(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {}))
	srv.TLS = &tls.Config{NextProtos: []string{}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, err := openTarget(t, map[string]any{"base_url": srv.URL, "protocol": ProtoH2, "ca_file": caFile(t, srv)}, op("get", nil))
	if err == nil || !strings.Contains(err.Error(), `error: the server chose no protocol by ALPN, not h2 (HTTP/2)`) {
		t.Errorf("Open = %v, want an ALPN failure", err)
	}
}

// TestH2Cancel: a request in flight when the run's context is cancelled
// ends at once with the context's error, and its stream is reset.
func TestH2Cancel(t *testing.T) {
	t.Parallel()
	s := newGoH2Server(t, false, 100)
	tg := mustOpen(t, s.attrs(map[string]any{"request_timeout": time.Hour}), op("slow", map[string]any{"path": tmplOf("/slow")}))
	w := worker(t, tg, 0)
	wantCancelled(t, "Do", 20*time.Millisecond, func(ctx context.Context) error { return w.Do(ctx, &targets.Request{}) })
	deadline := time.Now().Add(10 * time.Second)
	for s.cancelled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s.cancelled.Load() != 1 {
		t.Error("the server never saw the request cancelled")
	}
	if st := tg.Stats(); st[statRequests] != 1 || st[statResponses] != 0 || st[statTimeouts] != 0 {
		t.Errorf("stats %v", st)
	}
}

// TestH2ConnectionErrors: connection failures of the h2 client are
// classified as the other clients' are: refused, TLS (an unverified
// certificate, and no client certificate for a server that requires
// one), and a server gone during the run.
func TestH2ConnectionErrors(t *testing.T) {
	t.Parallel()
	addr := closedAddr(t)
	_, err := openTarget(t, map[string]any{"base_url": "http://" + addr, "protocol": ProtoH2C}, op("get", nil))
	if want := fmt.Sprintf("http: probe GET http://%s/: refused: connection refused by %s", addr, addr); err == nil || err.Error() != want {
		t.Errorf("nothing listens: Open = %v, want %q", err, want)
	}
	s := newGoH2Server(t, true, 100)
	tg := mustOpen(t, map[string]any{"base_url": s.srv.URL, "protocol": ProtoH2, "probe": false}, op("get", nil))
	err = do(worker(t, tg, 0), 0, 1, nil)
	if classOf(err) != ClassTLS || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unverified certificate: %v", err)
	}
	if st := tg.Stats(); st[statErrorsTLS] != 1 || st[statConnectionErrors] != 1 {
		t.Errorf("stats %v", st)
	}
	// Gone during the run: each request fails as a connection error.
	tg = mustOpen(t, s.attrs(nil), op("get", nil))
	w := worker(t, tg, 0)
	if err := do(w, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
	for range 3 {
		if c := classOf(do(w, 0, 1, nil)); c != ClassRefused && c != ClassReset {
			t.Errorf("after the server went down: class %v", c)
		}
	}
	if st := tg.Stats(); st[statConnectionErrors] != 3 || st[statRequests] != 4 {
		t.Errorf("stats %v", st)
	}
}
