//go:build !linux

package http

// idlePeeker is Linux's; elsewhere a closed idle connection is found when a
// request fails on it (see fastWorker.send).
type idlePeeker struct{}

func newIdlePeeker(*countedConn) *idlePeeker { return nil }

func (p *idlePeeker) stale() bool { return false }
