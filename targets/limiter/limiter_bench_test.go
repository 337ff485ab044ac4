package limiter

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// The benchmarks measure one decision of the memory backend, with the real
// clock, for each algorithm, beside golang.org/x/time/rate's Limiter.Allow.
// Rates are high enough that every event is admitted, so both sides do the
// same work. Shapes:
//
//	global   one policy with match = "global": no key lookup
//	key-1    match = "key", always the same key (formatting + map lookup)
//	key-100k match = "key" over 100,000 keys (cache misses)
//
// x/time/rate has no keys: "global" and "key-1" use one rate.Limiter, and
// "key-100k" indexes a slice of 100,000 of them directly by key index (no
// formatting, no map), which is a lower bound for any keyed limiter.
// Run with: go test -run - -bench . -count 5 ./targets/limiter

const benchKeys = 100_000

type benchShape struct {
	name  string
	match Match
	keys  uint64
}

var benchShapes = []benchShape{
	{"global", MatchGlobal, 1},
	{"key-1", MatchKey, 1},
	{"key-100k", MatchKey, benchKeys},
}

func benchLimiter(b *testing.B, alg Algorithm, match Match, keys uint64) *Limiter {
	b.Helper()
	p := Policy{Name: "p", Match: match, Algorithm: alg, Rate: 1e12, Period: time.Second}
	if alg == TokenBucket || alg == GCRA {
		p.Burst = 1 << 40
	}
	l, err := New(context.Background(), Config{Policies: []Policy{p}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	h := l.NewHandle()
	for i := range keys { // create the key states outside the timed loop
		_, _ = h.AllowIndex(context.Background(), i, 1)
	}
	return l
}

// next steps through the key space in an order that defeats the prefetcher.
func next(i, keys uint64) uint64 { return (i + 7919) % keys }

func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	for _, alg := range []Algorithm{TokenBucket, GCRA, FixedWindow, SlidingWindow} {
		for _, sh := range benchShapes {
			b.Run(string(alg)+"/"+sh.name, func(b *testing.B) {
				l := benchLimiter(b, alg, sh.match, sh.keys)
				h := l.NewHandle()
				b.ReportAllocs()
				var k uint64
				for b.Loop() {
					if ok, _ := h.AllowIndex(ctx, k, 1); !ok {
						b.Fatal("denied")
					}
					k = next(k, sh.keys)
				}
			})
			b.Run(string(alg)+"/"+sh.name+"/parallel", func(b *testing.B) {
				l := benchLimiter(b, alg, sh.match, sh.keys)
				var seed atomic.Uint64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					h := l.NewHandle()
					k := seed.Add(12345) % sh.keys
					for pb.Next() {
						_, _ = h.AllowIndex(ctx, k, 1)
						k = next(k, sh.keys)
					}
				})
			})
		}
	}
	for _, sh := range benchShapes {
		lims := make([]*rate.Limiter, sh.keys)
		for i := range lims {
			lims[i] = rate.NewLimiter(rate.Limit(1e12), 1<<40)
		}
		b.Run("x-time-rate/"+sh.name, func(b *testing.B) {
			b.ReportAllocs()
			var k uint64
			for b.Loop() {
				if !lims[k].Allow() {
					b.Fatal("denied")
				}
				k = next(k, sh.keys)
			}
		})
		b.Run("x-time-rate/"+sh.name+"/parallel", func(b *testing.B) {
			var seed atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				k := seed.Add(12345) % sh.keys
				for pb.Next() {
					_ = lims[k].Allow()
					k = next(k, sh.keys)
				}
			})
		})
	}
}
