package http

import (
	"context"
	"errors"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// entered reports whether g.enter returns within a short wait, and leaves
// the waiting goroutine running otherwise (its result comes on the
// returned channel).
func tryEnter(g *dialGate) (ok bool, later chan error) {
	later = make(chan error, 1)
	go func() { later <- g.enter(context.Background()) }()
	select {
	case err := <-later:
		return err == nil, nil
	case <-time.After(50 * time.Millisecond):
		return false, later
	}
}

func TestDialGate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		workers, maxConn int
		want             int // connections let through before one waits
	}{
		{"probe only", 0, 0, 1},
		{"one per worker", 3, 0, 3},
		{"max_connections below the workers", 3, 2, 2},
		{"max_connections above the workers", 2, 5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newDialGate(tc.maxConn)
			for range tc.workers {
				g.addWorker()
			}
			for i := range tc.want {
				if ok, _ := tryEnter(g); !ok {
					t.Fatalf("connection %d of %d waits", i+1, tc.want)
				}
			}
			ok, later := tryEnter(g)
			if ok {
				t.Fatalf("connection %d passes a bound of %d", tc.want+1, tc.want)
			}
			// A connection that closes lets the waiting dial through.
			g.leave()
			select {
			case err := <-later:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a dial still waits after a connection closed")
			}
			// Closing the target releases a waiting dial with an error.
			ok, later = tryEnter(g)
			if ok {
				t.Fatal("passes the bound")
			}
			g.close()
			if err := <-later; !errors.Is(err, errGateClosed) {
				t.Fatalf("after close: %v", err)
			}
		})
	}
	t.Run("a new worker raises the bound", func(t *testing.T) {
		t.Parallel()
		g := newDialGate(0)
		g.addWorker()
		if ok, _ := tryEnter(g); !ok {
			t.Fatal("the first connection waits")
		}
		ok, later := tryEnter(g)
		if ok {
			t.Fatal("a second connection for one worker")
		}
		g.addWorker()
		if err := <-later; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a cancelled dial stops waiting", func(t *testing.T) {
		t.Parallel()
		g := newDialGate(0)
		if err := g.enter(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := g.enter(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	})
}

// TestNetHTTPConnectionsBoundedByWorkers: net/http opened a new connection
// whenever a worker asked again before its previous connection was back in
// the pool, and kept it (31 to 72 connections for 32 workers); the target
// opens at most one per worker, the probe's included.
func TestNetHTTPConnectionsBoundedByWorkers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, "hello, world\n")
	}))
	t.Cleanup(srv.Close)
	const workers, requests = 8, 300
	tg := mustOpen(t, map[string]any{"base_url": srv.URL, "client": ClientNetHTTP}, op("get", nil))
	var wg sync.WaitGroup
	for id := range workers {
		w := worker(t, tg, id)
		wg.Go(func() {
			for i := range requests {
				if err := do(w, 0, uint64(i), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := tg.Stats()
	if st[statResponses] != workers*requests {
		t.Errorf("responses %v, want %d", st[statResponses], workers*requests)
	}
	if st[statConnsOpened] > workers {
		t.Errorf("%v connections opened for %d workers", st[statConnsOpened], workers)
	}
}
