package report

import (
	"reflect"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
)

// TestFamilyKeys: each latency family's JSON keys (plan.FamilyDesc) are
// the run document's, and OpDoc.Family, OpDoc.FamilyHistogram and
// executor.OpStats.Family read the fields under those keys, so a family
// declared in plan and held here cannot drift apart.
func TestFamilyKeys(t *testing.T) {
	t.Parallel()
	byKey := map[string]int{}
	typ := reflect.TypeOf(OpDoc{})
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		byKey[key] = i
	}
	for n, f := range plan.LatencyFamilies() {
		sum, ok := byKey[f.SummaryKey]
		if !ok {
			t.Errorf("%s: the run document has no key %q", f.Family, f.SummaryKey)
			continue
		}
		hist, ok := byKey[f.HistogramKey]
		if !ok {
			t.Errorf("%s: the run document has no key %q", f.Family, f.HistogramKey)
			continue
		}
		var d OpDoc
		v := reflect.ValueOf(&d).Elem()
		marker := LatencyDoc{P99: int64(1000 + n)}
		if v.Field(sum).Kind() == reflect.Pointer {
			v.Field(sum).Set(reflect.ValueOf(&marker))
		} else {
			v.Field(sum).Set(reflect.ValueOf(marker))
		}
		v.Field(hist).SetString("h" + f.HistogramKey)
		if got := d.Family(f.Family); got == nil || *got != marker {
			t.Errorf("%s: OpDoc.Family reads %v, not the field under %q", f.Family, got, f.SummaryKey)
		}
		if got := d.FamilyHistogram(f.Family); got != "h"+f.HistogramKey {
			t.Errorf("%s: OpDoc.FamilyHistogram reads %q, not the field under %q", f.Family, got, f.HistogramKey)
		}
		// The document and the executor's figures map the family to
		// each other's fields.
		st := d.stats()
		if got, _ := st.Family(f.Family); got.P99 != marker.stats().P99 {
			t.Errorf("%s: OpStats.Family after the document's stats reads p99 %v, want %v", f.Family, got.P99, marker.stats().P99)
		}
		var o executor.OpStats
		o.SetFamily(f.Family, marker.stats(), nil)
		if got, _ := o.Family(f.Family); got != marker.stats() {
			t.Errorf("%s: OpStats.Family does not read what SetFamily set", f.Family)
		}
	}
}

// TestFamilyField: LatencyDoc.Field reads every plan.LatencyFields field.
func TestFamilyField(t *testing.T) {
	t.Parallel()
	l := LatencyDoc{Min: 1, Mean: 2, StdDev: 3, P50: 4, P75: 5, P90: 6, P95: 7, P99: 8, P999: 9, Max: 10}
	for i, f := range plan.LatencyFields {
		if got := l.Field(f); got != int64(i+1) {
			t.Errorf("Field(%q) = %d, want %d", f, got, i+1)
		}
	}
}
