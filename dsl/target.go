package dsl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// cfgNode remembers where each attribute and nested block of a decoded
// Config came from, so that errors from Kind.Validate land on the right line.
type cfgNode struct {
	def    hcl.Range
	attrs  map[string]*hcl.Attribute
	blocks []cfgChild
}

type cfgChild struct {
	typ    string
	labels []string
	node   *cfgNode
}

func hclSchema(sch targets.Schema) *hcl.BodySchema {
	out := &hcl.BodySchema{}
	for _, a := range sch.Attrs {
		out.Attributes = append(out.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, b := range sch.Blocks {
		out.Blocks = append(out.Blocks, hcl.BlockHeaderSchema{Type: b.Type, LabelNames: b.Labels})
	}
	return out
}

// decodeConfig checks body against sch and decodes it into a Config with
// defaults filled in. ok is false when it reported an error.
func (s *state) decodeConfig(body hcl.Body, def hcl.Range, sch targets.Schema) (targets.Config, *cfgNode, bool) {
	before := s.errCount()
	cfg := targets.Config{Attrs: map[string]any{}}
	node := &cfgNode{def: def, attrs: map[string]*hcl.Attribute{}}
	content, diags := body.Content(hclSchema(sch))
	s.diags = append(s.diags, diags...)
	if content == nil {
		return cfg, node, false
	}
	for _, spec := range sch.Attrs {
		a := content.Attributes[spec.Name]
		if a == nil {
			if spec.Default != nil {
				cfg.Attrs[spec.Name] = spec.Default
			}
			continue
		}
		node.attrs[spec.Name] = a
		v, ok := s.attrValue(a, spec)
		if !ok {
			continue
		}
		if v == nil {
			if spec.Required {
				s.errorf(a.Expr.Range().Ptr(), "Missing required argument", "The argument %q is required, but its value is null.", spec.Name)
			} else if spec.Default != nil {
				cfg.Attrs[spec.Name] = spec.Default
			}
			continue
		}
		cfg.Attrs[spec.Name] = v
	}
	counts := map[string]int{}
	for _, b := range content.Blocks {
		spec := sch.Block(b.Type)
		if spec == nil {
			continue
		}
		counts[b.Type]++
		if len(spec.LabelValues) > 0 && len(b.Labels) > 0 && !contains(spec.LabelValues, b.Labels[0]) {
			// Reported here, with the other schema errors, because
			// Kind.Validate never sees a configuration that has any.
			label := "label"
			if len(spec.Labels) > 0 {
				label = spec.Labels[0]
			}
			hint := ""
			for _, v := range spec.LabelValues {
				if strings.EqualFold(v, b.Labels[0]) {
					hint = fmt.Sprintf(" Did you mean %q?", v)
				}
			}
			s.errorf(b.LabelRanges[0].Ptr(), "Invalid "+b.Type+" "+label, "A %s %s must be one of %s, not %q.%s",
				b.Type, label, quoteList(spec.LabelValues), b.Labels[0], hint)
		}
		if counts[b.Type] > 1 && !spec.Multi {
			s.errorf(b.DefRange.Ptr(), "Duplicate "+b.Type+" block", "Only one %q block is allowed here.", b.Type)
			continue
		}
		sub, subNode, _ := s.decodeConfig(b.Body, b.DefRange, spec.Schema)
		node.blocks = append(node.blocks, cfgChild{typ: b.Type, labels: b.Labels, node: subNode})
		cfg.Blocks = append(cfg.Blocks, targets.Block{Type: b.Type, Labels: append([]string(nil), b.Labels...), Config: sub})
	}
	for _, spec := range sch.Blocks {
		if spec.Required && counts[spec.Type] == 0 {
			s.errorf(body.MissingItemRange().Ptr(), "Missing "+spec.Type+" block", "At least one %q block is required here.", spec.Type)
		}
	}
	return cfg, node, s.errCount() == before
}

// attrValue decodes one attribute by its declared type. A nil value with ok
// means the expression was null.
func (s *state) attrValue(a *hcl.Attribute, spec targets.Attr) (any, bool) {
	if s.isNull(a) {
		return nil, true
	}
	if spec.Sensitive {
		// No "with var.x as ..." lines under its diagnostics.
		before := len(s.diags)
		defer func() {
			for _, d := range s.diags[before:] {
				d.EvalContext = nil
			}
		}()
	}
	var out any
	var f float64
	var ok bool
	switch spec.Type {
	case targets.String:
		var str string
		str, ok = s.str(a)
		if ok && len(spec.OneOf) > 0 && !contains(spec.OneOf, str) {
			s.exprErrorf(a.Expr, "Invalid value", "The value of %q must be one of %s.%s", a.Name, quoteList(spec.OneOf), didYouMean(str, spec.OneOf, true))
			ok = false
		}
		out = str
	case targets.Number:
		f, ok = s.num(a)
		out = f
	case targets.Int:
		var i int64
		i, ok = s.integer(a)
		f, out = float64(i), i
	case targets.Bool:
		out, ok = s.boolean(a)
	case targets.Duration:
		var d time.Duration
		d, ok = s.dur(a)
		f, out = float64(d), d
	case targets.StringList:
		out, ok = s.strList(a)
	case targets.NumberList:
		out, ok = s.numList(a)
	case targets.Template:
		out, ok = s.template(a, spec)
	case targets.StringMap:
		var m map[string]string
		m, ok = s.stringMap(a)
		if ok && spec.Sensitive {
			for _, v := range m {
				s.addSecret(v)
			}
		}
		out = m
	default:
		s.errorf(a.Range.Ptr(), "Unsupported attribute type", "The target kind declares %q with an unknown type %v.", a.Name, spec.Type)
		return nil, false
	}
	if !ok {
		return nil, false
	}
	if spec.Min != nil && (spec.Type == targets.Number || spec.Type == targets.Int || spec.Type == targets.Duration) && f < *spec.Min {
		min := fmt.Sprint(*spec.Min)
		if spec.Type == targets.Duration {
			min = fmt.Sprintf("%q", time.Duration(*spec.Min).String())
		}
		s.exprErrorf(a.Expr, "Value out of range", "The value of %q must be at least %s.", a.Name, min)
		return nil, false
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, x := range list {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// reportValidate turns Kind.Validate's error into diagnostics, each
// *targets.AttrError on its attribute.
func (s *state) reportValidate(err error, node *cfgNode, what string) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			s.reportValidate(e, node, what)
		}
		return
	}
	var ae *targets.AttrError
	if !errors.As(err, &ae) {
		s.errorf(node.def.Ptr(), "Invalid "+what, "%v", err)
		return
	}
	n := node
	for _, step := range ae.Path {
		typ, label, hasLabel := strings.Cut(step, ".")
		var next *cfgNode
		for _, c := range n.blocks {
			if c.typ == typ && (!hasLabel || (len(c.labels) > 0 && c.labels[0] == label)) {
				next = c.node
				break
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	subject := n.def.Ptr()
	if a := n.attrs[ae.Attr]; a != nil {
		subject = a.Expr.Range().Ptr()
	}
	detail := fmt.Sprintf("%v.", ae.Err)
	if ae.Attr != "" {
		detail = fmt.Sprintf("%s: %v.", ae.Attr, ae.Err)
	}
	s.errorf(subject, "Invalid "+what, "%s", detail)
}

func (s *state) target(b *hcl.Block) {
	kindName, name := b.Labels[0], b.Labels[1]
	id := kindName + "." + name
	if prev, dup := s.targetDefs[id]; dup {
		s.errorf(b.LabelRanges[1].Ptr(), "Duplicate target", "A target %q %q was already declared on line %d.", kindName, name, prev.Start.Line)
		return
	}
	s.targetDefs[id] = b.DefRange
	t := &plan.Target{Kind: kindName, Name: name}
	s.targets[id] = t
	ok := true
	if !validBaseName(name) {
		s.errorf(b.LabelRanges[1].Ptr(), "Invalid target name", "A target name must start with a letter and hold only letters, digits, underscores and dashes, so that target.%s.NAME can refer to it.", kindName)
		ok = false
	}
	kind, found := s.l.reg.Lookup(kindName)
	if !found {
		names := s.l.reg.Names()
		s.errorf(b.LabelRanges[0].Ptr(), "Unknown target kind",
			"There is no target kind %q.%s The registered kinds are: %s.", kindName, didYouMean(kindName, names, true), strings.Join(names, ", "))
		return
	}
	body := dynblock.Expand(b.Body, s.ctx)
	cfg, node, cok := s.decodeConfig(body, b.DefRange, kind.Schema)
	if cok && kind.Validate != nil {
		before := s.errCount()
		s.reportValidate(safeValidate(kind.Validate, cfg), node, "target configuration")
		cok = s.errCount() == before
	}
	t.Config = cfg
	t.Spec = kind
	if ok && cok {
		s.plan.Targets = append(s.plan.Targets, t)
	}
}

// safeValidate calls a kind's Validate, turning a panic into an error.
func safeValidate(validate func(targets.Config) error, cfg targets.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validate: panic: %v", r)
		}
	}()
	return validate(cfg)
}

// safeValidateOp calls a kind's ValidateOp, turning a panic into an error.
func safeValidateOp(validate func(targets.Config, targets.OpConfig) error, cfg targets.Config, op targets.OpConfig) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validate op: panic: %v", r)
		}
	}()
	return validate(cfg, op)
}

// refTarget resolves a target.KIND.NAME reference. It returns nil, true for
// a reference to a target whose own block had errors (already reported).
func (s *state) refTarget(expr hcl.Expression) (*plan.Target, bool) {
	id, ok := s.refID(expr, "target", 2)
	if !ok {
		return nil, false
	}
	t := s.targets[id]
	if t == nil {
		ids := declaredRefs(&s.targetRefs, s.targets, "target.")
		kind, name, _ := strings.Cut(id, ".")
		detail := fmt.Sprintf("There is no target %q %q in this plan.", kind, name)
		if inst := instancesOf(ids, "target.", id); len(inst) > 0 {
			s.errorf(expr.Range().Ptr(), "Reference to a target with for_each",
				"target.%s is declared with for_each: refer to one instance, %s, or iterate over them with for_each = target.%s and target = each.value.", id, listNames(inst), id)
			return nil, false
		}
		if len(ids) == 0 {
			detail += " The plan declares no targets."
		} else {
			detail += s.didYouMeanRef("target."+id, ids)
			detail += " Declared targets: " + listNames(ids) + "."
		}
		s.errorf(expr.Range().Ptr(), "Reference to undeclared target", "%s", detail)
		return nil, false
	}
	if t.Spec == nil {
		return nil, true
	}
	return t, true
}

// refWorkload resolves a workload.NAME reference like refTarget.
func (s *state) refWorkload(expr hcl.Expression) (*plan.Workload, bool) {
	id, ok := s.refID(expr, "workload", 1)
	if !ok {
		return nil, false
	}
	parts := []string{id}
	w, found := s.workloads[parts[0]]
	if !found {
		names := declaredRefs(&s.workloadRefs, s.workloads, "workload.")
		detail := fmt.Sprintf("There is no workload %q in this plan.", parts[0])
		if inst := instancesOf(names, "workload.", id); len(inst) > 0 {
			s.errorf(expr.Range().Ptr(), "Reference to a workload with for_each",
				"workload.%s is declared with for_each: refer to one instance, %s, or iterate over them with for_each = workload.%s and workload = each.value.", id, listNames(inst), id)
			return nil, false
		}
		if len(names) == 0 {
			detail += " The plan declares no workloads."
		} else {
			detail += s.didYouMeanRef("workload."+parts[0], names)
			detail += " Declared workloads: " + listNames(names) + "."
		}
		s.errorf(expr.Range().Ptr(), "Reference to undeclared workload", "%s", detail)
		return nil, false
	}
	if w == nil || w.Target == nil {
		return nil, true
	}
	return w, true
}

// refID resolves a reference to a target (root "target", n 2: the id
// KIND.NAME) or a workload (root "workload", n 1: NAME): a plain reference,
// one to a for_each instance (NAME["KEY"]), or an expression such as
// each.value or target.cache.l1[each.key] that evaluates to one.
func (s *state) refID(expr hcl.Expression, root string, n int) (string, bool) {
	if parts, ok := staticIndexRef(expr, root, n); ok {
		return strings.Join(parts, "."), true
	}
	if trav, d := hcl.AbsTraversalForExpr(expr); !d.HasErrors() && trav.RootName() != "each" {
		parts, ok := s.refParts(expr, root, n)
		return strings.Join(parts, "."), ok
	}
	return s.evalRef(expr, root)
}

// refParts checks that expr is a plain reference ROOT.a[.b] and returns the
// names after the root.
func (s *state) refParts(expr hcl.Expression, root string, n int) ([]string, bool) {
	form := root + ".NAME"
	if n == 2 {
		form = root + ".KIND.NAME"
	}
	bad := func() ([]string, bool) {
		s.errorf(expr.Range().Ptr(), "Invalid "+root+" reference", "Expected a reference of the form %s.", form)
		return nil, false
	}
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || trav.RootName() != root || len(trav) != n+1 {
		return bad()
	}
	var parts []string
	for _, step := range trav[1:] {
		switch st := step.(type) {
		case hcl.TraverseAttr:
			parts = append(parts, st.Name)
		default:
			return bad()
		}
	}
	return parts, true
}

// declaredRefs returns the sorted references ("target.noop.n") to the keys
// of m, cached in *cache: m only grows, so its size tells whether the
// cache is current, and a plan with many broken references sorts the names
// once.
func declaredRefs[V any](cache *[]string, m map[string]V, prefix string) []string {
	if len(*cache) != len(m) {
		*cache = (*cache)[:0]
		for _, k := range sortedKeys(m) {
			*cache = append(*cache, prefix+k)
		}
	}
	return *cache
}
