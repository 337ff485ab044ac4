package http

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// BenchmarkH2Client measures the CPU per request of the HTTP/2 clients,
// the lean one (h2) beside net/http's, in one run: 32 workers (b.RunParallel
// goroutines) on one h2c connection to an in-process server that speaks
// frames itself and answers each request with a fixed response, without
// decoding it (its cost per request is small and the same for both).
// ns/op is the process's time per request, server included; compare the
// two lines' ratio.
func BenchmarkH2Client(b *testing.B) {
	url := frameServer(b, nil, false, serveOK)
	for _, client := range []string{ClientH2, ClientNetHTTP} {
		b.Run(client, func(b *testing.B) {
			tg := benchTarget(b, url, client)
			var ids atomic.Int64
			b.SetParallelism(16) // 32 goroutines on 2 CPUs
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w, err := tg.NewWorker(int(ids.Add(1)))
				if err != nil {
					b.Error(err)
					return
				}
				req := &targets.Request{}
				ctx := context.Background()
				for pb.Next() {
					req.Key++
					if err := w.Do(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func benchTarget(b *testing.B, url, client string) *target {
	b.Helper()
	cfg := targets.Config{Attrs: map[string]any{"base_url": url, "protocol": ProtoH2C, "client": client, "request_timeout": time.Minute},
		Ops: []targets.OpConfig{op("get", map[string]any{"path": tmplOf("/items/${key}")})}}
	tt, err := Kind().New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tt.Close() })
	if err := tt.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	return tt.(*target)
}
