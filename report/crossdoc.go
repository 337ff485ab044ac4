package report

import (
	"fmt"
	"io"
	"math"

	"github.com/perfplan/perfplan/executor"
)

// DuetDoc is the paired comparison of a duet block: each member after the
// first against the first, figure by figure, from the pairs of intervals
// the members ran at the same time.
type DuetDoc struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
	// Method names the pairing statistics.
	Method  string          `json:"method"`
	Figures []DuetFigureDoc `json:"figures"`
	Notes   []string        `json:"notes,omitempty"`
}

// DuetFigureDoc is one figure of one member against the reference. Change,
// Low and High are fractions (0.05 is 5 % higher), absent when there is no
// verdict (Declined, with Reason).
type DuetFigureDoc struct {
	Member     string   `json:"member"`
	Figure     string   `json:"figure"`
	Pairs      int      `json:"pairs"`
	Change     *float64 `json:"change,omitempty"`
	Low        *float64 `json:"low,omitempty"`
	High       *float64 `json:"high,omitempty"`
	P          *float64 `json:"p,omitempty"`
	Confidence float64  `json:"confidence"`
	BatchSize  int      `json:"batch_size,omitempty"`
	Batches    int      `json:"batches,omitempty"`
	Declined   bool     `json:"declined,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// addCross adds r's plan-level assertions and duets to pd.
func addCross(pd *PlanDoc, r *executor.Result) {
	for _, a := range r.Assertions {
		pd.Assertions = append(pd.Assertions, assertionDoc(a))
	}
	for _, d := range r.Duets {
		dd := DuetDoc{Name: d.Name, Members: d.Members, Method: d.Method, Notes: d.Notes, Figures: []DuetFigureDoc{}}
		for _, f := range d.Figures {
			res := f.Result
			fd := DuetFigureDoc{Member: f.Member, Figure: f.Figure, Pairs: res.Pairs, Confidence: res.Confidence,
				BatchSize: res.BatchSize, Batches: res.Batches, Declined: res.Declined, Reason: res.Reason}
			fd.Change, fd.Low, fd.High, fd.P = finite(res.Change), finite(res.Low), finite(res.High), finite(res.P)
			dd.Figures = append(dd.Figures, fd)
		}
		pd.Duets = append(pd.Duets, dd)
	}
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// writeDuets prints each duet's paired differences, one line per member
// and figure.
func writeDuets(w io.Writer, p *PlanDoc) {
	for _, d := range p.Duets {
		fmt.Fprintf(w, "duet %s (%s):\n", d.Name, d.Method)
		for _, f := range d.Figures {
			if f.Declined || f.Change == nil {
				fmt.Fprintf(w, "  %s vs %s  %-12s no verdict: %s\n", f.Member, d.Members[0], f.Figure, f.Reason)
				continue
			}
			sig := "~"
			if *f.Low > 0 || *f.High < 0 {
				sig = "significant"
			}
			fmt.Fprintf(w, "  %s vs %s  %-12s %+6.1f%% [%+.1f%%, %+.1f%%] @%.0f%%  %s  (%d pairs, %d batches of %d)\n",
				f.Member, d.Members[0], f.Figure, 100**f.Change, 100**f.Low, 100**f.High, 100*f.Confidence, sig, f.Pairs, f.Batches, f.BatchSize)
		}
		for _, n := range d.Notes {
			fmt.Fprintln(w, "  note: "+n)
		}
	}
}

// AssertionGroups returns the plan's scenarios followed, when the plan has
// plan-level assertions, by a scenario named "(plan)" that holds only them,
// so that the assertion tables list both.
func AssertionGroups(p *PlanDoc) []ScenarioDoc {
	if len(p.Assertions) == 0 {
		return p.Scenarios
	}
	return append(append([]ScenarioDoc(nil), p.Scenarios...), ScenarioDoc{Name: "(plan)", Assertions: p.Assertions})
}
