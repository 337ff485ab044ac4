package targets

import (
	"context"
	"time"
)

// Sleeper sleeps on one reusable timer, so that a worker that sleeps on
// every operation (a simulated latency) allocates no timer per call. The
// zero value is ready to use; a Sleeper belongs to one goroutine.
type Sleeper struct{ timer *time.Timer }

// Sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the second case. A d of zero or less returns at once.
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		s.timer.Reset(d)
	}
	select {
	case <-s.timer.C:
		return nil
	case <-ctx.Done():
		s.timer.Stop()
		return ctx.Err()
	}
}
