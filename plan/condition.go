package plan

import "fmt"

// Comparison is one comparison of two numbers in a condition, Left Op Right,
// such as latency.p99 < duration("5ms"). The dsl package compiles it; the
// executor evaluates and records it, so that a report can tell by how much
// an assertion held without parsing its condition again.
type Comparison struct {
	Left, Right Expr
	// Op is one of <, <=, >, >=, == and !=.
	Op string
}

// Expr is a numeric expression over a run's metrics: one side of a
// Comparison.
type Expr interface {
	// String returns the expression's source text.
	String() string
	// Eval evaluates the expression against m. It returns an error when a
	// metric it reads has no value or the result is not a number.
	Eval(m Metrics) (float64, error)
}

// String returns the comparison's source text, "LEFT OP RIGHT".
func (c Comparison) String() string {
	return c.Left.String() + " " + c.Op + " " + c.Right.String()
}

// Outcome is a Comparison evaluated against a run's metrics.
type Outcome struct {
	Left, Right float64
	// Held reports whether Left Op Right is true.
	Held bool
}

// Eval evaluates both sides of c against m.
func (c Comparison) Eval(m Metrics) (Outcome, error) {
	l, err := c.Left.Eval(m)
	if err != nil {
		return Outcome{}, fmt.Errorf("left of %s: %w", c.Op, err)
	}
	r, err := c.Right.Eval(m)
	if err != nil {
		return Outcome{}, fmt.Errorf("right of %s: %w", c.Op, err)
	}
	return Outcome{Left: l, Right: r, Held: Compare(c.Op, l, r)}, nil
}

// Compare reports whether l op r holds, for op one of <, <=, >, >=, == and
// !=. It is false for any other op.
func Compare(op string, l, r float64) bool {
	switch op {
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	case ">=":
		return l >= r
	case "==":
		return l == r
	case "!=":
		return l != r
	}
	return false
}

// LogicOp is the kind of a Logic node.
type LogicOp int

// Logic node kinds. The zero LogicOp is LogicTerm.
const (
	// LogicTerm is a boolean expression that is neither a comparison of
	// numbers nor a combination of them, such as a conditional, a function
	// call or a bool variable. Its truth is not broken down.
	LogicTerm LogicOp = iota
	// LogicCompare is the condition's comparison number Index.
	LogicCompare
	// LogicAnd holds when every one of Args holds (&&).
	LogicAnd
	// LogicOr holds when any one of Args holds (||).
	LogicOr
	// LogicNot holds when Args[0] does not (!).
	LogicNot
)

// String returns the operator ("&&", "||", "!"), "cmp" or "term".
func (o LogicOp) String() string {
	switch o {
	case LogicCompare:
		return "cmp"
	case LogicAnd:
		return "&&"
	case LogicOr:
		return "||"
	case LogicNot:
		return "!"
	}
	return "term"
}

// Logic is a condition's boolean structure: how its verdict combines its
// comparisons through &&, || and !. Parentheses leave no trace, and chains
// such as a && b && c are one node with three Args. The zero Logic is a
// term without text: a condition whose structure is unknown.
type Logic struct {
	Op LogicOp
	// Index is the comparison's index in Condition.Comparisons
	// (LogicCompare).
	Index int
	// Args are the operands of LogicAnd, LogicOr (two or more) and
	// LogicNot (one).
	Args []Logic
	// Text is the source text of a LogicTerm.
	Text string
}

// Conjunction reports whether l is simply the conjunction of n comparisons
// in order: comparison 0 alone (n = 1), or comparisons 0 to n−1 joined by &&.
// Most conditions are.
func (l Logic) Conjunction(n int) bool {
	switch l.Op {
	case LogicCompare:
		return n == 1 && l.Index == 0
	case LogicAnd:
		if len(l.Args) != n {
			return false
		}
		for i, a := range l.Args {
			if a.Op != LogicCompare || a.Index != i {
				return false
			}
		}
		return true
	}
	return false
}
