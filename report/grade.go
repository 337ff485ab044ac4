package report

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Grade words and their lower bounds.
const (
	GradeExcellent = "Excellent" // score ≥ 90
	GradeGood      = "Good"      // 75 ≤ score < 90
	GradeFair      = "Fair"      // 60 ≤ score < 75
	GradePoor      = "Poor"      // score < 60
)

// Grading constants; see GRADE.md.
const (
	// gradeFullMargin is the relative headroom at which a passing comparison
	// scores 100, and the relative miss at which a failing one scores 0.
	gradeFullMargin = 0.5
	// gradePassFloor is the score of a comparison that holds with no
	// headroom at all: the boundary between Fair and Poor.
	gradePassFloor = 60.0
	// gradeFailedCap is the best score a plan with a failed assertion (or an
	// interrupted plan) can get: the top of Fair.
	gradeFailedCap = 74.0
)

// GradeWord returns the word for a score: Excellent at 90 and above, Good at
// 75 to 89, Fair at 60 to 74 and Poor below 60.
func GradeWord(score float64) string {
	switch {
	case score >= 90:
		return GradeExcellent
	case score >= 75:
		return GradeGood
	case score >= 60:
		return GradeFair
	}
	return GradePoor
}

// Grade scores a plan from 0 to 100 from its assertions' margins and returns
// the score with its word. The formula is documented in GRADE.md:
//
//   - each comparison a < b (or <=, >, >=) in a condition has a relative
//     margin m = (b − a)/|b| (mirrored for > and >=), positive when it holds;
//   - a comparison that holds scores 60 + 40·min(1, m/0.5); one that fails
//     scores 60·max(0, 1 − |m|/0.5); so the score is continuous in the
//     margin, 60 exactly at the limit;
//   - an assertion whose condition is a conjunction scores its weakest
//     comparison; one that cannot be parsed (or compares with == or against
//     0) scores 100 when it held and 0 when it failed;
//   - the plan scores the mean over its assertions, capped at 74 (Fair) when
//     any assertion failed or the plan was interrupted. A plan that could not
//     run scores 0; a plan without assertions scores 100.
func Grade(plan PlanDoc) (score float64, word string) {
	if plan.Error != "" {
		return 0, GradeWord(0)
	}
	n := 0
	sum := 0.0
	failed := plan.Interrupted
	for _, s := range plan.Scenarios {
		for _, a := range s.Assertions {
			sum += AssertionScore(a)
			n++
			if !a.Passed {
				failed = true
			}
		}
	}
	score = 100
	if n > 0 {
		score = sum / float64(n)
	}
	if failed && score > gradeFailedCap {
		score = gradeFailedCap
	}
	score = math.Round(score*10) / 10
	return score, GradeWord(score)
}

// AssertionScore scores one assertion from 0 to 100 by its margin, as Grade
// describes.
func AssertionScore(a AssertionDoc) float64 {
	fallback := 0.0
	if a.Passed {
		fallback = 100
	}
	if a.Error != "" {
		return 0
	}
	cmps, err := EvalCondition(a.Condition, a.Observed)
	if err != nil || len(cmps) == 0 {
		return fallback
	}
	score := 100.0
	for _, c := range cmps {
		s, ok := c.score()
		if !ok {
			return fallback
		}
		score = math.Min(score, s)
	}
	// The parse must agree with the recorded verdict; if it does not (for
	// example the run evaluated something this parser reads differently),
	// trust the verdict.
	if a.Passed != (score >= gradePassFloor) {
		return fallback
	}
	return score
}

// Comparison is one evaluated relational comparison of a condition.
type Comparison struct {
	Left, Right float64
	Op          string // <, <=, >, >=, ==, !=
}

// Margin is the relative headroom of the comparison: (Right−Left)/|Right|
// for < and <=, (Left−Right)/|Right| for > and >=; positive when it holds.
// ok is false for == and != and when Right is 0.
func (c Comparison) Margin() (m float64, ok bool) {
	if c.Right == 0 || math.IsNaN(c.Left) || math.IsNaN(c.Right) || math.IsInf(c.Right, 0) || math.IsInf(c.Left, 0) {
		return 0, false
	}
	switch c.Op {
	case "<", "<=":
		return (c.Right - c.Left) / math.Abs(c.Right), true
	case ">", ">=":
		return (c.Left - c.Right) / math.Abs(c.Right), true
	}
	return 0, false
}

// Holds reports whether the comparison is true.
func (c Comparison) Holds() bool {
	switch c.Op {
	case "<":
		return c.Left < c.Right
	case "<=":
		return c.Left <= c.Right
	case ">":
		return c.Left > c.Right
	case ">=":
		return c.Left >= c.Right
	case "==":
		return c.Left == c.Right
	case "!=":
		return c.Left != c.Right
	}
	return false
}

func (c Comparison) score() (float64, bool) {
	m, ok := c.Margin()
	if !ok {
		return 0, false
	}
	if c.Holds() {
		return gradePassFloor + (100-gradePassFloor)*math.Min(1, math.Max(0, m)/gradeFullMargin), true
	}
	// A failure exactly at the limit still scores just below the pass floor.
	return math.Min(gradePassFloor-0.1, gradePassFloor*math.Max(0, 1-math.Abs(m)/gradeFullMargin)), true
}

// errUnsupported marks conditions outside the subset EvalCondition reads.
var errUnsupported = errors.New("unsupported condition")

// EvalCondition evaluates the simple conditions that a run document can
// replay from its observed values: comparisons joined by &&, whose operands
// are arithmetic (+ − * /, parentheses) over numbers, duration("…") (in
// milliseconds) and metric references found in observed (dotted names, with
// op["get"] read as op.get). Anything else (||, !, variables, other
// functions) is an error, and callers fall back to the recorded verdict.
func EvalCondition(cond string, observed map[string]float64) ([]Comparison, error) {
	toks, err := lexCondition(cond)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, obs: observed}
	v, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q", errUnsupported, p.toks[p.pos].text)
	}
	if !v.isCmp {
		return nil, fmt.Errorf("%w: not a comparison", errUnsupported)
	}
	return v.cmps, nil
}

// ConditionRefs returns the metric references of cond in order of first
// appearance, normalised as EvalCondition reads them (op["get"] → op.get).
// It returns nil when cond cannot be tokenised.
func ConditionRefs(cond string) []string {
	toks, err := lexCondition(cond)
	if err != nil {
		return nil
	}
	var refs []string
	seen := map[string]bool{}
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tokIdent {
			continue
		}
		name, next := readRef(toks, i)
		i = next - 1
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		refs = append(refs, name)
	}
	return refs
}

type tokKind int

const (
	tokNum tokKind = iota
	tokIdent
	tokString
	tokOp
)

type token struct {
	kind tokKind
	text string
	num  float64
}

func lexCondition(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == '_') {
				j++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					j = k
					for j < len(s) && s[j] >= '0' && s[j] <= '9' {
						j++
					}
				}
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(s[i:j], "_", ""), 64)
			if err != nil {
				return nil, fmt.Errorf("%w: number %q", errUnsupported, s[i:j])
			}
			toks = append(toks, token{kind: tokNum, text: s[i:j], num: v})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: s[i:j]})
			i = j
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("%w: unterminated string", errUnsupported)
			}
			u, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("%w: string %s", errUnsupported, s[i:j+1])
			}
			toks = append(toks, token{kind: tokString, text: u})
			i = j + 1
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case "<=", ">=", "==", "!=", "&&", "||":
				toks = append(toks, token{kind: tokOp, text: two})
				i += 2
				continue
			}
			if strings.IndexByte("<>+-*/()[].,!%?:", c) < 0 {
				return nil, fmt.Errorf("%w: character %q", errUnsupported, c)
			}
			toks = append(toks, token{kind: tokOp, text: string(c)})
			i++
		}
	}
	return toks, nil
}

// readRef reads a reference starting at toks[i] (an identifier): dotted
// names and ["key"] index steps. It returns the normalised name and the index
// after it.
func readRef(toks []token, i int) (string, int) {
	parts := []string{toks[i].text}
	j := i + 1
	for j < len(toks) {
		switch {
		case toks[j].text == "." && toks[j].kind == tokOp && j+1 < len(toks) && (toks[j+1].kind == tokIdent || toks[j+1].kind == tokNum):
			parts = append(parts, toks[j+1].text)
			j += 2
		case toks[j].text == "[" && toks[j].kind == tokOp && j+2 < len(toks) && toks[j+1].kind == tokString && toks[j+2].text == "]":
			parts = append(parts, toks[j+1].text)
			j += 3
		default:
			return strings.Join(parts, "."), j
		}
	}
	return strings.Join(parts, "."), j
}

// condValue is a number or, once a comparison has been applied, a list of
// comparisons.
type condValue struct {
	num   float64
	isCmp bool
	cmps  []Comparison
}

type condParser struct {
	toks  []token
	pos   int
	obs   map[string]float64
	depth int
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) && p.toks[p.pos].kind == tokOp {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *condParser) parseAnd() (condValue, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return condValue{}, fmt.Errorf("%w: nested too deeply", errUnsupported)
	}
	left, err := p.parseCmp()
	if err != nil {
		return left, err
	}
	for p.peek() == "&&" {
		p.pos++
		right, err := p.parseCmp()
		if err != nil {
			return right, err
		}
		if !left.isCmp || !right.isCmp {
			return condValue{}, fmt.Errorf("%w: && of non-comparisons", errUnsupported)
		}
		left.cmps = append(left.cmps, right.cmps...)
	}
	if op := p.peek(); op == "||" || op == "?" {
		return condValue{}, fmt.Errorf("%w: %s", errUnsupported, op)
	}
	return left, nil
}

func (p *condParser) parseCmp() (condValue, error) {
	left, err := p.parseAdd()
	if err != nil {
		return left, err
	}
	switch op := p.peek(); op {
	case "<", "<=", ">", ">=", "==", "!=":
		p.pos++
		right, err := p.parseAdd()
		if err != nil {
			return right, err
		}
		if left.isCmp || right.isCmp {
			return condValue{}, fmt.Errorf("%w: chained comparison", errUnsupported)
		}
		return condValue{isCmp: true, cmps: []Comparison{{Left: left.num, Right: right.num, Op: op}}}, nil
	}
	return left, nil
}

func (p *condParser) parseAdd() (condValue, error) {
	left, err := p.parseMul()
	if err != nil {
		return left, err
	}
	for op := p.peek(); op == "+" || op == "-"; op = p.peek() {
		p.pos++
		right, err := p.parseMul()
		if err != nil {
			return right, err
		}
		if left.isCmp || right.isCmp {
			return condValue{}, fmt.Errorf("%w: arithmetic on a comparison", errUnsupported)
		}
		if op == "+" {
			left.num += right.num
		} else {
			left.num -= right.num
		}
	}
	return left, nil
}

func (p *condParser) parseMul() (condValue, error) {
	left, err := p.parseUnary()
	if err != nil {
		return left, err
	}
	for op := p.peek(); op == "*" || op == "/"; op = p.peek() {
		p.pos++
		right, err := p.parseUnary()
		if err != nil {
			return right, err
		}
		if left.isCmp || right.isCmp {
			return condValue{}, fmt.Errorf("%w: arithmetic on a comparison", errUnsupported)
		}
		if op == "*" {
			left.num *= right.num
		} else {
			left.num /= right.num
		}
	}
	return left, nil
}

func (p *condParser) parseUnary() (condValue, error) {
	if p.peek() == "-" {
		p.pos++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 100 {
			return condValue{}, fmt.Errorf("%w: nested too deeply", errUnsupported)
		}
		v, err := p.parseUnary()
		if err != nil || v.isCmp {
			return condValue{}, fmt.Errorf("%w: negation", errUnsupported)
		}
		v.num = -v.num
		return v, nil
	}
	return p.parsePrimary()
}

func (p *condParser) parsePrimary() (condValue, error) {
	if p.pos >= len(p.toks) {
		return condValue{}, fmt.Errorf("%w: unexpected end", errUnsupported)
	}
	t := p.toks[p.pos]
	switch t.kind {
	case tokNum:
		p.pos++
		return condValue{num: t.num}, nil
	case tokIdent:
		if t.text == "duration" && p.pos+3 < len(p.toks) && p.toks[p.pos+1].text == "(" &&
			p.toks[p.pos+2].kind == tokString && p.toks[p.pos+3].text == ")" {
			d, err := time.ParseDuration(p.toks[p.pos+2].text)
			if err != nil {
				return condValue{}, fmt.Errorf("%w: duration %q", errUnsupported, p.toks[p.pos+2].text)
			}
			p.pos += 4
			return condValue{num: float64(d) / float64(time.Millisecond)}, nil
		}
		name, next := readRef(p.toks, p.pos)
		v, ok := p.obs[name]
		if !ok {
			return condValue{}, fmt.Errorf("%w: %s not observed", errUnsupported, name)
		}
		p.pos = next
		return condValue{num: v}, nil
	case tokOp:
		if t.text == "(" {
			p.pos++
			v, err := p.parseAnd()
			if err != nil {
				return v, err
			}
			if p.peek() != ")" {
				return condValue{}, fmt.Errorf("%w: missing )", errUnsupported)
			}
			p.pos++
			return v, nil
		}
	}
	return condValue{}, fmt.Errorf("%w: unexpected %q", errUnsupported, t.text)
}
