package targets

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func minOf(f float64) *float64 { return &f }

func testSchema() Schema {
	return Schema{
		Attrs: []Attr{
			{Name: "size", Type: Int, Default: int64(64), Min: minOf(8)},
			{Name: "rate", Type: Number, Min: minOf(0)},
			{Name: "name", Type: String, Default: "x"},
		},
		Blocks: []BlockSpec{{
			Type: "tier", Labels: []string{"name"}, Multi: true,
			Schema: Schema{Attrs: []Attr{
				{Name: "ttl", Type: Duration, Default: time.Second, Min: minOf(float64(time.Millisecond))},
			}},
		}},
	}
}

// TestResolveDefaults: absent attributes take their defaults, in nested
// blocks too; present ones and blocks the schema does not know are kept;
// the input is not modified.
func TestResolveDefaults(t *testing.T) {
	t.Parallel()
	in := Config{
		Attrs: map[string]any{"size": int64(16)},
		Blocks: []Block{
			{Type: "tier", Labels: []string{"l1"}, Config: Config{Attrs: map[string]any{}}},
			{Type: "other", Config: Config{Attrs: map[string]any{"k": "v"}}},
		},
	}
	got, err := testSchema().Resolve(in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Int("size") != 16 || got.String("name") != "x" || got.Has("rate") {
		t.Errorf("attrs %v", got.Attrs)
	}
	if d := got.BlocksOf("tier")[0].Config.Duration("ttl"); d != time.Second {
		t.Errorf("tier ttl %v, want the default 1s", d)
	}
	if got.BlocksOf("other")[0].Config.String("k") != "v" {
		t.Errorf("unknown block not kept: %+v", got.Blocks)
	}
	if len(in.Attrs) != 1 || len(in.Blocks[0].Config.Attrs) != 0 {
		t.Errorf("input modified: %+v", in)
	}
	if d := testSchema().Defaults(); d.Int("size") != 64 || d.String("name") != "x" || len(d.Blocks) != 0 {
		t.Errorf("Defaults() = %+v", d)
	}
}

// TestResolveMin: values below Min are *AttrErrors naming the attribute
// and the path of its block, each one reported.
func TestResolveMin(t *testing.T) {
	t.Parallel()
	in := Config{
		Attrs: map[string]any{"size": int64(4), "rate": -0.5},
		Blocks: []Block{
			{Type: "tier", Labels: []string{"l2"}, Config: Config{Attrs: map[string]any{"ttl": time.Microsecond}}},
		},
	}
	_, err := testSchema().Resolve(in)
	var got []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ae *AttrError
		if !errors.As(err, &ae) {
			t.Fatalf("%v is not an *AttrError", err)
		}
		got = append(got, strings.Join(append(ae.Path, ae.Attr), "/")+": "+ae.Err.Error())
	}
	walk(err)
	want := []string{
		"size: must be at least 8, got 4",
		"rate: must be at least 0, got -0.5",
		"tier.l2/ttl: must be at least 1ms, got 1µs",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
