package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report"
)

// progress is a live display of a running plan.
type progress interface {
	executor.Observer
	// Close stops the display; it returns after the last line is drawn.
	Close()
}

// newProgress picks the display: mpb bars on a terminal, a plain line per
// scenario every few seconds without one (CI), nothing with --quiet.
func newProgress(env Env, quiet bool, every time.Duration) progress {
	switch {
	case quiet:
		return nopProgress{}
	case env.StderrTTY && env.getenv("CI") == "":
		return newBarProgress(env.Stderr)
	}
	return &lineProgress{w: env.Stderr, every: every, last: map[string]time.Time{}}
}

type nopProgress struct{}

func (nopProgress) ScenarioStart(string, time.Duration)  {}
func (nopProgress) Progress(executor.Progress)           {}
func (nopProgress) ScenarioEnd(*executor.ScenarioResult) {}
func (nopProgress) Close()                               {}

// lineProgress prints plain progress lines, for logs without a terminal.
type lineProgress struct {
	mu    sync.Mutex
	w     io.Writer
	every time.Duration
	last  map[string]time.Time
}

func (l *lineProgress) ScenarioStart(name string, planned time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last[name] = time.Now()
	if planned > 0 {
		fmt.Fprintf(l.w, "[%s] started, planned %s\n", name, report.Duration(planned))
		return
	}
	fmt.Fprintf(l.w, "[%s] started\n", name)
}

func (l *lineProgress) Progress(p executor.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.last[p.Scenario]) < l.every {
		return
	}
	l.last[p.Scenario] = time.Now()
	fmt.Fprintf(l.w, "[%s] %s  %s\n", p.Scenario, position(p), stats(p))
}

func (l *lineProgress) ScenarioEnd(r *executor.ScenarioResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "[%s] done in %s: %d ops, %s, %d errors\n", r.Name, report.Duration(r.Elapsed), r.Total.Ops, report.Rate(r.Total.Throughput), r.Total.Errors)
}

func (l *lineProgress) Close() {}

func position(p executor.Progress) string {
	// Tenths of a second from a second on, so that a live figure does not
	// flicker; milliseconds below, so that a short run does not read 0.
	el := p.Elapsed.Truncate(time.Millisecond)
	if el >= time.Second {
		el = el.Truncate(100 * time.Millisecond)
	}
	if p.Total > 0 {
		return fmt.Sprintf("%d/%d iterations in %s", p.Done, p.Total, report.Duration(el))
	}
	if p.Planned > 0 {
		return report.Duration(el) + "/" + report.Duration(p.Planned)
	}
	return report.Duration(el)
}

func stats(p executor.Progress) string {
	s := fmt.Sprintf("%s  vus=%d  ops=%d  errors=%d", report.Rate(p.Rate), p.ActiveVUs, p.Ops, p.Errors)
	if p.Dropped > 0 {
		s += fmt.Sprintf("  dropped=%d", p.Dropped)
	}
	return s
}

// barWidth is the width of a progress bar, in columns.
const barWidth = 32

// barProgress draws one mpb bar per scenario: elapsed time against the
// planned length (or iterations against their total), current rate, active
// workers and errors.
type barProgress struct {
	mu     sync.Mutex
	p      *mpb.Progress
	bars   map[string]*mpb.Bar
	latest map[string]executor.Progress
}

// newBarProgress draws on w, a terminal. A test passes opts to draw into a
// buffer (mpb.WithAutoRefresh, mpb.WithWidth for the line's width).
func newBarProgress(w io.Writer, opts ...mpb.ContainerOption) *barProgress {
	return &barProgress{
		p:      mpb.New(append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithRefreshRate(200 * time.Millisecond)}, opts...)...),
		bars:   map[string]*mpb.Bar{},
		latest: map[string]executor.Progress{},
	}
}

func (b *barProgress) snapshot(name string) executor.Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latest[name]
}

func (b *barProgress) ScenarioStart(name string, planned time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latest[name] = executor.Progress{Scenario: name, Planned: planned}
	bar := b.p.AddBar(0,
		mpb.BarWidth(barWidth),
		mpb.PrependDecorators(
			// DSyncWidth pads each column to its widest across the
			// bars, so that the bars line up.
			decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace | decor.DSyncWidth}),
			decor.Any(func(decor.Statistics) string { return position(b.snapshot(name)) }, decor.WC{C: decor.DindentRight | decor.DSyncWidth}),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string { return stats(b.snapshot(name)) }),
		),
	)
	if planned > 0 {
		bar.SetTotal(planned.Milliseconds(), false)
	}
	b.bars[name] = bar
}

func (b *barProgress) Progress(p executor.Progress) {
	b.mu.Lock()
	b.latest[p.Scenario] = p
	bar := b.bars[p.Scenario]
	b.mu.Unlock()
	if bar == nil {
		return
	}
	if p.Total > 0 {
		bar.SetTotal(p.Total, false)
		bar.SetCurrent(p.Done)
		return
	}
	bar.SetCurrent(p.Elapsed.Milliseconds())
}

func (b *barProgress) ScenarioEnd(r *executor.ScenarioResult) {
	b.mu.Lock()
	bar := b.bars[r.Name]
	p := b.latest[r.Name]
	p.Elapsed, p.Ops, p.Errors, p.Dropped = r.Elapsed, r.Total.Ops, r.Total.Errors, r.Dropped
	p.Rate = r.Total.Throughput
	if p.Total > 0 {
		p.Done = p.Total
	}
	b.latest[r.Name] = p
	b.mu.Unlock()
	if bar != nil {
		// A finished bar is full: its total is what was done (the
		// iterations, or the elapsed milliseconds).
		done := p.Total
		if done <= 0 {
			done = max(r.Elapsed.Milliseconds(), 1)
		}
		bar.SetTotal(done, false)
		bar.SetCurrent(done)
		bar.SetTotal(-1, true)
	}
}

func (b *barProgress) Close() {
	b.mu.Lock()
	for _, bar := range b.bars {
		if !bar.Completed() {
			bar.Abort(false)
		}
	}
	b.mu.Unlock()
	b.p.Wait()
}
