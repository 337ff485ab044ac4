package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// maxSkippedNotes is how many passed-over runs a base note lists per plan.
const maxSkippedNotes = 3

// latestRuns builds the regression base from the history at path: for each
// plan, the good repetitions of its last good run (history.Store.LatestGood:
// not interrupted, ran, measured, passed). It returns the base, nil when no
// plan has a good run (or there is no history), and notes, lines that say
// for each plan which run it is compared against, or why none, and which
// newer runs were passed over.
func latestRuns(ctx context.Context, path string, plans []*plan.Plan) (*report.Document, []string, error) {
	var names []string
	seen := map[string]bool{}
	for _, p := range plans {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	if _, err := os.Stat(path); !history.IsURL(path) && errors.Is(err, os.ErrNotExist) {
		var notes []string
		for _, name := range names {
			notes = append(notes, fmt.Sprintf("plan %s: no recorded run", name))
		}
		return nil, notes, nil
	}
	if d := history.Timeout(path); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	store, err := history.OpenContext(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	var base *report.Document
	var notes []string
	for _, name := range names {
		good, skipped, err := store.LatestGood(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case good != nil:
			notes = append(notes, fmt.Sprintf("plan %s: run %s", name, good))
			if base == nil {
				cp := *good.Document
				cp.Plans = nil
				base = &cp
			}
			base.Plans = append(base.Plans, good.Document.Plans...)
		case len(skipped) == 0:
			notes = append(notes, fmt.Sprintf("plan %s: no recorded run", name))
		default:
			notes = append(notes, fmt.Sprintf("plan %s: no good run to compare with", name))
		}
		for i, s := range skipped {
			if i == maxSkippedNotes {
				notes = append(notes, fmt.Sprintf("  passed over %d more", len(skipped)-i))
				break
			}
			notes = append(notes, "  passed over "+s.String())
		}
	}
	return base, notes, nil
}

// docLabel describes a run document in a few words: when it started and at
// which commit.
func docLabel(d *report.Document) string {
	s := "run of " + d.Start.UTC().Format("2006-01-02 15:04:05 UTC")
	if c := d.Environment.GitCommit; c != "" {
		if len(c) > 12 {
			c = c[:12]
		}
		s += ", commit " + c
	}
	return s
}

// recordHistory appends doc to the history at path and says on w why not
// when it does not: history refuses an interrupted run and one in which a
// plan could not run (history.CheckRecordable), and a store that cannot be
// written is a warning. Neither changes the exit code.
//
// The write comes after the results are written, so a first interrupt
// (ctx cancelled) does not stop it; a second one (abort closed) abandons
// it at once, and history.Timeout bounds it (a PostgreSQL server that
// accepts and never answers).
func recordHistory(ctx context.Context, abort <-chan struct{}, w io.Writer, path string, doc *report.Document) {
	ctx, cancel := historyContext(ctx, abort, path)
	defer cancel()
	err := appendHistory(ctx, path, doc)
	if ctx.Err() != nil && err != nil {
		select {
		case <-abort:
			err = errors.New("abandoned on the second interrupt")
		default:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				err = fmt.Errorf("no answer within %s: %w", history.Timeout(path), err)
			}
		}
	}
	var refused *history.NotRecordableError
	switch {
	case err == nil:
	case errors.As(err, &refused):
		fmt.Fprintf(w, "perfplan: the run is not recorded in the history: %s\n", refused.Reason)
	default:
		fmt.Fprintf(w, "perfplan: warning: run not recorded in history: %v\n", err)
	}
}

// historyContext is the context of a history write after a run: ctx
// without its cancellation, cancelled when abort closes, within
// history.Timeout(path).
func historyContext(ctx context.Context, abort <-chan struct{}, path string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cancelT := context.CancelFunc(func() {})
	if d := history.Timeout(path); d > 0 {
		ctx, cancelT = context.WithTimeout(ctx, d)
	}
	stop := make(chan struct{})
	if abort != nil {
		go func() {
			select {
			case <-abort:
				cancel()
			case <-stop:
			}
		}()
	}
	return ctx, func() {
		close(stop)
		cancelT()
		cancel()
	}
}

// appendHistory records doc in the history store at path. A document that
// history.CheckRecordable refuses is not recorded, and the store is not
// created for it.
func appendHistory(ctx context.Context, path string, doc *report.Document) error {
	if err := history.CheckRecordable(doc); err != nil {
		return err
	}
	store, err := history.OpenContext(ctx, path)
	if err != nil {
		return err
	}
	if err := store.Append(ctx, doc); err != nil {
		store.Close()
		return err
	}
	return store.Close()
}
