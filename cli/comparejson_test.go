package cli

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/perfplan/perfplan/compare"
)

// TestCompareJSON: perfplan compare --format json parses, carries the
// regressions with severities and recommendations, a summary by severity
// and the verdict, and exits as the table does.
func TestCompareJSON(t *testing.T) {
	t.Parallel()
	base := writeDoc(t, seriesDoc(time.Millisecond, "a"))
	same := writeDoc(t, seriesDoc(time.Millisecond, "b"))
	slow := writeDoc(t, seriesDoc(1300*time.Microsecond, "c"))
	decode := func(out string) compare.JSONReport {
		t.Helper()
		var rep compare.JSONReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if rep.Schema != "perfplan-compare" || rep.SchemaVersion != 1 || len(rep.Rows) == 0 || len(rep.Summary.BySeverity) != 4 {
			t.Fatalf("header %+v", rep)
		}
		return rep
	}
	code, out, errOut := run(compareCommand, nil, "--format", "json", base, slow)
	if code != ExitFailed {
		t.Fatalf("slower: exit %d\n%s%s", code, out, errOut)
	}
	rep := decode(out)
	if rep.Verdict.Status != "regression" || !rep.Verdict.Failed || rep.Summary.Regressions == 0 || len(rep.Regressions) != rep.Summary.Regressions {
		t.Fatalf("verdict %+v summary %+v", rep.Verdict, rep.Summary)
	}
	n := 0
	for _, c := range rep.Summary.BySeverity {
		n += c
	}
	if n != rep.Summary.Regressions {
		t.Errorf("by severity %v sums to %d, want %d", rep.Summary.BySeverity, n, rep.Summary.Regressions)
	}
	r := rep.Regressions[0]
	if r.Metric == "" || r.Severity == "" || r.Change == nil || *r.Change <= 0 || r.PValue == nil || *r.PValue > 0.05 ||
		r.ChangeInterval[0] == nil || r.ChangeInterval[1] == nil || r.Recommendation == "" || !r.Failing {
		t.Errorf("regression %+v", r)
	}
	code, out, _ = run(compareCommand, nil, "--format", "json", base, same)
	if rep := decode(out); code != ExitOK || rep.Verdict.Status != "ok" || rep.Summary.Regressions != 0 || len(rep.Regressions) != 0 {
		t.Errorf("unchanged: exit %d, %+v", code, rep.Verdict)
	}
}
