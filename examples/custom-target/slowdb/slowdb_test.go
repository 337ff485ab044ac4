package slowdb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

func open(t *testing.T, attrs map[string]any) *Target {
	t.Helper()
	tg, err := New(targets.Config{Attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

func TestKindRegisters(t *testing.T) {
	t.Parallel()
	if err := targets.NewRegistry().Register(Kind()); err != nil {
		t.Fatal(err)
	}
}

// TestDefaults: a Config built in Go gets the schema's defaults.
func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := parse(targets.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.rows != 1000 || c.latency.Milliseconds() != 1 || c.jitter != 0.2 || c.errorRate != 0 || c.poolSize != 4 || c.seed != 1 {
		t.Errorf("defaults %+v", c)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := Kind().Validate(targets.Config{Attrs: map[string]any{"jitter": 1.5, "error_rate": 2.0, "pool_size": int64(0)}})
	for _, want := range []string{"jitter: must be at most 1", "pool_size: must be at least 1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
}

// TestQueries: get finds the stored rows and misses the others, put and
// delete change them, and the statistics count it all.
func TestQueries(t *testing.T) {
	t.Parallel()
	tg := open(t, map[string]any{"rows": int64(10), "latency": time.Duration(0), "jitter": 0.0})
	w, err := tg.NewWorker(0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, req := range []targets.Request{
		{Op: opGet, Key: 3}, {Op: opGet, Key: 20}, {Op: opPut, Key: 20, Value: []byte("x")},
		{Op: opGet, Key: 20}, {Op: opDelete, Key: 3}, {Op: opGet, Key: 3},
	} {
		if err := w.Do(ctx, &req); err != nil {
			t.Fatalf("Do(%+v): %v", req, err)
		}
	}
	st := tg.Stats()
	want := map[string]float64{"queries": 6, "hits": 2, "misses": 2, "hit_ratio": 0.5, "errors": 0, "pool_waits": 0, "rows": 10, "in_use_max": 1}
	for name, v := range want {
		if st[name] != v {
			t.Errorf("%s = %v, want %v", name, st[name], v)
		}
	}
	if len(st) != len(Kind().Stats) {
		t.Errorf("Stats has %d entries, Kind lists %d", len(st), len(Kind().Stats))
	}
}

// TestErrors: with error_rate 1 every query fails with ErrQueryFailed.
func TestErrors(t *testing.T) {
	t.Parallel()
	tg := open(t, map[string]any{"latency": time.Duration(0), "error_rate": 1.0})
	w, _ := tg.NewWorker(0)
	if err := w.Do(context.Background(), &targets.Request{Op: opGet}); !errors.Is(err, ErrQueryFailed) {
		t.Fatalf("Do = %v, want ErrQueryFailed", err)
	}
	if tg.Stats()["errors"] != 1 {
		t.Errorf("errors = %v", tg.Stats()["errors"])
	}
}

// TestPoolWait: with every connection taken, a query waits for one (counted
// in pool_waits) until its context ends.
func TestPoolWait(t *testing.T) {
	t.Parallel()
	tg := open(t, map[string]any{"pool_size": int64(1)})
	if err := tg.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer tg.release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w, _ := tg.NewWorker(1)
	go func() { done <- w.Do(ctx, &targets.Request{Op: opGet}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	if got := tg.Stats()["pool_waits"]; got != 1 {
		t.Errorf("pool_waits = %v, want 1", got)
	}
}
