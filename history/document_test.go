package history

import (
	"bytes"
	"context"
	"testing"

	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/report"
)

// TestDocumentKeepsProfiles: a run document's profiles (perfplan run
// --profile) are stored with it and come back byte for byte, in SQLite and
// in PostgreSQL; an unknown id gives nil.
func TestDocumentKeepsProfiles(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(*testing.T) *Store) {
		ctx := context.Background()
		s := open(t)
		d := doc("p", 5, "c0", 1)
		prof := &report.ProfileDoc{CPU: []byte{0x1f, 0x8b, 0, 1, 2, 255}, Allocs: []byte("allocs"), Remote: []byte("remote"),
			RemoteURL: "http://127.0.0.1:6060/debug/pprof/profile", Overlapped: []string{"other"}, Notes: []string{"a note"}}
		d.Plans[0].Scenarios[0].Profile = prof
		if err := s.Append(ctx, d); err != nil {
			t.Fatal(err)
		}
		pts, err := s.Series(ctx, series.Key{Plan: "p", Scenario: "steady", Metric: "latency.p99"})
		if err != nil || len(pts) != 1 {
			t.Fatalf("series %v, %v", pts, err)
		}
		got, err := s.Document(ctx, pts[0].DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		gp := got.Plans[0].Scenarios[0].Profile
		if gp == nil || !bytes.Equal(gp.CPU, prof.CPU) || !bytes.Equal(gp.Allocs, prof.Allocs) || !bytes.Equal(gp.Remote, prof.Remote) ||
			gp.RemoteURL != prof.RemoteURL || len(gp.Overlapped) != 1 || len(gp.Notes) != 1 {
			t.Errorf("profile read back %+v, want %+v", gp, prof)
		}
		if none, err := s.Document(ctx, pts[0].DocumentID+100); none != nil || err != nil {
			t.Errorf("unknown id: %v, %v", none, err)
		}
	})
}
