package dsl

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

var workloadSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "target", Required: true}, {Name: "value_size"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "op", LabelNames: []string{"name"}},
		{Type: "keys"},
	},
}

var keysSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "count"}, {Name: "distribution"}, {Name: "s"}, {Name: "v"},
		{Name: "hot_fraction"}, {Name: "hot_rate"},
	},
}

// Key space defaults.
const (
	defaultKeyCount    = 1000
	defaultZipfS       = 1.1
	defaultZipfV       = 1
	defaultHotFraction = 0.2
	defaultHotRate     = 0.8
)

func (s *state) workload(b *hcl.Block) {
	name := b.Labels[0]
	if prev, dup := s.workloadDefs[name]; dup {
		s.errorf(b.LabelRanges[0].Ptr(), "Duplicate workload", "A workload named %q was already declared on line %d.", name, prev.Start.Line)
		return
	}
	s.workloadDefs[name] = b.DefRange
	// Register at once so that scenarios referring to a broken workload do
	// not report it as missing.
	s.workloads[name] = nil
	before := s.errCount()
	if !validBaseName(name) {
		s.errorf(b.LabelRanges[0].Ptr(), "Invalid workload name", "A workload name must start with a letter and hold only letters, digits, underscores and dashes, so that workload.NAME can refer to it.")
	}
	w := &plan.Workload{
		Name: name,
		Keys: plan.KeySpace{
			Count: defaultKeyCount, Distribution: plan.DistUniform,
			ZipfS: defaultZipfS, ZipfV: defaultZipfV,
			HotFraction: defaultHotFraction, HotRate: defaultHotRate,
		},
	}
	body := dynblock.Expand(b.Body, s.ctx)
	content, diags := body.Content(workloadSchema)
	s.diags = append(s.diags, diags...)
	if content == nil {
		return
	}
	var kind *targets.Kind
	var target *plan.Target
	if a := content.Attributes["target"]; a != nil {
		if t, _ := s.refTarget(a.Expr); t != nil {
			w.Target, kind, target = t, t.Spec, t
		}
	}
	if a := content.Attributes["value_size"]; a != nil {
		if n, ok := s.integer(a); ok {
			if n < 0 || n > 1<<30 {
				s.exprErrorf(a.Expr, "Value out of range", "value_size must be between 0 and 1073741824 bytes.")
			} else {
				w.ValueSize = int(n)
			}
		}
	}
	keysSeen := false
	opsSeen := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "keys":
			if keysSeen {
				s.errorf(blk.DefRange.Ptr(), "Duplicate keys block", "A workload has at most one keys block.")
				continue
			}
			keysSeen = true
			s.keys(blk, &w.Keys)
		case "op":
			opName := blk.Labels[0]
			if prev, dup := opsSeen[opName]; dup {
				s.errorf(blk.LabelRanges[0].Ptr(), "Duplicate op block", "The operation %q already has an op block on line %d.", opName, prev.Start.Line)
				continue
			}
			opsSeen[opName] = blk.DefRange
			if op, ok := s.op(blk, kind, target); ok {
				w.Ops = append(w.Ops, op)
			}
		}
	}
	if len(opsSeen) == 0 {
		s.errorf(b.DefRange.Ptr(), "Missing op block", "A workload needs at least one op block, such as op \"get\" { weight = 1 }.")
	}
	if s.errCount() == before && w.Target != nil {
		s.workloads[name] = w
		s.plan.Workloads = append(s.plan.Workloads, w)
	}
}

// op decodes an op block. Without a kind (the target reference failed) it
// checks only what it can.
func (s *state) op(blk *hcl.Block, kind *targets.Kind, t *plan.Target) (plan.Op, bool) {
	if kind != nil && kind.OpSchema != nil && t != nil {
		return s.schemaOp(blk, kind, t)
	}
	op := plan.Op{Name: blk.Labels[0], Weight: 1, Index: -1}
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "weight"}}}
	var spec *targets.OpSpec
	if kind != nil {
		op.Index = kind.OpIndex(op.Name)
		if op.Index < 0 {
			names := make([]string, len(kind.Ops))
			for i, o := range kind.Ops {
				names[i] = o.Name
			}
			s.errorf(blk.LabelRanges[0].Ptr(), "Unknown operation",
				"Target kind %q has no operation %q.%s Its operations are: %s.", kind.Name, op.Name, didYouMean(op.Name, names, true), quoteList(names))
		} else {
			spec = &kind.Ops[op.Index]
			op.Arg = spec.ArgDefault
			if spec.Arg != "" {
				schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: spec.Arg})
			}
		}
	}
	var content *hcl.BodyContent
	var diags hcl.Diagnostics
	if spec != nil {
		content, diags = blk.Body.Content(schema)
	} else {
		// The operation or its kind is unknown: its arguments cannot be
		// checked, so only weight is decoded.
		content, _, diags = blk.Body.PartialContent(schema)
	}
	s.diags = append(s.diags, diags...)
	ok := spec != nil && !diags.HasErrors()
	if content == nil {
		return op, false
	}
	if a := content.Attributes["weight"]; a != nil {
		if w, wok := s.num(a); !wok {
			ok = false
		} else if w <= 0 {
			s.exprErrorf(a.Expr, "Invalid weight", "An operation's weight must be greater than zero.")
			ok = false
		} else {
			op.Weight = w
		}
	}
	if spec != nil && spec.Arg != "" {
		if a := content.Attributes[spec.Arg]; a != nil {
			if n, nok := s.integer(a); nok {
				op.Arg = n
			} else {
				ok = false
			}
		}
	}
	return op, ok
}

// schemaOp decodes an op block of a kind with an OpSchema: any operation
// name, weight, and a body configured by the op schema and checked by the
// kind's ValidateOp. The op's configuration is appended to the target's
// Config.Ops, which the op's Index points into.
func (s *state) schemaOp(blk *hcl.Block, kind *targets.Kind, t *plan.Target) (plan.Op, bool) {
	op := plan.Op{Name: blk.Labels[0], Weight: 1, Index: -1}
	before := s.errCount()
	if !hclsyntax.ValidIdentifier(op.Name) {
		s.errorf(blk.LabelRanges[0].Ptr(), "Invalid operation name",
			"An operation of target kind %q may take any name that starts with a letter and holds only letters, digits, underscores and dashes, so that op.%s can refer to it.", kind.Name, "NAME")
	}
	sch := targets.Schema{
		Attrs:  append([]targets.Attr{{Name: "weight", Type: targets.Number}}, kind.OpSchema.Attrs...),
		Blocks: kind.OpSchema.Blocks,
	}
	cfg, node, ok := s.decodeConfig(blk.Body, blk.DefRange, sch)
	if w, has := cfg.Attrs["weight"].(float64); has {
		delete(cfg.Attrs, "weight")
		if w <= 0 {
			s.exprErrorf(node.attrs["weight"].Expr, "Invalid weight", "An operation's weight must be greater than zero.")
		} else {
			op.Weight = w
		}
	}
	if ok && kind.ValidateOp != nil {
		s.reportValidate(safeValidateOp(kind.ValidateOp, t.Config, targets.OpConfig{Name: op.Name, Config: cfg}), node, "op configuration")
	}
	if s.errCount() != before {
		return op, false
	}
	t.Config.Ops = append(t.Config.Ops, targets.OpConfig{Name: op.Name, Config: cfg})
	op.Index = len(t.Config.Ops) - 1
	return op, true
}

// keys decodes a keys block into k.
func (s *state) keys(blk *hcl.Block, k *plan.KeySpace) {
	content, diags := blk.Body.Content(keysSchema)
	s.diags = append(s.diags, diags...)
	if content == nil {
		return
	}
	at := content.Attributes
	if a := at["count"]; a != nil {
		if n, ok := s.integer(a); ok {
			if n < 1 {
				s.exprErrorf(a.Expr, "Value out of range", "The key count must be at least 1.")
			} else {
				k.Count = uint64(n)
			}
		}
	}
	distOK := s.keyDistribution(at, k)
	for _, p := range []struct {
		name, dist string
		ok         func(float64) bool
		msg        string
		dst        *float64
	}{
		{"s", plan.DistZipf, func(f float64) bool { return f > 1 }, "The Zipf skew s must be greater than 1.", &k.ZipfS},
		{"v", plan.DistZipf, func(f float64) bool { return f >= 1 }, "The Zipf parameter v must be at least 1.", &k.ZipfV},
		{"hot_fraction", plan.DistHotspot, func(f float64) bool { return f > 0 && f < 1 }, "hot_fraction must be between 0 and 1, exclusive.", &k.HotFraction},
		{"hot_rate", plan.DistHotspot, func(f float64) bool { return f > 0 && f <= 1 }, "hot_rate must be greater than 0 and at most 1.", &k.HotRate},
	} {
		if !s.keyParamApplies(at, p.name, p.dist, k.Distribution, distOK) {
			continue
		}
		if f, ok := s.num(at[p.name]); ok {
			if !p.ok(f) {
				s.exprErrorf(at[p.name].Expr, "Value out of range", "%s", p.msg)
			} else {
				*p.dst = f
			}
		}
	}
}

// keyDistribution decodes the distribution attribute into k; false when it
// is set but invalid.
func (s *state) keyDistribution(at hcl.Attributes, k *plan.KeySpace) bool {
	a := at["distribution"]
	if a == nil {
		return true
	}
	dists := []string{plan.DistUniform, plan.DistZipf, plan.DistSequential, plan.DistHotspot}
	d, ok := s.str(a)
	if !ok {
		return false
	}
	if !contains(dists, d) {
		s.exprErrorf(a.Expr, "Invalid value", "The distribution must be one of %s.%s", quoteList(dists), didYouMean(d, dists, true))
		return false
	}
	k.Distribution = d
	return true
}

// keyParamApplies reports whether the keys attribute name, which belongs to
// distribution dist, is set and applies; it reports one that does not.
func (s *state) keyParamApplies(at hcl.Attributes, name, dist, have string, distOK bool) bool {
	a := at[name]
	if a == nil || !distOK {
		return false
	}
	if at["distribution"] == nil {
		s.errorf(a.NameRange.Ptr(), "Argument not used by this distribution", "%q applies only to distribution = %q, but the distribution is %q (the default).", name, dist, plan.DistUniform)
		return false
	}
	if have != dist {
		s.errorf(a.NameRange.Ptr(), "Argument not used by this distribution", "%q applies only to distribution = %q.", name, dist)
		return false
	}
	return true
}
