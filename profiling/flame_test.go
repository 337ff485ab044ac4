package profiling

import (
	"fmt"
	"strings"
	"testing"
)

// flameText prints a flame tree a node a line, indented by depth, with
// its value in samples of 10ms.
func flameText(n *FlameNode, depth int, b *strings.Builder) {
	fmt.Fprintf(b, "%s%s %d %s\n", strings.Repeat("  ", depth), ShortName(n.Name), n.Value/10_000_000, n.Kind)
	for _, c := range n.Children {
		flameText(c, depth+1, b)
	}
}

// TestFlame checks the call tree of cpuSide's stacks: top-down from the
// root, children sorted by name, values summed where stacks share a
// prefix, colour classes by package, and a frame under the minimum share
// left out with its callees (its time kept in its caller's).
func TestFlame(t *testing.T) {
	t.Parallel()
	p := cpuSide(100).roundTrip(t) // 300 parse, 100 check, 100 now under check, 50 record: 550
	for _, tc := range []struct {
		name    string
		minFrac float64
		want    string
	}{
		{"all", 0, `s 550 perfplan
  executor.(*worker).closedLoop 550 perfplan
    db.(*worker).Do 500 other
      db.checksumRow 200 other
        time.Now 100 std
      db.parseRow 300 other
    metrics.(*Recorder).Record 50 perfplan
`},
		{"pruned", 0.1, `s 550 perfplan
  executor.(*worker).closedLoop 550 perfplan
    db.(*worker).Do 500 other
      db.checksumRow 200 other
        time.Now 100 std
      db.parseRow 300 other
`},
		{"pruned deeper", 0.4, `s 550 perfplan
  executor.(*worker).closedLoop 550 perfplan
    db.(*worker).Do 500 other
      db.parseRow 300 other
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := Flame(p, "s", tc.minFrac)
			var b strings.Builder
			flameText(root, 0, &b)
			if b.String() != tc.want {
				t.Errorf("got:\n%swant:\n%s", b.String(), tc.want)
			}
		})
	}
	root := Flame(p, "s", 0.4)
	do := root.Children[0].Children[0]
	if do.Flat != 0 || do.Hidden() != 200*10_000_000 || root.Depth() != 4 {
		t.Errorf("Do: own time %d (want 0), hidden %d (want checksumRow's 200 samples, left out), depth %d", do.Flat, do.Hidden(), root.Depth())
	}
	if parse := do.Children[0]; parse.Flat != parse.Value || parse.Hidden() != 0 {
		t.Errorf("parseRow, a leaf: own %d of %d, hidden %d", parse.Flat, parse.Value, parse.Hidden())
	}
	if Flame(nil, "s", 0) != nil || Flame(newCPU().roundTrip(t), "s", 0) != nil {
		t.Error("a flame graph of no samples")
	}
}
