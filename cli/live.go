package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/report/promwrite"
)

// promFormat is --out prometheus=URL: the run's metrics pushed to a
// Prometheus remote-write endpoint while it runs, not a file.
const promFormat = "prometheus"

// pushIntervalEnv names the environment variable that sets how often --out
// prometheus pushes (a Go duration; promwrite.DefaultInterval without it),
// as k6's K6_PROMETHEUS_RW_PUSH_INTERVAL does.
const pushIntervalEnv = "PERFPLAN_PROMETHEUS_PUSH_INTERVAL"

// pushInterval reads pushIntervalEnv.
func pushInterval(env Env) (time.Duration, error) {
	v := env.getenv(pushIntervalEnv)
	if v == "" {
		return promwrite.DefaultInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 100*time.Millisecond || d > time.Hour {
		return 0, fmt.Errorf("%s=%q: want a duration from 100ms to 1h", pushIntervalEnv, v)
	}
	return d, nil
}

// liveOutputs are the --out outputs that receive metrics while the run goes
// on. Their warnings (a push that failed) are printed between progress
// lines, from the goroutine that prints those, and when they close.
type liveOutputs struct {
	pushers []*promwrite.Pusher
	urls    []string
	mu      sync.Mutex
	warns   []string
}

// startLiveOutputs starts a pusher for each --out prometheus=URL (the URLs
// were checked when the flags were parsed).
func startLiveOutputs(env Env, f *runFlags) (*liveOutputs, error) {
	l := &liveOutputs{}
	for _, o := range f.outs {
		if o.format != promFormat {
			continue
		}
		every, err := pushInterval(env)
		if err != nil {
			return nil, err
		}
		p, err := promwrite.Start(promwrite.Options{URL: o.path, Interval: every, UserAgent: "perfplan/" + Version(), Warn: l.warn})
		if err != nil {
			l.close(io.Discard)
			return nil, fmt.Errorf("--out %s=%s: %w", promFormat, promwrite.Redact(o.path), err)
		}
		l.pushers = append(l.pushers, p)
		// Echoed in messages: without a password.
		l.urls = append(l.urls, promwrite.Redact(o.path))
	}
	return l, nil
}

func (l *liveOutputs) warn(msg string) {
	l.mu.Lock()
	l.warns = append(l.warns, msg)
	l.mu.Unlock()
}

// flush prints the warnings received so far.
func (l *liveOutputs) flush(w io.Writer) {
	l.mu.Lock()
	warns := l.warns
	l.warns = nil
	l.mu.Unlock()
	for _, m := range warns {
		fmt.Fprintln(w, "perfplan: warning:", m)
	}
}

// observer returns the observer of one plan's run: next, with every live
// output recording the run's metrics.
func (l *liveOutputs) observer(plan string, next executor.Observer, stderr io.Writer) executor.Observer {
	if len(l.pushers) == 0 {
		return next
	}
	obs := next
	for _, p := range l.pushers {
		obs = p.Observer(plan, obs)
	}
	return &warnObserver{IntervalObserver: obs.(executor.IntervalObserver), l: l, w: stderr}
}

// close pushes what is left and says what was pushed.
func (l *liveOutputs) close(w io.Writer) {
	for i, p := range l.pushers {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := p.Close(ctx)
		cancel()
		l.flush(w)
		pushed, dropped := p.Stats()
		switch {
		case err != nil:
			fmt.Fprintf(w, "perfplan: warning: --out %s=%s: %d samples pushed, %d not delivered: %v\n", promFormat, l.urls[i], pushed, dropped, err)
		default:
			fmt.Fprintf(w, "pushed %d samples to %s\n", pushed, l.urls[i])
		}
	}
}

// warnObserver prints the live outputs' warnings before each progress
// report.
type warnObserver struct {
	executor.IntervalObserver
	l *liveOutputs
	w io.Writer
}

func (o *warnObserver) Progress(p executor.Progress) {
	o.l.flush(o.w)
	o.IntervalObserver.Progress(p)
}
