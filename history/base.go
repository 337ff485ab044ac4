package history

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/perfplan/perfplan/report"
)

// ErrNotRecordable is what the errors of CheckRecordable (and so of
// Store.Append, for a document it refuses) match with errors.Is.
var ErrNotRecordable = errors.New("history: not recordable")

// NotRecordableError says why history refuses a document.
type NotRecordableError struct {
	// Reason reads "the run was interrupted", "plan NAME could not run
	// (ERROR)", ...
	Reason string
}

func (e *NotRecordableError) Error() string { return "history: not recorded: " + e.Reason }

// Unwrap returns ErrNotRecordable.
func (e *NotRecordableError) Unwrap() error { return ErrNotRecordable }

// CheckRecordable returns nil when d may be recorded in the history, else a
// *NotRecordableError that says why. History keeps measurements that later
// runs are compared with and trended against, so it refuses:
//   - an interrupted run: the document, a plan or a scenario is marked
//     interrupted;
//   - a run in which a plan could not run (its Error is set), for example
//     because a target failed to start, which is also how an interrupt
//     during a target's start can end;
//   - a segment's run (perfplan run --segment), which drove only a share
//     of the load, and a partial merge (perfplan merge --allow-partial),
//     which lacks segments: their figures would read as a shift in the
//     plan's series. The merge of every segment is recorded.
func CheckRecordable(d *report.Document) error {
	if d.Interrupted {
		return &NotRecordableError{Reason: "the run was interrupted"}
	}
	for i := range d.Plans {
		p := &d.Plans[i]
		if p.Error != "" {
			return &NotRecordableError{Reason: fmt.Sprintf("plan %s could not run (%s)", p.Name, p.Error)}
		}
		if interrupted(p) {
			return &NotRecordableError{Reason: fmt.Sprintf("plan %s was interrupted", p.Name)}
		}
		if p.Segment != nil {
			return &NotRecordableError{Reason: fmt.Sprintf("plan %s ran segment %s of its load; record the merged run (perfplan merge)", p.Name, p.Segment)}
		}
		if p.Merged != nil && p.Merged.Partial {
			return &NotRecordableError{Reason: fmt.Sprintf("plan %s is a partial merge (%d of %d segments)", p.Name, len(p.Merged.Segments), p.Merged.Count)}
		}
	}
	return nil
}

func interrupted(p *report.PlanDoc) bool {
	if p.Interrupted {
		return true
	}
	for i := range p.Scenarios {
		if p.Scenarios[i].Interrupted {
			return true
		}
	}
	return false
}

// BaseProblem says why the plan run p, from document d, cannot be the base
// of a regression check, or returns "" when it can. A good run, the only
// kind a regression check compares against:
//   - ran: no Error (its targets started);
//   - was not interrupted (neither the document, the plan nor a scenario);
//   - measured: it has scenarios, and every scenario recorded operations;
//   - passed: its assertions held, and the whole invocation that recorded
//     it exited 0.
//
// The last rule keeps a regression from becoming the base it is measured
// against: a run that failed a regression check (or an assertion) is
// recorded, but the next check still compares against the run before it.
// To accept a slowdown on purpose, record a passing run without --mode
// regression; it becomes the new base.
func BaseProblem(d *report.Document, p *report.PlanDoc) string {
	switch {
	case p.Error != "":
		return "could not run: " + p.Error
	case d.Interrupted || interrupted(p):
		return "interrupted"
	case len(p.Scenarios) == 0:
		return "no scenario results"
	}
	for i := range p.Scenarios {
		if p.Scenarios[i].Total.Ops == 0 {
			return fmt.Sprintf("scenario %s recorded no operations", p.Scenarios[i].Name)
		}
	}
	switch {
	case !p.Passed:
		return "assertions failed"
	case d.ExitCode != 0:
		return fmt.Sprintf("the run exited %d although the plan passed (a regression check or another plan failed)", d.ExitCode)
	}
	return ""
}

// GoodRun is the last good run of a plan (see BaseProblem).
type GoodRun struct {
	// RunID is the id of the run's first good repetition, as perfplan
	// history shows it; DocumentID is the id of its document.
	RunID      int64
	DocumentID int64
	Start      time.Time
	Commit     string
	Host       string
	// Document is the recorded document with Plans cut down to the good
	// repetitions of the plan, in order.
	Document *report.Document
}

// SkippedRun is a run that LatestGood passed over, and why.
type SkippedRun struct {
	RunID      int64
	DocumentID int64
	Start      time.Time
	Commit     string
	Reason     string
}

// String describes the run in a line, as "#12 (2026-01-02 15:04 UTC, commit
// abc1234): interrupted".
func (r SkippedRun) String() string {
	return fmt.Sprintf("#%d (%s): %s", r.RunID, describe(r.Start, r.Commit), r.Reason)
}

// String describes the run in a line, as "#12 (2026-01-02 15:04 UTC, commit
// abc1234, 5 repetitions)".
func (g *GoodRun) String() string {
	s := describe(g.Start, g.Commit)
	if n := len(g.Document.Plans); n > 1 {
		s += fmt.Sprintf(", %d repetitions", n)
	}
	return fmt.Sprintf("#%d (%s)", g.RunID, s)
}

func describe(start time.Time, commit string) string {
	s := start.UTC().Format("2006-01-02 15:04:05 UTC")
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		s += ", commit " + commit
	}
	return s
}

// planRun is one row of runs, with its document's commit.
type planRun struct {
	id, docID int64
	start     time.Time
	commit    string
	passed    bool
	err       string
}

// LatestGood returns the last good run of plan (see BaseProblem), the base
// of perfplan run --mode regression, or nil when the store holds none. It
// also returns the newer runs of plan that it passed over, newest first,
// each with the reason.
func (s *Store) LatestGood(ctx context.Context, plan string) (*GoodRun, []SkippedRun, error) {
	docs, err := s.planRuns(ctx, plan)
	if err != nil {
		return nil, nil, err
	}
	var skipped []SkippedRun
	skip := func(r planRun, reason string) {
		skipped = append(skipped, SkippedRun{RunID: r.id, DocumentID: r.docID, Start: r.start, Commit: r.commit, Reason: reason})
	}
	for _, runs := range docs {
		// The columns rule most bad runs out without reading the document.
		candidate := false
		for _, r := range runs {
			candidate = candidate || (r.err == "" && r.passed)
		}
		if !candidate {
			reason := "assertions failed"
			if runs[0].err != "" {
				reason = "could not run: " + runs[0].err
			}
			skip(runs[0], reason)
			continue
		}
		d, err := s.document(ctx, runs[0].docID)
		if err != nil {
			return nil, nil, fmt.Errorf("history: last good run of %s: %w", plan, err)
		}
		good, first, reason := goodRepetitions(d, plan, runs)
		if len(good) == 0 {
			skip(runs[0], reason)
			continue
		}
		cp := *d
		cp.Plans = good
		r := runs[first]
		return &GoodRun{RunID: r.id, DocumentID: r.docID, Start: r.start, Commit: r.commit,
			Host: d.Environment.Host, Document: &cp}, skipped, nil
	}
	return nil, skipped, nil
}

// goodRepetitions returns the good repetitions of plan in d, the index in
// runs of the first of them, and, when there is none, why the first
// repetition is not good. runs are the plan's rows of d, in the order Append
// wrote them (the order of d.Plans).
func goodRepetitions(d *report.Document, plan string, runs []planRun) ([]report.PlanDoc, int, string) {
	var good []report.PlanDoc
	first, reason := 0, ""
	n := 0
	for i := range d.Plans {
		p := &d.Plans[i]
		if p.Name != plan {
			continue
		}
		if problem := BaseProblem(d, p); problem != "" {
			if reason == "" {
				reason = problem
			}
		} else {
			if len(good) == 0 && n < len(runs) {
				first = n
			}
			good = append(good, *p)
		}
		n++
	}
	if reason == "" {
		reason = "the plan is not in its document"
	}
	return good, first, reason
}

// planRuns returns the runs of plan grouped by document, newest document
// first, each group in the order the runs were written.
func (s *Store) planRuns(ctx context.Context, plan string) ([][]planRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.document_id, r.start, d.git_commit, r.passed, r.error
		FROM runs r JOIN documents d ON d.id = r.document_id WHERE r.plan = ? ORDER BY r.document_id DESC, r.id`, plan)
	if err != nil {
		return nil, fmt.Errorf("history: runs of %s: %w", plan, err)
	}
	defer rows.Close()
	var out [][]planRun
	for rows.Next() {
		var r planRun
		var start string
		if err := rows.Scan(&r.id, &r.docID, &start, &r.commit, &r.passed, &r.err); err != nil {
			return nil, fmt.Errorf("history: runs of %s: %w", plan, err)
		}
		r.start, _ = time.Parse(time.RFC3339Nano, start)
		if len(out) == 0 || out[len(out)-1][0].docID != r.docID {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: runs of %s: %w", plan, err)
	}
	return out, nil
}

// document reads and decodes the document with id.
func (s *Store) document(ctx context.Context, id int64) (*report.Document, error) {
	var raw string
	if err := s.db.QueryRowContext(ctx, `SELECT document FROM documents WHERE id = ?`, id).Scan(&raw); err != nil {
		return nil, fmt.Errorf("document %d: %w", id, err)
	}
	d, err := report.ReadDocument(strings.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("document %d: %w", id, err)
	}
	return d, nil
}
