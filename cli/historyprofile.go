package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/history/series"
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// changeRuns is how many recorded runs on each side of a change point
// perfplan history merges to say which functions grew.
const changeRuns = 3

// changeProfiles prints, under a change point of a series, the functions
// whose CPU time per operation (and allocations) grew between the runs just
// before it and the runs from it on (up to changeRuns each side, within
// the segment), when those runs carry profiles (perfplan run --profile).
// seen holds the change points already described, by plan, scenario and
// document, so a shift that several metrics show is described once.
func changeProfiles(ctx context.Context, w io.Writer, store *history.Store, k series.Key, pts []series.Point, changes []series.ChangePoint, at int, seen map[string]bool) error {
	key := fmt.Sprintf("%s\x00%s\x00%d", k.Plan, k.Scenario, pts[at].DocumentID)
	if seen[key] {
		fmt.Fprintln(w, "    what grew: as above")
		return nil
	}
	// The segment boundaries: the neighbouring change points.
	lo, hi := 0, len(pts)
	for _, cp := range changes {
		if cp.Index < at && cp.Index > lo {
			lo = cp.Index
		}
		if cp.Index > at && cp.Index < hi {
			hi = cp.Index
		}
	}
	load := func(from, to int) ([]*report.ScenarioDoc, error) {
		var out []*report.ScenarioDoc
		for i := from; i < to; i++ {
			d, err := store.Document(ctx, pts[i].DocumentID)
			if err != nil {
				return nil, err
			}
			if d == nil {
				continue
			}
			for pi := range d.Plans {
				pd := &d.Plans[pi]
				if pd.Name != k.Plan || pd.Error != "" {
					continue
				}
				for si := range pd.Scenarios {
					if s := &pd.Scenarios[si]; s.Name == k.Scenario && s.Profile != nil {
						out = append(out, s)
					}
				}
			}
		}
		return out, nil
	}
	before, err := load(max(lo, at-changeRuns), at)
	if err != nil {
		return err
	}
	after, err := load(at, min(hi, at+changeRuns))
	if err != nil {
		return err
	}
	if len(before) == 0 || len(after) == 0 {
		return nil // no profiles on a side: nothing to say
	}
	seen[key] = true
	d, err := profiling.DiffScenarios(before, after, profiling.DefaultTop)
	if err != nil {
		fmt.Fprintf(w, "    what grew: the profiles could not be read: %v\n", err)
		return nil
	}
	fmt.Fprintf(w, "    what grew (profiles of %d run(s) before, %d from the change point):\n", len(before), len(after))
	d.WriteText(w, "    ")
	return nil
}
