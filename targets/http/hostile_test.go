package http

import (
	"bufio"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// rawServer serves each connection with serve, on 127.0.0.1; it stops
// with the test. conns counts the connections accepted.
func rawServer(t testing.TB, serve func(c net.Conn, r *bufio.Reader)) (url string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Go(func() {
				defer c.Close()
				go func() { <-done; _ = c.Close() }()
				serve(c, bufio.NewReader(c))
			})
		}
	})
	return "http://" + ln.Addr().String(), conns
}

// readRequest reads one request's headers (the tests send no bodies).
func readRequest(r *bufio.Reader) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" || line == "\n" {
			return nil
		}
	}
}

// zeros streams zeros to c until it fails, at most n bytes (n < 0: no end).
func zeros(c io.Writer, n int64) {
	buf := make([]byte, 32<<10)
	for n != 0 {
		m := int64(len(buf))
		if n > 0 && n < m {
			m = n
		}
		if _, err := c.Write(buf[:m]); err != nil {
			return
		}
		if n > 0 {
			n -= m
		}
	}
}

// TestHostileBodies: bodies longer than max_body, however the server
// sends them, fail the request as ClassBody without being read to their
// end, and the connection goes on working for the next request.
func TestHostileBodies(t *testing.T) {
	t.Parallel()
	servers := map[string]func(c net.Conn, r *bufio.Reader){
		// 1 GiB announced, zeros streamed.
		"content-length 1GiB": func(c net.Conn, r *bufio.Reader) {
			for readRequest(r) == nil {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
				zeros(c, 1<<30)
			}
		},
		// Chunks of 32 KiB without end.
		"endless chunked": func(c net.Conn, r *bufio.Reader) {
			if readRequest(r) != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			chunk := []byte("8000\r\n" + strings.Repeat("\x00", 0x8000) + "\r\n")
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		},
		// No length: the body would end with the connection.
		"endless until close": func(c net.Conn, r *bufio.Reader) {
			if readRequest(r) != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n")
			zeros(c, -1)
		},
		// A chunk that announces 2^48 bytes.
		"huge chunk": func(c net.Conn, r *bufio.Reader) {
			if readRequest(r) != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n")
			zeros(c, -1)
		},
	}
	for name, serve := range servers {
		for _, client := range bothClients {
			t.Run(name+"/"+client, func(t *testing.T) {
				t.Parallel()
				url, _ := rawServer(t, serve)
				// The probe gets the same answer, and passes.
				tg := mustOpen(t, map[string]any{"base_url": url, "client": client,
					"max_body": int64(1 << 20), "request_timeout": time.Minute}, op("get", nil))
				w := worker(t, tg, 0)
				wantBodyTooLarge(t, w, 2)
				st := tg.Stats()
				if st[statErrorsBody] != 2 || st[statResponses] != 0 || st["status_2xx"] != 0 || st[statRequests] != 2 {
					t.Errorf("stats: errors_body %v responses %v status_2xx %v requests %v, want 2 0 0 2",
						st[statErrorsBody], st[statResponses], st["status_2xx"], st[statRequests])
				}
				// Far less than the body was read: the connection was
				// closed at the limit.
				if st[statBytesReceived] > 64<<20 {
					t.Errorf("bytes_received %v: the body was read past max_body", st[statBytesReceived])
				}
			})
		}
	}
}

// TestMaxBodyBoundary: a body of exactly max_body bytes passes, one byte
// more fails, whether it has a length or comes in chunks; the connection
// of a body that passed is kept.
func TestMaxBodyBoundary(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n := 100
		if r.URL.Path == "/101" {
			n = 101
		}
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		for i := range n {
			_, _ = w.Write([]byte{'a'})
			if i%10 == 0 {
				w.(nethttp.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": client, "max_body": int64(100)},
				op("100", map[string]any{"path": tmplOf("/100")}),
				op("101", map[string]any{"path": tmplOf("/101")}),
				op("100c", map[string]any{"path": tmplOf("/100?chunked=1")}),
				op("101c", map[string]any{"path": tmplOf("/101?chunked=1")}))
			w := worker(t, tg, 0)
			for i, want := range []Class{-1, ClassBody, -1, ClassBody, -1, -1} {
				o := []int{0, 1, 2, 3, 0, 2}[i]
				if err := do(w, o, 1, nil); classOf(err) != want || (want == -1 && err != nil) {
					t.Errorf("op %s: %v, want class %v", tg.cfg.Ops[o].Name, err, want)
				}
			}
			if st := tg.Stats(); st[statResponses] != 4 || st[statErrorsBody] != 2 {
				t.Errorf("stats %v", st)
			}
		})
	}
}

// TestSlowBody: request_timeout bounds the body too, and a body that times
// out counts the same in both clients: a timeout, not a response.
func TestSlowBody(t *testing.T) {
	t.Parallel()
	url, _ := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		if readRequest(r) != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab")
		_, _ = io.Copy(io.Discard, r) // until the client gives up
	})
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			tg := mustOpen(t, map[string]any{"base_url": url, "client": client, "probe": false},
				op("get", map[string]any{"timeout": 50 * time.Millisecond}))
			err := do(worker(t, tg, 0), 0, 1, nil)
			if classOf(err) != ClassTimeout {
				t.Fatalf("Do = %v, want a timeout", err)
			}
			st := tg.Stats()
			if st[statTimeouts] != 1 || st[statResponses] != 0 || st["status_2xx"] != 0 {
				t.Errorf("timeouts %v responses %v status_2xx %v, want 1 0 0", st[statTimeouts], st[statResponses], st["status_2xx"])
			}
		})
	}
}

// TestCloseAfterEachResponse: a server that closes every connection after
// its response, without Connection: close, makes no error: a request
// that meets a kept-alive connection the server closed is sent again on
// a fresh one.
func TestCloseAfterEachResponse(t *testing.T) {
	t.Parallel()
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			url, conns := rawServer(t, func(c net.Conn, r *bufio.Reader) {
				if readRequest(r) != nil {
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			})
			tg := mustOpen(t, map[string]any{"base_url": url, "client": client}, op("get", nil))
			var wg sync.WaitGroup
			var failed atomic.Int64
			for id := range 4 {
				w := worker(t, tg, id)
				wg.Go(func() {
					for i := range 100 {
						if err := do(w, 0, uint64(i), nil); err != nil {
							failed.Add(1)
							t.Errorf("worker %d request %d: %v", id, i, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if st := tg.Stats(); st[statResponses] != 400 || failed.Load() != 0 {
				t.Errorf("responses %v, failures %d", st[statResponses], failed.Load())
			}
			if conns.Load() < 400 {
				t.Errorf("%d connections for 400 requests", conns.Load())
			}
		})
	}
}

// TestNoRetryOnFreshConnection: a server that closes every connection
// without answering fails the request (a fresh connection that fails is
// the server's fault), after one connection per request.
func TestNoRetryOnFreshConnection(t *testing.T) {
	t.Parallel()
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			url, conns := rawServer(t, func(c net.Conn, r *bufio.Reader) { _ = readRequest(r) })
			tg := mustOpen(t, map[string]any{"base_url": url, "client": client, "probe": false}, op("get", nil))
			w := worker(t, tg, 0)
			for range 3 {
				if err := do(w, 0, 1, nil); classOf(err) != ClassReset {
					t.Fatalf("Do = %v, want a reset", err)
				}
			}
			// net/http sends a request again once on a new connection
			// when it failed before any byte of a response.
			if n := conns.Load(); n > 6 {
				t.Errorf("%d connections for 3 requests", n)
			}
		})
	}
}

// TestProbeContext: the probe of a server that never answers ends when
// the run's context is cancelled, not at request_timeout, with either
// client.
func TestProbeContext(t *testing.T) {
	t.Parallel()
	url, _ := rawServer(t, func(c net.Conn, r *bufio.Reader) { _, _ = io.Copy(io.Discard, r) })
	for _, client := range bothClients {
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			k := Kind()
			tt, err := k.New(targets.Config{Attrs: map[string]any{"base_url": url, "client": client, "request_timeout": time.Hour}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tt.Close() })
			wantCancelled(t, "Open", 0, tt.Open)
		})
	}
}
