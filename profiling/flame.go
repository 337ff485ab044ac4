package profiling

import (
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// FlameNode is a frame of a flame graph: a function, the CPU time of the
// samples whose stack passed through it at this place in the call tree,
// and its callees. Kind colours it: "std" (Go's standard library and
// runtime), "perfplan" or "other" (the target's and its libraries' code).
type FlameNode struct {
	Name string
	// Value is the time of the samples whose stack passes through the
	// node; Flat, of those whose stack ends at it (its own time).
	Value, Flat int64
	Kind        string
	Children    []*FlameNode
}

// Hidden is the time of the node's callees that the graph left out
// (below its minimum share): its value less its own time and its drawn
// children's.
func (n *FlameNode) Hidden() int64 {
	v := n.Value - n.Flat
	for _, c := range n.Children {
		v -= c.Value
	}
	return v
}

// Flame builds the call tree of p's CPU time, from the root (the
// outermost frame) down, inlined frames included, for a flame graph drawn
// top-down. The root is named root. Children are sorted by name, as flame
// graphs sort them, so that the same stacks line up from one graph to the
// next. A frame whose time is below minFrac of the total is left out with
// its callees: its time stays in its caller's width (shown as the
// caller's own), which bounds the graph's size. It uses the sample type
// "cpu" (nanoseconds), else the profile's last; nil when p has no time.
func Flame(p *profile.Profile, root string, minFrac float64) *FlameNode {
	if p == nil || len(p.SampleType) == 0 {
		return nil
	}
	vi := valueIndex(p, "cpu")
	if vi < 0 {
		vi = len(p.SampleType) - 1
	}
	top := &FlameNode{Name: root, Kind: "perfplan"}
	index := map[*FlameNode]map[string]*FlameNode{}
	for _, s := range p.Sample {
		v := s.Value[vi]
		if v <= 0 {
			continue
		}
		top.Value += v
		n := top
		stack := stackFuncs(s)
		for i := len(stack) - 1; i >= 0; i-- {
			kids := index[n]
			if kids == nil {
				kids = map[string]*FlameNode{}
				index[n] = kids
			}
			c := kids[stack[i]]
			if c == nil {
				c = &FlameNode{Name: stack[i], Kind: frameKind(stack[i])}
				kids[stack[i]] = c
				n.Children = append(n.Children, c)
			}
			c.Value += v
			n = c
		}
		n.Flat += v
	}
	if top.Value == 0 {
		return nil
	}
	prune(top, int64(minFrac*float64(top.Value)))
	return top
}

// prune drops the children below min, recursively, and sorts the rest by
// name.
func prune(n *FlameNode, min int64) {
	n.Children = slices.DeleteFunc(n.Children, func(c *FlameNode) bool { return c.Value < min || c.Value == 0 })
	slices.SortFunc(n.Children, func(a, b *FlameNode) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range n.Children {
		prune(c, min)
	}
}

// frameKind is the colour class of function f.
func frameKind(f string) string {
	switch {
	case strings.HasPrefix(f, "github.com/perfplan/perfplan/"):
		return "perfplan"
	case stdlib(f):
		return "std"
	}
	return "other"
}

// Depth is the number of levels of the tree under n, n included.
func (n *FlameNode) Depth() int {
	d := 0
	for _, c := range n.Children {
		d = max(d, c.Depth())
	}
	return d + 1
}
