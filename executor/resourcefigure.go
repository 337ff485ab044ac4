package executor

import (
	"reflect"
	"strings"
	"time"

	"github.com/perfplan/perfplan/plan"
)

// resourceField returns the field of r under the run document's JSON key
// (the zero Value when there is none).
func (r *Resources) resourceField(key string) reflect.Value {
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); k == key {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

var durationType = reflect.TypeOf(time.Duration(0))

// Figure returns the process resource figure d of r (plan.ProcessResources)
// in the unit an assertion reads: a duration in milliseconds, the others
// as recorded. ok is false when r has no field under d.Key.
func (r *Resources) Figure(d plan.ResourceDesc) (float64, bool) {
	f := r.resourceField(d.Key)
	switch {
	case !f.IsValid():
		return 0, false
	case f.Type() == durationType:
		return ms(time.Duration(f.Int())), true
	case f.CanInt():
		return float64(f.Int()), true
	case f.CanFloat():
		return f.Float(), true
	}
	return 0, false
}

// MergeFigures sets r's process resource figures (plan.ProcessResources)
// from those of parts, segments that ran at the same time, each by its
// merge rule; ops[i] is the operations of parts[i], by which MergePerOp
// weighs.
func (r *Resources) MergeFigures(parts []*Resources, ops []int64) {
	for _, d := range plan.ProcessResources() {
		out := r.resourceField(d.Key)
		if !out.IsValid() {
			continue
		}
		var sum, weighted, n float64
		var isum, imax int64
		for i, p := range parts {
			f := p.resourceField(d.Key)
			if out.CanInt() {
				isum += f.Int()
				imax = max(imax, f.Int())
				continue
			}
			sum += f.Float()
			weighted += f.Float() * float64(ops[i])
			n += float64(ops[i])
		}
		switch {
		case out.CanInt() && d.Merge == plan.MergeMax:
			out.SetInt(imax)
		case out.CanInt():
			out.SetInt(isum)
		case d.Merge == plan.MergePerOp && n > 0:
			out.SetFloat(weighted / n)
		case d.Merge == plan.MergeSum:
			out.SetFloat(sum)
		}
	}
}
