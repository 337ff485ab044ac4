package targets

import (
	"reflect"
	"testing"
)

func TestSpanStats(t *testing.T) {
	t.Parallel()
	k := &Kind{
		Stats:  []string{"hits", "misses", "hit_ratio", "entries"},
		Gauges: []string{"entries"},
		Ratios: map[string]Ratio{"hit_ratio": {Num: []string{"hits"}, Den: []string{"hits", "misses"}}},
	}
	before := map[string]float64{"hits": 900, "misses": 100, "hit_ratio": 0.9, "entries": 50}
	after := map[string]float64{"hits": 1000, "misses": 200, "hit_ratio": 1000.0 / 1200, "entries": 70}
	got := SpanStats(k, before, after)
	// Over the span: 100 hits and 100 misses, a ratio of 0.5; entries is
	// a level.
	want := map[string]float64{"hits": 100, "misses": 100, "hit_ratio": 0.5, "entries": 70}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SpanStats = %v, want %v", got, want)
	}
	if got := SpanStats(k, nil, after); !reflect.DeepEqual(got, after) {
		t.Fatalf("without a start: %v, want the end values", got)
	}
	none := SpanStats(k, map[string]float64{"hits": 5, "misses": 5}, map[string]float64{"hits": 5, "misses": 5, "hit_ratio": 0.5})
	if none["hit_ratio"] != 0 {
		t.Fatalf("no reads in the span: hit_ratio %v, want 0", none["hit_ratio"])
	}
}
