package http

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/perfplan/perfplan/targets"
)

// h2Attrs are a target's attributes for a frame server, with the h2
// client.
func h2Attrs(url string, extra map[string]any) map[string]any {
	a := map[string]any{"base_url": url, "protocol": ProtoH2C, "client": ClientH2}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// runWorkers runs n workers of tg, each making reqs requests of op o, and
// returns the failures.
func runWorkers(t *testing.T, tg *target, n, reqs, o int) []error {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for id := range n {
		w := worker(t, tg, id)
		wg.Go(func() {
			for i := range reqs {
				if err := do(w, o, uint64(i), nil); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// TestH2GoAway: a server that answers five requests a connection, then
// sends GOAWAY with the last of them and closes: the streams it did not
// process are sent again on a new connection, GET and POST alike (GOAWAY
// says they were not processed), and no request fails.
func TestH2GoAway(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			var processed atomic.Int64
			url := frameServer(t, nil, false, func(fc *frameConn) {
				var last uint32
				for n := 0; ; n++ {
					req, err := fc.next()
					if err != nil {
						return
					}
					if n == 5 {
						_ = fc.fr.WriteGoAway(last, http2.ErrCodeNo, nil)
						_ = fc.flush()
						time.Sleep(10 * time.Millisecond)
						return
					}
					processed.Add(1)
					last = req.id
					if fc.respond(req.id, okBlock, []byte("ok")) != nil || fc.flush() != nil {
						return
					}
				}
			})
			attrs := map[string]any{}
			if method == "POST" {
				attrs = map[string]any{"method": "POST", "body": tmplOf("x")}
			}
			tg := mustOpen(t, h2Attrs(url, nil), op("o", attrs))
			errs := runWorkers(t, tg, 4, 25, 0)
			for _, err := range errs[:min(len(errs), 3)] {
				t.Error(err)
			}
			st := tg.Stats()
			if st[statResponses] != 100 || processed.Load() != 101 || st[statConnsOpened] < 20 {
				t.Errorf("responses %v, processed %d, connections %v: want 100, 101 (the probe's too), at least 20",
					st[statResponses], processed.Load(), st[statConnsOpened])
			}
		})
	}
}

// TestH2RefusedStream: streams the server refuses (RST_STREAM
// REFUSED_STREAM) are sent again; a server that refuses every stream
// fails the request after a few tries, as a reset.
func TestH2RefusedStream(t *testing.T) {
	t.Parallel()
	var refused atomic.Int64
	url := frameServer(t, nil, true, func(fc *frameConn) {
		for n := 0; ; n++ {
			req, err := fc.next()
			if err != nil {
				return
			}
			if strings.HasPrefix(req.path, "/never") || n%2 == 1 {
				refused.Add(1)
				err = fc.fr.WriteRSTStream(req.id, http2.ErrCodeRefusedStream)
			} else {
				err = fc.respond(req.id, okBlock, []byte("ok"))
			}
			if err != nil || fc.flush() != nil {
				return
			}
		}
	})
	tg := mustOpen(t, h2Attrs(url, nil), op("get", nil), op("never", map[string]any{"path": tmplOf("/never")}))
	w := worker(t, tg, 0)
	for i := range 20 {
		if err := do(w, 0, uint64(i), nil); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err := do(w, 1, 0, nil)
	if classOf(err) != ClassReset || err.Error() != "reset: the server reset the HTTP/2 stream (REFUSED_STREAM)" {
		t.Errorf("a stream always refused: %v", err)
	}
	if st := tg.Stats(); st[statResponses] != 20 || st[statErrorsReset] != 1 || st[statConnsOpened] != 1 || refused.Load() != 20+maxH2Retries+1 {
		t.Errorf("stats %v, %d refused", st, refused.Load())
	}
}

// TestH2NoWindowUpdate: a server that never opens its windows
// (WINDOW_UPDATE) gets no more of a request body than they allow — the
// stream's (SETTINGS_INITIAL_WINDOW_SIZE), or the connection's (65,535
// bytes) — and the request times out.
func TestH2NoWindowUpdate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings []http2.Setting
		body     int64
		want     int
	}{
		{"stream window", []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 100}}, 1000, 100},
		{"connection window", []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 1 << 20}}, 100_000, 65535},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan int, 1)
			url := frameServer(t, tc.settings, false, func(fc *frameConn) {
				n := 0
				for {
					f, err := fc.fr.ReadFrame()
					if err != nil {
						got <- n
						return
					}
					switch f := f.(type) {
					case *http2.DataFrame:
						n += len(f.Data())
					case *http2.RSTStreamFrame:
						got <- n
						return
					}
				}
			})
			tg := mustOpen(t, h2Attrs(url, map[string]any{"probe": false}),
				op("post", map[string]any{"method": "POST", "body_size": tc.body, "timeout": 100 * time.Millisecond}))
			err := do(worker(t, tg, 0), 0, 0, nil)
			if classOf(err) != ClassTimeout {
				t.Errorf("Do = %v, want a timeout", err)
			}
			select {
			case n := <-got:
				if n != tc.want {
					t.Errorf("the server received %d body bytes, its window allowed %d", n, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Error("the stream was not reset")
			}
		})
	}
}

// TestH2HostileBodies: a response body longer than max_body, endless or
// announced, fails the request as ClassBody once max_body is passed; the
// stream is reset and the connection serves the next request.
func TestH2HostileBodies(t *testing.T) {
	t.Parallel()
	for _, announced := range []bool{false, true} {
		t.Run(map[bool]string{false: "endless DATA", true: "content-length 1GiB"}[announced], func(t *testing.T) {
			t.Parallel()
			block := headerBlock(":status", "200")
			if announced {
				block = headerBlock(":status", "200", "content-length", "1073741824")
			}
			url := frameServer(t, nil, false, func(fc *frameConn) {
				// Reads in the background: a reset stops the body.
				reqs := make(chan uint32, 16)
				var reset sync.Map
				go func() {
					defer close(reqs)
					for {
						f, err := fc.fr.ReadFrame()
						if err != nil {
							return
						}
						switch f := f.(type) {
						case *http2.HeadersFrame:
							reqs <- f.StreamID
						case *http2.RSTStreamFrame:
							reset.Store(f.StreamID, true)
						}
					}
				}()
				zeros := make([]byte, 16<<10)
				for id := range reqs {
					if fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndHeaders: true}) != nil {
						return
					}
					for {
						if _, ok := reset.Load(id); ok {
							break
						}
						if fc.fr.WriteData(id, false, zeros) != nil || fc.flush() != nil {
							return
						}
					}
				}
			})
			tg := mustOpen(t, h2Attrs(url, map[string]any{"probe": false, "max_body": int64(1 << 20)}), op("get", nil))
			w := worker(t, tg, 0)
			wantBodyTooLarge(t, w, 2)
			st := tg.Stats()
			if st[statErrorsBody] != 2 || st[statResponses] != 0 || st[statConnsOpened] != 1 || st[statBytesReceived] > 64<<20 {
				t.Errorf("stats %v", st)
			}
		})
	}
}

// TestH2CloseMidResponse: a server that closes the connection within a
// response fails it as a reset; the next request gets a new connection.
func TestH2CloseMidResponse(t *testing.T) {
	t.Parallel()
	url := frameServer(t, nil, false, func(fc *frameConn) {
		req, err := fc.next()
		if err != nil {
			return
		}
		_ = fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: req.id, BlockFragment: headerBlock(":status", "200", "content-length", "100"), EndHeaders: true})
		_ = fc.fr.WriteData(req.id, false, []byte("half"))
		_ = fc.flush()
	})
	tg := mustOpen(t, h2Attrs(url, map[string]any{"probe": false}), op("get", nil))
	w := worker(t, tg, 0)
	for range 3 {
		err := do(w, 0, 1, nil)
		if classOf(err) != ClassReset || err.Error() != "reset: the server closed the connection before the response ended" {
			t.Errorf("Do = %v, want a reset", err)
		}
	}
	if st := tg.Stats(); st[statConnsOpened] != 3 || st[statErrorsReset] != 3 {
		t.Errorf("stats %v", st)
	}
}

// TestH2Garbage: a server that does not speak HTTP/2 fails the probe with
// a message that says so; one that sends garbage after its SETTINGS fails
// the request.
func TestH2Garbage(t *testing.T) {
	t.Parallel()
	url, _ := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		_, _ = io.Copy(io.Discard, r)
	})
	_, err := openTarget(t, h2Attrs(url, nil), op("get", nil))
	if err == nil || !strings.Contains(err.Error(), "error: connect to "+strings.TrimPrefix(url, "http://")+": the server did not start HTTP/2") {
		t.Errorf("Open = %v, want a failure to start HTTP/2", err)
	}
	url = frameServer(t, nil, false, func(fc *frameConn) {
		if _, err := fc.next(); err != nil {
			return
		}
		_, _ = fc.c.Write(bytes.Repeat([]byte{0xff}, 64))
		time.Sleep(100 * time.Millisecond)
	})
	tg := mustOpen(t, h2Attrs(url, map[string]any{"probe": false}), op("get", nil))
	err = do(worker(t, tg, 0), 0, 1, nil)
	if c := classOf(err); c != ClassOther || !strings.Contains(err.Error(), "frame too large") {
		t.Errorf("Do = %v (class %v), want an error of the frame", err, c)
	}
}

// TestH2StreamIDs: a connection whose stream IDs ran out takes no new
// stream; the next ones go on a new connection.
func TestH2StreamIDs(t *testing.T) {
	t.Parallel()
	url := frameServer(t, nil, false, serveOK)
	tg := mustOpen(t, h2Attrs(url, nil), op("get", nil))
	tg.client.(*h2Client).maxStreamID = 7 // streams 1 (the probe), 3, 5, 7
	w := worker(t, tg, 0)
	for i := range 10 {
		if err := do(w, 0, uint64(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	// 3 requests on the probe's connection, 4 on the next, 3 on a third.
	if st := tg.Stats(); st[statConnsOpened] != 3 || st[statResponses] != 10 {
		t.Errorf("stats %v", st)
	}
}

// TestH2Frames: interim (1xx) headers, a header block in CONTINUATION
// frames, padded DATA, trailers, a server's PING and SETTINGS, which the
// client acknowledges.
func TestH2Frames(t *testing.T) {
	t.Parallel()
	var acks, pongs atomic.Int64
	big := strings.Repeat("v", 40_000) // over a frame: CONTINUATION
	url := frameServer(t, nil, false, func(fc *frameConn) {
		for {
			f, err := fc.fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if f.IsAck() {
					acks.Add(1)
				} else {
					_ = fc.fr.WriteSettingsAck()
				}
			case *http2.PingFrame:
				if f.IsAck() && f.Data == [8]byte{1, 2, 3} {
					pongs.Add(1)
				}
			case *http2.HeadersFrame:
				id := f.StreamID
				_ = fc.fr.WritePing(false, [8]byte{1, 2, 3})
				_ = fc.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 50})
				_ = fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: headerBlock(":status", "103", "link", "</a>"), EndHeaders: true})
				block := headerBlock(":status", "201", "x-big", big)
				_ = fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:10], EndHeaders: false})
				_ = fc.fr.WriteContinuation(id, false, block[10:16_000])
				_ = fc.fr.WriteContinuation(id, false, block[16_000:32_000])
				_ = fc.fr.WriteContinuation(id, true, block[32_000:])
				_ = fc.fr.WriteDataPadded(id, false, []byte("body"), make([]byte, 100))
				_ = fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: headerBlock("x-trailer", "t"), EndHeaders: true, EndStream: true})
				_ = fc.flush()
			}
		}
	})
	tg := mustOpen(t, h2Attrs(url, nil), op("get", map[string]any{"success": []string{"201"}}))
	w := worker(t, tg, 0)
	for i := range 3 {
		if err := do(w, 0, uint64(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if st := tg.Stats(); st["status_201"] != 3 || st[statConnsOpened] != 1 {
		t.Errorf("stats %v", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for (acks.Load() < 5 || pongs.Load() < 4) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// The first SETTINGS and one a request; a PING a request.
	if acks.Load() != 5 || pongs.Load() != 4 {
		t.Errorf("%d SETTINGS acknowledged, want 5; %d PINGs, want 4", acks.Load(), pongs.Load())
	}
}

// TestH2Allocations checks that the h2 client allocates no more than one
// value a request (the HEADERS frame golang.org/x/net/http2's Framer
// parses), against a frame server that allocates one too (the same), so
// that the process's count is the two: two a request.
func TestH2Allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	url := frameServer(t, nil, false, serveOK)
	tg := mustOpen(t, h2Attrs(url, nil),
		op("get", map[string]any{"path": tmplOf("/items/${key}")}),
		op("put", map[string]any{"method": "PUT", "path": tmplOf("/items/${key}"), "body": tmplOf(`{"v": "${value}"}`)}),
		op("static", nil))
	w := worker(t, tg, 0)
	value := []byte("0123456789")
	for i := range 100 {
		if err := do(w, i%3, uint64(i), value); err != nil {
			t.Fatal(err)
		}
	}
	req := &targets.Request{Value: value}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		req.Key++
		req.Op = int(req.Key % 3)
		if err := w.Do(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2.1 {
		t.Errorf("%.2f allocations per request, want 2 (a HEADERS frame parsed by the client, one by the server)", allocs)
	}
}

// TestH2HeadNoBody: a response whose content-length is over max_body is a
// body error, unless no body follows it: a HEAD request's, or a 304, even
// from a server that ends the stream with an empty DATA frame rather than
// with its headers.
func TestH2HeadNoBody(t *testing.T) {
	t.Parallel()
	url := frameServer(t, nil, true, func(fc *frameConn) {
		for {
			req, err := fc.next()
			if err != nil {
				return
			}
			status := "200"
			if req.path == "/304" {
				status = "304"
			}
			block := headerBlock(":status", status, "content-length", "1073741824")
			if fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: req.id, BlockFragment: block, EndHeaders: true}) != nil ||
				fc.fr.WriteData(req.id, true, nil) != nil || fc.flush() != nil {
				return
			}
		}
	})
	tg := mustOpen(t, h2Attrs(url, map[string]any{"probe": false, "max_body": int64(1 << 20)}),
		op("head", map[string]any{"method": "HEAD"}), op("304", map[string]any{"path": tmplOf("/304")}), op("get", nil))
	w := worker(t, tg, 0)
	for o, want := range []Class{-1, -1, ClassBody} {
		if err := do(w, o, 1, nil); classOf(err) != want || (want == -1 && err != nil) {
			t.Errorf("op %s: %v, want class %v", tg.cfg.Ops[o].Name, err, want)
		}
	}
}

// TestH2TableAfterContentLength: once a block's :status and
// content-length are known the client stops decompressing its values
// (onField), but still keeps the decoder's dynamic table: a field that the
// first response indexes after its content-length is referred to by index
// in the second, before its content-length, and both responses read.
func TestH2TableAfterContentLength(t *testing.T) {
	t.Parallel()
	url := frameServer(t, nil, false, func(fc *frameConn) {
		var buf bytes.Buffer
		enc := hpack.NewEncoder(&buf) // the connection's: its table persists
		block := func(fields ...string) []byte {
			buf.Reset()
			for i := 0; i+1 < len(fields); i += 2 {
				_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
			}
			return bytes.Clone(buf.Bytes())
		}
		for n := 0; ; n++ {
			req, err := fc.next()
			if err != nil {
				return
			}
			b := block(":status", "200", "content-length", "2", "x-after", "indexed-once")
			if n > 0 {
				// "x-after" now comes from the table (index 62).
				b = block(":status", "200", "x-after", "indexed-once", "content-length", "2")
			}
			if fc.respond(req.id, b, []byte("ok")) != nil || fc.flush() != nil {
				return
			}
		}
	})
	tg := mustOpen(t, h2Attrs(url, nil), op("get", nil))
	w := worker(t, tg, 0)
	for i := range 3 {
		if err := do(w, 0, uint64(i), nil); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if st := tg.Stats(); st["status_200"] != 3 || st[statConnsOpened] != 1 {
		t.Errorf("stats %v", st)
	}
}
