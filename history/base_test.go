package history

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// appendRaw records d as Append does but without CheckRecordable: the
// documents that stores written before it existed may hold.
func appendRaw(t *testing.T, s *Store, d *report.Document) {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.append(context.Background(), d, raw); err != nil {
		t.Fatal(err)
	}
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAppendRefusesInterruptedAndFailedRuns(t *testing.T) {
	t.Parallel()
	forEachStore(t, testAppendRefuses)
}

func testAppendRefuses(t *testing.T, openTemp func(*testing.T) *Store) {
	ctx := context.Background()
	s := openTemp(t)
	tests := []struct {
		name   string
		change func(*report.Document)
		want   string
	}{
		{"document interrupted", func(d *report.Document) { d.Interrupted = true; d.ExitCode = 3 }, "interrupted"},
		{"plan interrupted", func(d *report.Document) { d.Plans[1].Interrupted = true }, "plan p was interrupted"},
		{"scenario interrupted", func(d *report.Document) { d.Plans[0].Scenarios[0].Interrupted = true }, "plan p was interrupted"},
		{"target failed to start", func(d *report.Document) {
			d.Plans[0] = report.PlanDoc{Name: "p", Error: "executor: open target sleep.s: context canceled", Scenarios: []report.ScenarioDoc{}}
			d.ExitCode = 4
		}, "plan p could not run (executor: open target sleep.s: context canceled)"},
		{"segment", func(d *report.Document) { d.Plans[0].Segment = &plan.Segment{Index: 1, Count: 3} }, "plan p ran segment 1/3 of its load"},
		{"partial merge", func(d *report.Document) {
			d.Plans[0].Merged = &report.MergeInfo{Count: 3, Segments: []int{0, 2}, Missing: []int{1}, Partial: true}
		}, "plan p is a partial merge (2 of 3 segments)"},
	}
	for _, tt := range tests {
		d := doc("p", 5, "c", 2)
		tt.change(d)
		err := s.Append(ctx, d)
		if !errors.Is(err, ErrNotRecordable) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Append = %v, want %q wrapping ErrNotRecordable", tt.name, err, tt.want)
		}
		if err := CheckRecordable(d); !errors.Is(err, ErrNotRecordable) {
			t.Errorf("%s: CheckRecordable = %v", tt.name, err)
		}
	}
	if n, err := s.Count(ctx); err != nil || n != 0 {
		t.Errorf("%d runs recorded (%v), want 0", n, err)
	}
	if err := CheckRecordable(doc("p", 5, "c", 2)); err != nil {
		t.Errorf("a complete run: %v", err)
	}
}

func TestBaseProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*report.Document)
		want   string
	}{
		{"good", func(*report.Document) {}, ""},
		{"could not run", func(d *report.Document) { d.Plans[0].Error = "target x: refused" }, "could not run: target x: refused"},
		{"document interrupted", func(d *report.Document) { d.Interrupted = true }, "interrupted"},
		{"scenario interrupted", func(d *report.Document) { d.Plans[0].Scenarios[0].Interrupted = true }, "interrupted"},
		{"no scenarios", func(d *report.Document) { d.Plans[0].Scenarios = nil }, "no scenario results"},
		{"no operations", func(d *report.Document) { d.Plans[0].Scenarios[0].Total.Ops = 0 }, "scenario steady recorded no operations"},
		{"assertions failed", func(d *report.Document) { d.Plans[0].Passed = false }, "assertions failed"},
		{"regression found", func(d *report.Document) { d.ExitCode = 1 }, "the run exited 1 although the plan passed"},
	}
	for _, tt := range tests {
		d := doc("p", 5, "c", 1)
		tt.change(d)
		got := BaseProblem(d, &d.Plans[0])
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: BaseProblem = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLatestGood(t *testing.T) {
	t.Parallel()
	forEachStore(t, testLatestGood)
}

func testLatestGood(t *testing.T, openTemp func(*testing.T) *Store) {
	ctx := context.Background()
	s := openTemp(t)

	if g, skipped, err := s.LatestGood(ctx, "p"); err != nil || g != nil || len(skipped) != 0 {
		t.Fatalf("empty store: %v, %v, %v", g, skipped, err)
	}

	// Oldest first: two good runs of p (and one of q), then the kinds of
	// run that must not become the base, the first one interrupted during a
	// target's start as Append now refuses, but older stores hold.
	if err := s.Append(ctx, doc("p", 5, "old", 3)); err != nil {
		t.Fatal(err)
	}
	good := doc("p", 6, "good", 3)
	good.Plans = append(good.Plans, doc("q", 1, "good", 1).Plans...)
	if err := s.Append(ctx, good); err != nil {
		t.Fatal(err)
	}
	startFailure := doc("p", 0, "start-failure", 1)
	startFailure.Plans[0] = report.PlanDoc{Name: "p", Error: "executor: open target sleep.s: context canceled", Scenarios: []report.ScenarioDoc{}}
	startFailure.ExitCode = 4
	appendRaw(t, s, startFailure)
	interrupted := doc("p", 7, "interrupted", 2)
	interrupted.Interrupted, interrupted.ExitCode = true, 3
	interrupted.Plans[1].Interrupted, interrupted.Plans[1].Passed = true, false
	appendRaw(t, s, interrupted)
	failed := doc("p", 8, "failed", 2)
	for i := range failed.Plans {
		failed.Plans[i].Passed = false
	}
	failed.ExitCode = 1
	if err := s.Append(ctx, failed); err != nil {
		t.Fatal(err)
	}
	regressed := doc("p", 20, "regressed", 2)
	regressed.ExitCode = 1
	if err := s.Append(ctx, regressed); err != nil {
		t.Fatal(err)
	}
	empty := doc("p", 1, "empty", 1)
	empty.Plans[0].Scenarios[0].Total.Ops = 0
	appendRaw(t, s, empty)

	g, skipped, err := s.LatestGood(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if g == nil {
		t.Fatal("no good run found")
	}
	if g.Commit != "good" || g.Document.Environment.GitCommit != "good" || g.Host != "h" {
		t.Errorf("base is %+v, want the run of commit good", g)
	}
	if len(g.Document.Plans) != 3 {
		t.Errorf("base has %d repetitions, want the 3 of p", len(g.Document.Plans))
	}
	for _, p := range g.Document.Plans {
		if p.Name != "p" {
			t.Errorf("base holds plan %s", p.Name)
		}
	}
	runs, err := s.Runs(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if runs[3].Commit != "good" || g.RunID != runs[3].ID || g.DocumentID != runs[3].DocumentID {
		t.Errorf("base run #%d (document %d), want the first repetition of commit good: %+v", g.RunID, g.DocumentID, runs[3])
	}
	if !strings.HasPrefix(g.String(), "#") || !strings.Contains(g.String(), "commit good, 3 repetitions") {
		t.Errorf("description %q", g.String())
	}
	wantSkipped := []struct{ commit, reason string }{
		{"empty", "scenario steady recorded no operations"},
		{"regressed", "the run exited 1 although the plan passed"},
		{"failed", "assertions failed"},
		{"interrupted", "interrupted"},
		{"start-failure", "could not run: executor: open target sleep.s: context canceled"},
	}
	if len(skipped) != len(wantSkipped) {
		t.Fatalf("skipped %v, want %d runs", skipped, len(wantSkipped))
	}
	for i, w := range wantSkipped {
		if skipped[i].Commit != w.commit || !strings.HasPrefix(skipped[i].Reason, w.reason) {
			t.Errorf("skipped[%d] = %v, want commit %s: %s", i, skipped[i], w.commit, w.reason)
		}
		if !strings.Contains(skipped[i].String(), w.reason) {
			t.Errorf("skipped[%d] reads %q", i, skipped[i].String())
		}
	}

	// q's last good run is in the same document; nothing newer to skip.
	if g, skipped, err := s.LatestGood(ctx, "q"); err != nil || g == nil || g.Commit != "good" || len(skipped) != 0 || len(g.Document.Plans) != 1 {
		t.Errorf("q: %v, %v, %v", g, skipped, err)
	}

	// A document of which only some repetitions are good gives those.
	partial := doc("p", 9, "partial", 3)
	partial.Plans[0].Scenarios[0].Total.Ops = 0
	appendRaw(t, s, partial)
	if g, _, err := s.LatestGood(ctx, "p"); err != nil || g == nil || g.Commit != "partial" || len(g.Document.Plans) != 2 {
		t.Errorf("partly good run: %v, %v", g, err)
	} else if runs, _ := s.Runs(ctx, "p"); g.RunID != runs[len(runs)-2].ID {
		t.Errorf("base run #%d, want the second repetition, #%d", g.RunID, runs[len(runs)-2].ID)
	}

	// Nothing good at all: nil, and every run passed over.
	only := openTemp(t)
	appendRaw(t, only, interrupted)
	if g, skipped, err := only.LatestGood(ctx, "p"); err != nil || g != nil || len(skipped) != 1 || skipped[0].Reason != "interrupted" {
		t.Errorf("only an interrupted run: %v, %v, %v", g, skipped, err)
	}
}
