package http

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/perfplan/perfplan/targets"
)

// h2Seeds are responses to stream 1, as frames, for FuzzH2Responses.
func h2Seeds() [][]byte {
	frames := func(write func(fr *http2.Framer)) []byte {
		var b bytes.Buffer
		fr := http2.NewFramer(&b, nil)
		fr.AllowIllegalWrites = true
		write(fr)
		return b.Bytes()
	}
	ok := headerBlock(":status", "200", "content-length", "2")
	return [][]byte{
		frames(func(fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: ok, EndHeaders: true})
			_ = fr.WriteData(1, true, []byte("ok"))
		}),
		frames(func(fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: ok[:2]})
			_ = fr.WriteContinuation(1, true, ok[2:])
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: headerBlock("x", "y"), EndHeaders: true, EndStream: true})
		}),
		frames(func(fr *http2.Framer) {
			_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30}, http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 20})
			_ = fr.WritePing(false, [8]byte{1})
			_ = fr.WriteWindowUpdate(0, 1<<31-1)
			_ = fr.WriteWindowUpdate(1, 1<<31-1)
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: headerBlock(":status", "100"), EndHeaders: true})
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: ok, EndHeaders: true, EndStream: true})
		}),
		frames(func(fr *http2.Framer) { _ = fr.WriteRSTStream(1, http2.ErrCodeRefusedStream) }),
		frames(func(fr *http2.Framer) { _ = fr.WriteGoAway(0, http2.ErrCodeNo, []byte("bye")) }),
		frames(func(fr *http2.Framer) { _ = fr.WriteData(1, true, []byte("data before headers")) }),
		frames(func(fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: ok, EndHeaders: true, EndStream: true})
		}),
		frames(func(fr *http2.Framer) {
			_ = fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: ok, EndHeaders: true})
		}),
		{0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1},
		[]byte("HTTP/1.1 200 OK\r\n\r\n"),
		{},
	}
}

// FuzzH2Responses feeds the h2 client's connection reader what a server
// sends after its SETTINGS and a request: whatever the bytes, the request
// ends (a response, or a classified failure) within its timeout, and the
// counts add up. Its coverage depends on timing (a request may end by its
// timeout or by the server's bytes), which the fuzzer's minimization of
// new inputs keeps retrying; run it without:
//
//	go test -run XXX -fuzz FuzzH2Responses -fuzzminimizetime 0 ./targets/http/
func FuzzH2Responses(f *testing.F) {
	for _, s := range h2Seeds() {
		f.Add(s)
	}
	f.Fuzz(fuzzBody(f))
}

func fuzzBody(f testing.TB) func(t *testing.T, in []byte) {
	// The input of the run under way: every connection of it (a request
	// sent again makes one) gets it.
	var input atomic.Pointer[[]byte]
	url := frameServer(f, nil, false, func(fc *frameConn) {
		in := *input.Load()
		if _, err := fc.next(); err != nil {
			return
		}
		if _, err := fc.c.Write(in); err != nil {
			return
		}
		// Until the client gives up on the connection.
		_, _ = io.Copy(io.Discard, fc.r)
	})
	return func(t *testing.T, in []byte) {
		tt, err := Kind().New(targets.Config{Attrs: h2Attrs(url, map[string]any{"probe": false, "request_timeout": 200 * time.Millisecond}),
			Ops: []targets.OpConfig{op("get", nil)}})
		if err != nil {
			t.Fatal(err)
		}
		defer tt.Close()
		if err := tt.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		w, err := tt.NewWorker(0)
		if err != nil {
			t.Fatal(err)
		}
		input.Store(&in)
		done := make(chan error, 1)
		go func() { done <- w.Do(context.Background(), &targets.Request{}) }()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the request did not end within 10s (its timeout is 200ms)")
		}
		if err != nil && classOf(err) < 0 {
			t.Errorf("an unclassified failure: %v", err)
		}
		st := tt.Stats()
		failed := st[statTimeouts] + st[statConnectionErrors] + st[statErrorsStatus] + st[statErrorsOther] + st[statErrorsBody]
		if st[statRequests] != 1 || st[statResponses]+failed-st[statErrorsStatus] != 1 {
			t.Errorf("counts: %v", st)
		}
	}
}
