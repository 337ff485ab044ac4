package dsl

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// for_each on target, workload and scenario blocks, as Terraform has it: the
// block is declared once per element of a map (each.key, each.value) or of
// a set of strings (each.key and each.value are the element). An instance
// is named NAME["KEY"], is referred to as target.KIND.NAME["KEY"] (or
// workload.NAME["KEY"]), and target.KIND.NAME (workload.NAME) without an
// index is the map of its instances, so that a workload may iterate over a
// target's instances with for_each = target.cache.l1 and take
// target = each.value.

// refType is the type of a reference to a target or a workload held in a
// value: each.value when for_each iterates over instances.
var refType = cty.Capsule("reference", reflect.TypeOf(blockRef{}))

// blockRef is a reference to a target ("target", "KIND.NAME") or a workload
// ("workload", "NAME") held in a value.
type blockRef struct {
	root, id string
}

func (r blockRef) String() string { return r.root + "." + r.id }

// instance is one declaration of a block: the block itself, or one element
// of its for_each.
type instance struct {
	block *hcl.Block
	// each is the object {key, value} of a for_each instance; cty.NilVal
	// for a block without for_each.
	each cty.Value
	// key is the instance's key; "" without for_each.
	key string
}

// instanceName is NAME["KEY"].
func instanceName(name, key string) string { return name + "[" + strconv.Quote(key) + "]" }

// baseName strips an instance's ["KEY"] from its name.
func baseName(name string) string {
	if i := strings.Index(name, "["); i > 0 {
		return name[:i]
	}
	return name
}

// withoutAttr hides one attribute (for_each) from the schemas that decode a
// block body, which do not know it.
type withoutAttr struct {
	hcl.Body
	name string
}

func (b withoutAttr) schema(s *hcl.BodySchema) *hcl.BodySchema {
	out := &hcl.BodySchema{Blocks: s.Blocks}
	out.Attributes = append(append(out.Attributes, s.Attributes...), hcl.AttributeSchema{Name: b.name})
	return out
}

func (b withoutAttr) Content(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	c, d := b.Body.Content(b.schema(s))
	if c != nil {
		delete(c.Attributes, b.name)
	}
	return c, d
}

func (b withoutAttr) PartialContent(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	c, rest, d := b.Body.PartialContent(b.schema(s))
	if c != nil {
		delete(c.Attributes, b.name)
	}
	return c, rest, d
}

func (b withoutAttr) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	a, d := b.Body.JustAttributes()
	delete(a, b.name)
	return a, d
}

// instances expands a block by its for_each, if it has one: one instance
// per element, named nameLabel["KEY"] (the label at index nameLabel). The
// for_each expression is evaluated with var, local, and references to the
// targets and workloads declared so far.
func (s *state) instances(b *hcl.Block, nameLabel int) []instance {
	content, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "for_each"}}})
	if content == nil || content.Attributes["for_each"] == nil {
		return []instance{{block: b}}
	}
	a := content.Attributes["for_each"]
	v, diags := a.Expr.Value(s.refContext())
	s.diags = append(s.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	v, _ = v.UnmarkDeep() // a sensitive map still names the instances
	if !v.IsWhollyKnown() || v.IsNull() {
		s.exprErrorf(a.Expr, "Invalid for_each argument", "for_each must be a known map, object or set of strings, not null or unknown.")
		return nil
	}
	type elem struct {
		key string
		val cty.Value
	}
	var elems []elem
	ty := v.Type()
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			elems = append(elems, elem{k.AsString(), ev})
		}
	case ty.IsSetType() && ty.ElementType() == cty.String:
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			elems = append(elems, elem{ev.AsString(), ev})
		}
	case ty.IsListType() || ty.IsTupleType():
		s.exprErrorf(a.Expr, "Invalid for_each argument",
			"for_each takes a map, an object or a set of strings, not %s: a list has no keys to name the instances. Convert a list of strings with toset(), as in for_each = toset([\"a\", \"b\"]).", friendlyType(ty))
		return nil
	default:
		s.exprErrorf(a.Expr, "Invalid for_each argument", "for_each takes a map, an object or a set of strings, not %s.", friendlyType(ty))
		return nil
	}
	if len(elems) == 0 {
		s.exprErrorf(a.Expr, "Empty for_each", "for_each has no elements, so the block declares nothing; a plan would silently lose it.")
		return nil
	}
	sort.Slice(elems, func(i, j int) bool { return elems[i].key < elems[j].key })
	var out []instance
	for _, e := range elems {
		nb := *b
		nb.Labels = append([]string(nil), b.Labels...)
		nb.Labels[nameLabel] = instanceName(b.Labels[nameLabel], e.key)
		nb.Body = withoutAttr{Body: b.Body, name: "for_each"}
		out = append(out, instance{block: &nb, key: e.key,
			each: cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(e.key), "value": e.val})})
	}
	return out
}

// withInstance runs f with each set to inst's each.key and each.value in
// the evaluation context (a child of the plan's), then restores it.
func (s *state) withInstance(inst instance, f func()) {
	if inst.each == cty.NilVal {
		f()
		return
	}
	saved := s.ctx
	child := saved.NewChild()
	child.Variables = map[string]cty.Value{"each": inst.each}
	s.ctx = child
	defer func() { s.ctx = saved }()
	f()
}

// refContext is the evaluation context with references to the targets and
// workloads declared so far: target.KIND.NAME is a reference, or the map of
// its instances; likewise workload.NAME.
func (s *state) refContext() *hcl.EvalContext {
	kinds := map[string]map[string]cty.Value{}
	for _, id := range sortedKeys(s.targets) {
		kind, name, _ := strings.Cut(id, ".")
		if kinds[kind] == nil {
			kinds[kind] = map[string]cty.Value{}
		}
		addRef(kinds[kind], name, blockRef{"target", id})
	}
	targetsObj := map[string]cty.Value{}
	for k, m := range kinds {
		targetsObj[k] = refObject(m)
	}
	workloads := map[string]cty.Value{}
	for _, id := range sortedKeys(s.workloads) {
		addRef(workloads, id, blockRef{"workload", id})
	}
	ctx := s.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{"target": cty.ObjectVal(targetsObj), "workload": refObject(workloads)}
	return ctx
}

// addRef adds a reference under name, or, for an instance NAME["KEY"], under
// NAME as an element of the map of NAME's instances.
func addRef(m map[string]cty.Value, name string, ref blockRef) {
	v := cty.CapsuleVal(refType, &ref)
	base := baseName(name)
	if base == name {
		m[name] = v
		return
	}
	key, err := strconv.Unquote(strings.TrimSuffix(name[len(base)+1:], "]"))
	if err != nil {
		return
	}
	inst := map[string]cty.Value{}
	if prev, ok := m[base]; ok && prev.Type().IsObjectType() {
		for k, pv := range prev.AsValueMap() {
			inst[k] = pv
		}
	}
	inst[key] = v
	m[base] = cty.ObjectVal(inst)
}

// refObject is an object of m, or an empty object.
func refObject(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// evalRef evaluates a reference that is not a plain traversal, such as
// each.value or target.cache.l1[each.key], to the id of the target or
// workload (root) it holds.
func (s *state) evalRef(expr hcl.Expression, root string) (string, bool) {
	v, diags := expr.Value(s.refContextWith())
	if diags.HasErrors() {
		form := root + ".NAME"
		if root == "target" {
			form = "target.KIND.NAME"
		}
		s.errorf(expr.Range().Ptr(), "Invalid "+root+" reference", "Expected a reference such as %s, %s[\"KEY\"] or each.value (in a block whose for_each iterates over %ss): %s",
			form, form, root, diags[0].Detail)
		return "", false
	}
	if v.Type() != refType || v.IsNull() {
		s.errorf(expr.Range().Ptr(), "Invalid "+root+" reference", "Expected a reference to a %s, but this is %s.", root, friendlyType(v.Type()))
		return "", false
	}
	ref := v.EncapsulatedValue().(*blockRef)
	if ref.root != root {
		s.errorf(expr.Range().Ptr(), "Invalid "+root+" reference", "Expected a reference to a %s, but this refers to %s.", root, ref)
		return "", false
	}
	return ref.id, true
}

// refContextWith is refContext on top of the current context (which may
// hold each).
func (s *state) refContextWith() *hcl.EvalContext { return s.refContext() }

// staticIndexRef reads target.KIND.NAME["KEY"] (or workload.NAME["KEY"]):
// the names after root, the last one with its instance key, and whether
// the traversal has that form.
func staticIndexRef(expr hcl.Expression, root string, n int) ([]string, bool) {
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || trav.RootName() != root || len(trav) != n+2 {
		return nil, false
	}
	var parts []string
	for _, step := range trav[1 : n+1] {
		st, ok := step.(hcl.TraverseAttr)
		if !ok {
			return nil, false
		}
		parts = append(parts, st.Name)
	}
	idx, ok := trav[n+1].(hcl.TraverseIndex)
	if !ok || idx.Key.IsNull() || !idx.Key.IsKnown() || idx.Key.Type() != cty.String {
		return nil, false
	}
	parts[n-1] = instanceName(parts[n-1], idx.Key.AsString())
	return parts, true
}

// validBaseName reports whether an instance's name (or a plain name) is an
// identifier once its ["KEY"] is stripped.
func validBaseName(name string) bool { return hclsyntax.ValidIdentifier(baseName(name)) }

// instancesOf lists the declared instances of NAME among ids, as
// NAME["KEY"], for a diagnostic.
func instancesOf(ids []string, prefix, name string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix+name+"[") {
			out = append(out, id)
		}
	}
	return out
}

// noteSweep records the text of a for_each instance's each.value under
// its reference, so that a scenario iterating over the instances of a
// workload that iterates over those of a target reports the target's
// value.
func (s *state) noteSweep(ref string, inst instance) {
	if inst.each == cty.NilVal {
		return
	}
	if s.sweepValues == nil {
		s.sweepValues = map[string]string{}
	}
	s.sweepValues[ref] = s.sweepText(inst.each.GetAttr("value"))
}

// sweepText is each.value as a sweep's table shows it: a string as it is,
// another value in HCL syntax, and a reference to an instance as that
// instance's own value.
func (s *state) sweepText(v cty.Value) string {
	switch {
	case v.Type() == refType && !v.IsNull():
		ref := v.EncapsulatedValue().(*blockRef)
		if t, ok := s.sweepValues[ref.String()]; ok {
			return t
		}
		return ref.String()
	case v.Type() == cty.String && v.IsKnown() && !v.IsNull():
		return v.AsString()
	}
	if !v.IsWhollyKnown() || hasCapsule(v) {
		return fmt.Sprintf("(%s)", friendlyType(v.Type()))
	}
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

// hasCapsule reports whether v holds a reference somewhere.
func hasCapsule(v cty.Value) bool {
	found := false
	_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if x.Type().IsCapsuleType() {
			found = true
		}
		return !found, nil
	})
	return found
}
