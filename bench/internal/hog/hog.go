// Package hog burns CPU at set duty cycles, in child processes, so that a
// harness can measure perfplan beside a busy neighbour it does not control.
//
// A harness starts the hog with Start, naming its own executable and the
// arguments that make it call Burn; each child burns one busy loop at one
// duty cycle until its standard input closes (the parent stopped it, or
// died) or it is killed.
package hog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// DefaultPeriod is the length of one busy-then-idle cycle.
const DefaultPeriod = 50 * time.Millisecond

// Split returns the busy and idle parts of one period at duty cycle duty,
// clamped to [0, 1].
func Split(period time.Duration, duty float64) (busy, idle time.Duration) {
	duty = min(max(duty, 0), 1)
	busy = time.Duration(float64(period) * duty)
	return busy, period - busy
}

// ParseDuties parses a comma-separated list of duty cycles such as
// "1,0.7,0.4" (or in percent, "100%,70%,40%"); each must lie in (0, 1].
func ParseDuties(s string) ([]float64, error) {
	var ds []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		scale := 1.0
		if p, ok := strings.CutSuffix(f, "%"); ok {
			f, scale = p, 0.01
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("duty cycle %q: %w", f, err)
		}
		v *= scale
		if !(v > 0 && v <= 1) {
			return nil, fmt.Errorf("duty cycle %q: want a fraction in (0, 1] or a percentage in (0%%, 100%%]", f)
		}
		ds = append(ds, v)
	}
	return ds, nil
}

// Burn spins one busy loop at duty cycle duty (busy for its share of each
// period, asleep for the rest) until ctx is done.
func Burn(ctx context.Context, duty float64, period time.Duration) {
	busy, idle := Split(period, duty)
	x := uint64(1)
	for ctx.Err() == nil {
		end := time.Now().Add(busy)
		for time.Now().Before(end) {
			for range 1000 {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		if idle > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(idle):
			}
		}
	}
	runtime.KeepAlive(x)
}

// Child runs in a hog child process: it burns at duty until its standard
// input reaches end of file (the parent closed it or died) or ctx is done.
func Child(ctx context.Context, duty float64, period time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	Burn(ctx, duty, period)
}

// Hog is a set of running child processes, one a duty cycle.
type Hog struct {
	cmds  []*exec.Cmd
	pipes []io.WriteCloser
}

// Start starts one child process a duty cycle: exe with args(duty). The
// child must call Child. Stop ends them.
func Start(exe string, args func(duty float64) []string, duties []float64) (*Hog, error) {
	h := &Hog{}
	for _, d := range duties {
		cmd := exec.Command(exe, args(d)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		w, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			_ = h.Stop()
			return nil, fmt.Errorf("start hog at duty %g: %w", d, err)
		}
		h.cmds, h.pipes = append(h.cmds, cmd), append(h.pipes, w)
	}
	return h, nil
}

// Stop closes each child's standard input, waits up to two seconds for it
// to exit and kills it otherwise. Stopping a nil or stopped Hog does
// nothing.
func (h *Hog) Stop() error {
	if h == nil {
		return nil
	}
	for _, w := range h.pipes {
		_ = w.Close()
	}
	var errs []error
	for _, cmd := range h.cmds {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				errs = append(errs, err)
			}
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	h.cmds, h.pipes = nil, nil
	return errors.Join(errs...)
}
