package plan

import (
	"errors"
	"testing"
)

type num float64

func (n num) String() string                { return "n" }
func (n num) Eval(Metrics) (float64, error) { return float64(n), nil }

type broken struct{}

func (broken) String() string                { return "broken" }
func (broken) Eval(Metrics) (float64, error) { return 0, errors.New("no value") }

func TestComparisonEval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		l, r    Expr
		op      string
		want    Outcome
		wantErr bool
	}{
		{l: num(1), op: "<", r: num(2), want: Outcome{1, 2, true}},
		{l: num(2), op: "<", r: num(2), want: Outcome{2, 2, false}},
		{l: num(2), op: "<=", r: num(2), want: Outcome{2, 2, true}},
		{l: num(3), op: ">", r: num(2), want: Outcome{3, 2, true}},
		{l: num(2), op: ">=", r: num(3), want: Outcome{2, 3, false}},
		{l: num(2), op: "==", r: num(2), want: Outcome{2, 2, true}},
		{l: num(2), op: "!=", r: num(2), want: Outcome{2, 2, false}},
		{l: num(2), op: "~", r: num(2), want: Outcome{2, 2, false}},
		{l: broken{}, op: "<", r: num(2), wantErr: true},
		{l: num(1), op: "<", r: broken{}, wantErr: true},
	} {
		c := Comparison{Left: tc.l, Op: tc.op, Right: tc.r}
		got, err := c.Eval(nil)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v (error %v)", c, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestLogicConjunction(t *testing.T) {
	t.Parallel()
	cmp := func(i int) Logic { return Logic{Op: LogicCompare, Index: i} }
	for _, tc := range []struct {
		name string
		l    Logic
		n    int
		want bool
	}{
		{"one comparison", cmp(0), 1, true},
		{"one of two", cmp(0), 2, false},
		{"and", Logic{Op: LogicAnd, Args: []Logic{cmp(0), cmp(1), cmp(2)}}, 3, true},
		{"and out of order", Logic{Op: LogicAnd, Args: []Logic{cmp(1), cmp(0)}}, 2, false},
		{"and of a term", Logic{Op: LogicAnd, Args: []Logic{cmp(0), {Text: "var.x"}}}, 1, false},
		{"or", Logic{Op: LogicOr, Args: []Logic{cmp(0), cmp(1)}}, 2, false},
		{"not", Logic{Op: LogicNot, Args: []Logic{cmp(0)}}, 1, false},
		{"zero", Logic{}, 0, false},
	} {
		if got := tc.l.Conjunction(tc.n); got != tc.want {
			t.Errorf("%s: Conjunction(%d) = %v, want %v", tc.name, tc.n, got, tc.want)
		}
	}
	for op, want := range map[LogicOp]string{LogicTerm: "term", LogicCompare: "cmp", LogicAnd: "&&", LogicOr: "||", LogicNot: "!"} {
		if op.String() != want {
			t.Errorf("LogicOp %d = %q, want %q", op, op.String(), want)
		}
	}
}
