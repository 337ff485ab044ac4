package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/report/html"
)

// historyDefaultMetrics are shown when --metric is not given.
var historyDefaultMetrics = []string{"latency.p50", "latency.p99", "throughput", "error_rate"}

// historyCommand is `perfplan history [PLAN] [--metric M]`: each metric's
// series with its trend and change points.
func historyCommand(env Env, args []string) int {
	fs := newFlagSet("history", "history [flags] [PLAN]", env.Stderr)
	path := fs.String("history", "", "history database: a SQLite file or a postgres:// URL (default $"+history.EnvVar+" or "+history.DefaultPath+")")
	var metrics []string
	fs.Func("metric", "metric to show, as named in assertions (repeatable; default latency.p50, latency.p99, throughput, error_rate)", func(s string) error {
		metrics = append(metrics, s)
		return nil
	})
	opts := series.DefaultChangePointOptions()
	intVar(fs, &opts.Window, "window", opts.Window, intRange{min: minWindow, max: maxWindow}, "E-Divisive sliding window length: `N` runs")
	float64Var(fs, &opts.MaxP, "max-p", opts.MaxP, floatRange{min: 0, max: 1, minOpen: true}, "largest p-value `P` of a change point")
	fs.Var(percentFlag{&opts.MinMagnitude}, "min-magnitude", "smallest relative shift reported as a change point (e.g. 5%)")
	intVar(fs, &opts.MinSize, "min-run", opts.MinSize, intRange{min: 1, max: maxWindow}, "fewest `N` runs on either side of a change point (Otava: 1)")
	var last int
	intVar(fs, &last, "last", 30, intRange{min: 0, max: math.MaxInt}, "print at most `N` of the latest points per series (0 = all)")
	format := fs.String("format", "table", "output format: table, or html (a chart per series with its change points)")
	var noColor bool // history prints no colour; accepted as every command accepts it
	addNoColorFlag(fs, &noColor)
	pos, code, done := parseCommand(fs, args)
	if done {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(env.Stderr, "perfplan history: at most one plan name")
		return ExitUsage
	}
	if 2*opts.MinSize > opts.Window {
		fmt.Fprintf(env.Stderr, "perfplan history: --min-run %d needs a window of at least %d runs (--window %d)\n", opts.MinSize, 2*opts.MinSize, opts.Window)
		return ExitUsage
	}
	if *format != "table" && *format != "html" {
		fmt.Fprintf(env.Stderr, "perfplan history: unknown format %q (want table or html)\n", *format)
		return ExitUsage
	}
	plan := ""
	if len(pos) == 1 {
		plan = pos[0]
	}
	if len(metrics) == 0 {
		metrics = historyDefaultMetrics
	}
	dbPath := history.ResolvePath(*path, env.getenv)
	if !history.IsURL(dbPath) {
		// Reading creates nothing: no file means no runs recorded yet.
		if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(env.Stdout, "no history at %s: no run has been recorded there yet (perfplan run records each run)\n", dbPath)
			return ExitOK
		}
	}
	store, err := history.Open(dbPath)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan history:", err)
		return ExitUsage
	}
	defer store.Close()
	if *format == "html" {
		if err := writeHistoryHTML(context.Background(), env.Stdout, store, plan, metrics, opts); err != nil {
			fmt.Fprintln(env.Stderr, "perfplan history:", err)
			return ExitFailed
		}
		return ExitOK
	}
	if err := printHistory(context.Background(), env.Stdout, store, plan, metrics, opts, last); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan history:", err)
		return ExitFailed
	}
	return ExitOK
}

// analysedSeries is one stored series of the history with its analysis:
// the least-squares trend and the change points.
type analysedSeries struct {
	key     series.Key
	points  []series.Point
	trend   series.Trend
	changes []series.ChangePoint
}

// loadSeries reads, in the store's key order, every non-empty series of
// plan (every plan when plan is "") whose metric is one of metrics, with
// its trend and its change points.
func loadSeries(ctx context.Context, store *history.Store, plan string, metrics []string, opts series.ChangePointOptions) ([]analysedSeries, error) {
	keys, err := store.Keys(ctx, plan)
	if err != nil {
		return nil, err
	}
	var out []analysedSeries
	for _, k := range keys {
		if !slices.Contains(metrics, k.Metric) {
			continue
		}
		pts, err := store.Series(ctx, k)
		if err != nil {
			return nil, err
		}
		if len(pts) == 0 {
			continue
		}
		values := make([]float64, len(pts))
		for i, p := range pts {
			values[i] = p.Value
		}
		out = append(out, analysedSeries{key: k, points: pts, trend: series.FitTrend(values), changes: series.ChangePoints(values, opts)})
	}
	return out, nil
}

func printHistory(ctx context.Context, w io.Writer, store *history.Store, plan string, metrics []string, opts series.ChangePointOptions, last int) error {
	all, err := loadSeries(ctx, store, plan, metrics, opts)
	if err != nil {
		return err
	}
	described := map[string]bool{}
	for _, s := range all {
		k, pts, tr := s.key, s.points, s.trend
		fmt.Fprintf(w, "\n%s/%s %s: %d runs, trend %s (%+.2f%%/run, slope %s/run, R² %.2f)\n",
			k.Plan, k.Scenario, k.Metric, len(pts), tr.Direction, 100*tr.RelSlope, fmtHistory(k.Metric, tr.Slope), tr.R2)
		marks := map[int]series.ChangePoint{}
		for _, cp := range s.changes {
			marks[cp.Index] = cp
			p := pts[cp.Index]
			fmt.Fprintf(w, "  change point at run #%d (%s, commit %s): %s → %s (%+.1f%%, p=%.2g)\n",
				p.RunID, p.Start.Format("2006-01-02 15:04"), report.CommitCell(p.Commit), fmtHistory(k.Metric, cp.MeanBefore), fmtHistory(k.Metric, cp.MeanAfter), 100*cp.Magnitude, cp.P)
			if err := changeProfiles(ctx, w, store, k, pts, s.changes, cp.Index, described); err != nil {
				return err
			}
		}
		from := 0
		if last > 0 && len(pts) > last {
			from = len(pts) - last
			fmt.Fprintf(w, "  … %d earlier runs\n", from)
		}
		for i := from; i < len(pts); i++ {
			p := pts[i]
			mark := ""
			if cp, ok := marks[i]; ok {
				mark = fmt.Sprintf("  ◀ shift %+.1f%%", 100*cp.Magnitude)
			}
			fmt.Fprintf(w, "  #%-5d %s %-12s %10s%s\n", p.RunID, p.Start.Format("2006-01-02 15:04"), report.CommitCell(p.Commit), fmtHistory(k.Metric, p.Value), mark)
		}
	}
	if len(all) == 0 {
		fmt.Fprintf(w, "no history for %s (metrics %s)\n", orAll(plan), strings.Join(metrics, ", "))
	}
	return nil
}

func orAll(plan string) string {
	if plan == "" {
		return "any plan"
	}
	return "plan " + plan
}

func fmtHistory(metric string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	if v < 0 && (strings.Contains(metric, "latency.") || strings.HasSuffix(metric, "throughput")) {
		return "-" + report.FormatMetric(metric, -v)
	}
	return report.FormatMetric(metric, v)
}

// writeHistoryHTML writes the history view of plan's metrics (package
// report/html).
func writeHistoryHTML(ctx context.Context, w io.Writer, store *history.Store, plan string, metrics []string, opts series.ChangePointOptions) error {
	all, err := loadSeries(ctx, store, plan, metrics, opts)
	if err != nil {
		return err
	}
	h := &html.History{Store: store.Path(), Subject: orAll(plan), Version: Version(), Metrics: metrics, Options: opts, Format: fmtHistory}
	for _, a := range all {
		h.Series = append(h.Series, html.HistorySeries{Key: a.key, Points: a.points, Trend: a.trend, Changes: a.changes})
	}
	return html.WriteHistory(w, h)
}
