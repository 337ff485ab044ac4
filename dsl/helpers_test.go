package dsl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/noop"
)

func ptr[T any](v T) *T { return &v }

// fakeKind is a cache-like kind with nested blocks, an op with an argument,
// statistics, an action and a Validate that points at nested attributes.
func fakeKind() targets.Kind {
	tier := targets.Schema{Attrs: []targets.Attr{
		{Name: "capacity", Type: targets.Int, Required: true, Min: ptr(1.0)},
		{Name: "ttl", Type: targets.Duration, Default: time.Minute},
	}}
	return targets.Kind{
		Name: "cache",
		Schema: targets.Schema{
			Attrs: []targets.Attr{
				{Name: "capacity", Type: targets.Int, Required: true, Min: ptr(1.0)},
				{Name: "policy", Type: targets.String, OneOf: []string{"lru", "lfu"}, Default: "lru"},
				{Name: "ratio", Type: targets.Number, Default: 0.5},
				{Name: "strict", Type: targets.Bool},
				{Name: "names", Type: targets.StringList},
				{Name: "weights", Type: targets.NumberList},
				{Name: "ttl", Type: targets.Duration, Default: 30 * time.Second, Min: ptr(float64(time.Millisecond))},
			},
			Blocks: []targets.BlockSpec{
				{Type: "tier", Labels: []string{"name"}, Multi: true, Schema: tier},
				{Type: "loader", Schema: targets.Schema{Attrs: []targets.Attr{
					{Name: "latency", Type: targets.Duration, Default: time.Millisecond},
				}}},
			},
		},
		Ops: []targets.OpSpec{
			{Name: "get"}, {Name: "set"}, {Name: "allow_n", Arg: "n", ArgDefault: 1},
		},
		Stats: []string{"hit_ratio", "denied"},
		Actions: []targets.ActionSpec{
			{Name: "set_policy", Schema: targets.Schema{Attrs: []targets.Attr{
				{Name: "rate", Type: targets.Number, Required: true},
			}}},
		},
		Validate: func(cfg targets.Config) error {
			var errs []error
			prev := int64(0)
			for _, b := range cfg.BlocksOf("tier") {
				c := b.Config.Int("capacity")
				if c < prev {
					errs = append(errs, &targets.AttrError{Path: []string{"tier." + b.Labels[0]}, Attr: "capacity", Err: errors.New("must not be smaller than the tier before it")})
				}
				prev = c
			}
			if cfg.Float("ratio") > 1 {
				errs = append(errs, targets.Errorf("ratio", "must be at most 1"))
			}
			return errors.Join(errs...)
		},
		New: func(targets.Config) (targets.Target, error) { return nil, errors.New("fake") },
	}
}

func testRegistry(t testing.TB) *targets.Registry {
	t.Helper()
	reg := targets.NewRegistry()
	if err := reg.Register(noop.Kind()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(fakeKind()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(webKind()); err != nil {
		t.Fatal(err)
	}
	return reg
}

// webKind is an http-like kind with an op schema: plans name its
// operations, each configured with a method, a path and body template, headers
// and success statuses; ValidateOp points at attributes of the op block.
func webKind() targets.Kind {
	return targets.Kind{
		Name: "web",
		Schema: targets.Schema{Attrs: []targets.Attr{
			{Name: "base_url", Type: targets.String, Required: true},
			{Name: "headers", Type: targets.StringMap},
		}},
		OpSchema: &targets.Schema{Attrs: []targets.Attr{
			{Name: "method", Type: targets.String, Default: "GET", OneOf: []string{"GET", "POST"}},
			{Name: "path", Type: targets.Template, Default: targets.Literal("/"), Fields: []string{"key", "worker"}},
			{Name: "body", Type: targets.Template, Fields: []string{"key", "value"}},
			{Name: "headers", Type: targets.StringMap},
			{Name: "success", Type: targets.StringList},
		}},
		ValidateOp: func(target targets.Config, op targets.OpConfig) error {
			var errs []error
			for _, s := range op.Config.Strings("success") {
				if len(s) != 3 {
					errs = append(errs, targets.Errorf("success", "%q is not a status code", s))
				}
			}
			if op.Config.String("method") == "GET" && op.Config.Has("body") {
				errs = append(errs, targets.Errorf("body", "a GET has no body"))
			}
			if target.String("base_url") == "" {
				errs = append(errs, errors.New("the target has no base_url"))
			}
			return errors.Join(errs...)
		},
		Stats:  []string{"requests", "status_200", "status_404"},
		Sparse: []string{"status_200", "status_404"},
		New:    func(targets.Config) (targets.Target, error) { return nil, errors.New("not runnable") },
	}
}

// loadSrc writes src to a temp file and loads it.
func loadSrc(t testing.TB, src string, args []VarArg, env []string) (*plan.Plan, hcl.Diagnostics, *Loader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := NewLoader(testRegistry(t), args, env)
	p, diags := l.Load(path)
	return p, diags, l
}

func diagText(t testing.TB, l *Loader, diags hcl.Diagnostics) string {
	t.Helper()
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// mapMetrics is a map-backed plan.Metrics.
type mapMetrics map[string]float64

func (m mapMetrics) Metric(name string) (float64, bool) {
	v, ok := m[name]
	return v, ok
}

var _ = context.Background
