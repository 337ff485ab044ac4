package http

import (
	"bytes"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// loopbackPair returns the two ends of a TCP connection on loopback.
func loopbackPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestBatchConnWrites: writes made one at a time (as the HTTP/2 client
// makes them, under its write lock) from many goroutines arrive whole and
// in the order they were made, large ones included.
func TestBatchConnWrites(t *testing.T) {
	t.Parallel()
	client, server := loopbackPair(t)
	b := newBatchConn(client)
	var (
		mu   sync.Mutex // the HTTP/2 client's write lock
		want bytes.Buffer
		wg   sync.WaitGroup
	)
	big := bytes.Repeat([]byte("x"), maxBatch+1000)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				msg := fmt.Appendf(nil, "<%d:%d>", g, i)
				if i == 100 && g == 0 {
					msg = big
				}
				mu.Lock()
				want.Write(msg)
				if n, err := b.Write(msg); err != nil || n != len(msg) {
					t.Errorf("Write: %d, %v", n, err)
				}
				mu.Unlock()
			}
		})
	}
	got := make(chan []byte, 1)
	go func() {
		buf, _ := io.ReadAll(server)
		got <- buf
	}()
	wg.Wait()
	// The batch in flight goes out before Close returns the connection.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		busy := b.running
		b.mu.Unlock()
		if !busy || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_ = b.Close()
	if g := <-got; !bytes.Equal(g, want.Bytes()) {
		t.Errorf("received %d bytes, want %d (the same bytes in the same order)", len(g), want.Len())
	}
}

// TestBatchConnError: once a write fails, every later Write returns the
// error.
func TestBatchConnError(t *testing.T) {
	t.Parallel()
	client, server := loopbackPair(t)
	b := newBatchConn(client)
	_ = server.Close()
	_ = client.(*net.TCPConn).CloseWrite()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := b.Write([]byte("after the peer left"))
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed 10s after the connection was shut")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := b.Write([]byte("again")); err == nil {
		t.Error("a Write after the error succeeded")
	}
}

// TestH2CLargeBodies: request bodies larger than a batch (and than HTTP/2's
// flow-control windows) from several workers at once arrive whole over
// one batched h2c connection.
func TestH2CLargeBodies(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	var (
		mu    sync.Mutex
		sizes []int64
	)
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.Method != "POST" { // the probe
			return
		}
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil || r.ProtoMajor != 2 {
			w.WriteHeader(nethttp.StatusBadRequest)
			return
		}
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
	}))
	srv.Config.Protocols = new(nethttp.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	for _, client := range []string{ClientH2, ClientNetHTTP} {
		mu.Lock()
		sizes = nil
		mu.Unlock()
		h2cLargeBodies(t, srv.URL, client, &mu, &sizes, size)
	}
}

func h2cLargeBodies(t *testing.T, url, client string, mu *sync.Mutex, sizes *[]int64, size int64) {
	t.Helper()
	tg := mustOpen(t, map[string]any{"base_url": url, "protocol": ProtoH2C, "client": client},
		op("post", map[string]any{"method": "POST", "body_size": size}))
	var wg sync.WaitGroup
	for id := range 4 {
		w := worker(t, tg, id)
		wg.Go(func() {
			for i := range 3 {
				if err := do(w, 0, uint64(i), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	if len(*sizes) != 12 {
		t.Errorf("%s: %d bodies received, want 12", client, len(*sizes))
	}
	for _, n := range *sizes {
		if n != size {
			t.Errorf("%s: a body of %d bytes, want %d", client, n, size)
		}
	}
	mu.Unlock()
	// The last batch is counted once its write returns, which may be after
	// the server has read it and answered.
	deadline := time.Now().Add(10 * time.Second)
	for tg.Stats()[statBytesSent] < float64(12*size) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := tg.Stats(); st[statConnsOpened] != 1 || st[statBytesSent] < float64(12*size) {
		t.Errorf("%s: one connection carrying every body: %v", client, st)
	}
}
