package limiter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/targets"
)

func policyBlock(name string, attrs map[string]any) targets.Block {
	full := map[string]any{"match": "global", "algorithm": "token_bucket", "period": time.Second}
	for k, v := range attrs {
		full[k] = v
	}
	return targets.Block{Type: "policy", Labels: []string{name}, Config: targets.Config{Attrs: full}}
}

func TestKindRegisters(t *testing.T) {
	t.Parallel()
	r := targets.NewRegistry()
	if err := r.Register(Kind()); err != nil {
		t.Fatal(err)
	}
	k := Kind()
	if k.OpIndex("allow") != opAllow || k.OpIndex("allow_n") != opAllowN || k.Ops[opAllowN].Arg != "n" {
		t.Errorf("ops: %+v", k.Ops)
	}
	for _, a := range []string{ActionSetPolicy, ActionRemovePolicy} {
		if k.Action(a) == nil {
			t.Errorf("no action %q", a)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  targets.Config
		want []string // attributes of the expected errors; nil means valid
	}{
		{"minimal", targets.Config{}, nil},
		{"policies", targets.Config{Blocks: []targets.Block{
			policyBlock("a", map[string]any{"rate": 10.0, "burst": int64(3)}),
			policyBlock("b", map[string]any{"rate": 10.0, "match": "pattern", "pattern": "key:1*", "algorithm": "sliding_window"}),
		}}, nil},
		{"burst on window", targets.Config{Blocks: []targets.Block{
			policyBlock("a", map[string]any{"rate": 10.0, "algorithm": "fixed_window", "burst": int64(3)}),
		}}, []string{"burst"}},
		{"pattern missing and stray", targets.Config{Blocks: []targets.Block{
			policyBlock("a", map[string]any{"rate": 10.0, "match": "pattern"}),
			policyBlock("b", map[string]any{"rate": 10.0, "pattern": "x*"}),
		}}, []string{"pattern", "pattern"}},
		{"rate", targets.Config{Blocks: []targets.Block{
			policyBlock("a", map[string]any{"rate": 0.0}),
			policyBlock("b", map[string]any{}),
		}}, []string{"rate", "rate"}},
		{"duplicate", targets.Config{Blocks: []targets.Block{
			policyBlock("a", map[string]any{"rate": 1.0}),
			policyBlock("a", map[string]any{"rate": 1.0}),
		}}, []string{"name"}},
		{"redis block on memory", targets.Config{Blocks: []targets.Block{
			{Type: "redis", Config: targets.Config{Attrs: map[string]any{"address": "x:1"}}},
		}}, []string{"redis"}},
		{"redis", targets.Config{Attrs: map[string]any{"backend": "redis"}, Blocks: []targets.Block{
			{Type: "redis", Config: targets.Config{Attrs: map[string]any{"address": "x:1", "timeout": 50 * time.Millisecond}}},
		}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Kind().Validate(tc.cfg)
			var got []string
			if err != nil {
				var errs []error
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				} else {
					errs = []error{err}
				}
				for _, e := range errs {
					var ae *targets.AttrError
					if !errors.As(e, &ae) {
						t.Errorf("not an AttrError: %v", e)
						continue
					}
					got = append(got, ae.Attr)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("errors on %v (%v), want on %v", got, err, tc.want)
			}
		})
	}
}

// TestTargetRun drives the target as the executor does: Open, workers, Do,
// a scheduled set_policy and remove_policy through Control, Stats, Close.
func TestTargetRun(t *testing.T) {
	t.Parallel()
	k := Kind()
	cfg := targets.Config{
		Attrs: map[string]any{"backend": "memory", "key_prefix": "user:"},
		Blocks: []targets.Block{
			policyBlock("per-user", map[string]any{"rate": 2.0, "burst": int64(2), "match": "pattern", "pattern": "user:1*", "period": time.Hour}),
		},
	}
	if err := k.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	tg, err := k.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	w, err := tg.NewWorker(0)
	if err != nil {
		t.Fatal(err)
	}
	do := func(op int, key uint64, arg int64) {
		t.Helper()
		if err := w.Do(ctx, &targets.Request{Op: op, Key: key, Arg: arg}); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	for range 3 {
		do(opAllow, 12, 0) // user:12 matches: 2 of 3 admitted
		do(opAllow, 20, 0) // user:20 does not: 3 admitted
	}
	do(opAllowN, 13, 3) // weight above the burst: denied
	do(opAllowN, 13, 2) // admitted
	st := tg.Stats()
	if st["allowed"] != 6 || st["denied"] != 2 || st["deny_ratio"] != 0.25 || st["mode"] != 0 {
		t.Errorf("stats %v", st)
	}
	for _, name := range k.Stats {
		if _, ok := st[name]; !ok {
			t.Errorf("stat %q missing", name)
		}
	}

	ctl := tg.(targets.Controller)
	if err := ctl.Control(ctx, ActionSetPolicy, targets.Config{Attrs: map[string]any{
		"name": "global", "rate": 1.0, "period": time.Hour, "match": "global", "algorithm": "fixed_window",
	}}); err != nil {
		t.Fatal(err)
	}
	do(opAllow, 20, 0) // admitted: the global window has 1
	do(opAllow, 21, 0) // denied by the new global policy
	if st := tg.Stats(); st["allowed"] != 7 || st["denied"] != 3 {
		t.Errorf("after set_policy: %v", st)
	}
	if err := ctl.Control(ctx, ActionRemovePolicy, targets.Config{Attrs: map[string]any{"name": "global"}}); err != nil {
		t.Fatal(err)
	}
	do(opAllow, 21, 0)
	if st := tg.Stats(); st["allowed"] != 8 {
		t.Errorf("after remove_policy: %v", st)
	}
	if err := ctl.Control(ctx, ActionRemovePolicy, targets.Config{Attrs: map[string]any{"name": "global"}}); err == nil {
		t.Errorf("removing a missing policy: no error")
	}
	if err := ctl.Control(ctx, ActionSetPolicy, targets.Config{Attrs: map[string]any{"name": "bad", "rate": 1.0, "algorithm": "gcra", "match": "pattern"}}); err == nil {
		t.Errorf("set_policy without a pattern: no error")
	}
}
