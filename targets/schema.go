package targets

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// AttrType is the type of a configuration attribute.
type AttrType int

// Attribute types. Durations are written in plans as strings such as "250us"
// and arrive in a Config as time.Duration. A Template is a string that may
// interpolate the attribute's Fields, as "/items/${key}", and arrives as a
// Template; a StringMap is an object of strings, as
// { "Accept" = "text/plain" }.
const (
	String     AttrType = iota // string
	Number                     // float64
	Int                        // int64
	Bool                       // bool
	Duration                   // time.Duration
	StringList                 // []string
	NumberList                 // []float64
	Template                   // targets.Template
	StringMap                  // map[string]string
)

// String returns the type's name as plans spell it.
func (t AttrType) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Int:
		return "whole number"
	case Bool:
		return "bool"
	case Duration:
		return "duration"
	case StringList:
		return "list of string"
	case NumberList:
		return "list of number"
	case Template:
		return "template"
	case StringMap:
		return "map of string"
	}
	return fmt.Sprintf("AttrType(%d)", int(t))
}

// Attr describes one attribute of a block body.
type Attr struct {
	Name     string
	Type     AttrType
	Required bool
	// Default is the value used when the attribute is absent; it must have
	// the Go type that Type maps to. Nil means absent stays absent.
	Default any
	// OneOf, when set for a String attribute, lists the allowed values.
	OneOf []string
	// Min, when non-nil, is the smallest allowed value of a Number, Int or
	// Duration (in nanoseconds) attribute.
	Min *float64
	// Fields, for a Template attribute, names what a template may
	// interpolate, as "key" in "/items/${key}". The plan loader reports any
	// other name as an unknown field.
	Fields []string
	// Sensitive marks a StringMap whose values are secrets (HTTP headers,
	// which carry credentials): no output shows them, and the plan loader
	// shows no value in a diagnostic of the attribute.
	Sensitive bool
	// Example, when set, is a value that `perfplan init` writes for the
	// attribute in a starter plan (for a required attribute without a
	// default, such as an http target's base_url). It has the Go type that
	// Type maps to.
	Example any
	Doc     string
}

// BlockSpec describes a nested block type.
type BlockSpec struct {
	// Type is the block type name, for example "tier".
	Type string
	// Labels names the block's labels, for example []string{"name"}.
	Labels []string
	// LabelValues, when set, lists the values the block's first label may
	// take, for example []string{"l1", "l2", "l3"}. The plan loader
	// reports any other label with the block's schema errors, before
	// Kind.Validate runs (which it does only on a configuration that
	// decoded without errors).
	LabelValues []string
	// Multi allows the block to appear more than once.
	Multi bool
	// Required demands at least one instance.
	Required bool
	// Starter, when set, makes `perfplan init` write one instance of the
	// block in a starter plan although it is optional, with this label
	// (as the limiter's policy "per-key").
	Starter string
	Schema  Schema
	Doc     string
}

// Schema describes a block body: attributes and nested blocks.
type Schema struct {
	Attrs  []Attr
	Blocks []BlockSpec
}

// Attr returns the named attribute spec, or nil.
func (s Schema) Attr(name string) *Attr {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

// Block returns the named block spec, or nil.
func (s Schema) Block(typ string) *BlockSpec {
	for i := range s.Blocks {
		if s.Blocks[i].Type == typ {
			return &s.Blocks[i]
		}
	}
	return nil
}

func (s Schema) check() error {
	seen := map[string]bool{}
	for _, a := range s.Attrs {
		if a.Name == "" || seen[a.Name] {
			return fmt.Errorf("schema: empty or duplicate attribute %q", a.Name)
		}
		seen[a.Name] = true
		if a.Default != nil {
			if err := checkGoType(a.Type, a.Default); err != nil {
				return fmt.Errorf("schema: default of %q: %w", a.Name, err)
			}
		}
		if a.Example != nil {
			if err := checkGoType(a.Type, a.Example); err != nil {
				return fmt.Errorf("schema: example of %q: %w", a.Name, err)
			}
		}
		if len(a.Fields) > 0 && a.Type != Template {
			return fmt.Errorf("schema: %q lists template fields but is a %s", a.Name, a.Type)
		}
	}
	for _, b := range s.Blocks {
		if b.Type == "" || seen[b.Type] {
			return fmt.Errorf("schema: empty or duplicate block %q", b.Type)
		}
		seen[b.Type] = true
		if len(b.LabelValues) > 0 && len(b.Labels) == 0 {
			return fmt.Errorf("schema: block %q lists label values but has no label", b.Type)
		}
		if err := b.Schema.check(); err != nil {
			return fmt.Errorf("block %q: %w", b.Type, err)
		}
	}
	return nil
}

// Defaults returns the configuration of an empty block body: each attribute
// that has a default, set to it. A kind reads an optional block that a plan
// leaves out through it, so its defaults are declared once, in the schema.
func (s Schema) Defaults() Config {
	cfg, _ := s.Resolve(Config{})
	return cfg
}

// Resolve applies the schema to cfg as the plan loader does: an absent
// attribute takes its Default, and a Number, Int or Duration below its Min
// is an *AttrError (with the Path of its nested block), in nested blocks too.
// A kind calls it in New and Validate, so that a Config built by hand in Go
// gets the same defaults and minimums as one decoded from a plan; on a
// decoded Config it changes nothing. cfg is not modified. Errors are joined
// with errors.Join; the configuration returned holds every default even
// then.
func (s Schema) Resolve(cfg Config) (Config, error) {
	return s.resolve(cfg, nil)
}

func (s Schema) resolve(cfg Config, path []string) (Config, error) {
	out := Config{Attrs: make(map[string]any, len(s.Attrs))}
	maps.Copy(out.Attrs, cfg.Attrs)
	var errs []error
	for _, a := range s.Attrs {
		v, ok := out.Attrs[a.Name]
		switch {
		case !ok && a.Default != nil:
			out.Attrs[a.Name] = a.Default
		case ok:
			if err := a.checkMin(v); err != nil {
				errs = append(errs, &AttrError{Path: path, Attr: a.Name, Err: err})
			}
		}
	}
	for _, b := range cfg.Blocks {
		spec := s.Block(b.Type)
		if spec == nil {
			out.Blocks = append(out.Blocks, b)
			continue
		}
		step := b.Type
		if len(b.Labels) > 0 {
			step += "." + b.Labels[0]
		}
		sub, err := spec.Schema.resolve(b.Config, append(path[:len(path):len(path)], step))
		if err != nil {
			errs = append(errs, err)
		}
		out.Blocks = append(out.Blocks, Block{Type: b.Type, Labels: b.Labels, Config: sub})
	}
	return out, errors.Join(errs...)
}

// checkMin reports a value of a Number, Int or Duration attribute below Min,
// in the words of the plan loader's diagnostic. A value of another Go type
// is left to the accessors, which read it as absent.
func (a Attr) checkMin(v any) error {
	if a.Min == nil {
		return nil
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case time.Duration:
		f = float64(x)
	default:
		return nil
	}
	if f >= *a.Min {
		return nil
	}
	if a.Type == Duration {
		return fmt.Errorf("must be at least %s, got %s", time.Duration(*a.Min), time.Duration(f))
	}
	return fmt.Errorf("must be at least %s, got %s", strconv.FormatFloat(*a.Min, 'g', -1, 64), strconv.FormatFloat(f, 'g', -1, 64))
}

func checkGoType(t AttrType, v any) error {
	ok := false
	switch t {
	case String:
		_, ok = v.(string)
	case Number:
		_, ok = v.(float64)
	case Int:
		_, ok = v.(int64)
	case Bool:
		_, ok = v.(bool)
	case Duration:
		_, ok = v.(time.Duration)
	case StringList:
		_, ok = v.([]string)
	case NumberList:
		_, ok = v.([]float64)
	case Template:
		_, ok = v.(TemplateValue)
	case StringMap:
		_, ok = v.(map[string]string)
	}
	if !ok {
		return fmt.Errorf("value %T does not match type %s", v, t)
	}
	return nil
}

// Config is a decoded block body: attribute values of the Go types that
// AttrType maps to, with defaults filled in, and nested blocks in source order.
type Config struct {
	Attrs  map[string]any
	Blocks []Block
	// Ops holds, in a target's configuration for a kind with an OpSchema,
	// the op blocks that the plan's workloads declare against the target,
	// in the order that Request.Op indexes. Two workloads that both declare
	// an op "get" against one target have two entries.
	Ops []OpConfig
}

// OpConfig is one op block of a kind with an OpSchema: its name and its
// configuration (without weight).
type OpConfig struct {
	Name   string
	Config Config
}

// Block is one nested block of a Config.
type Block struct {
	Type   string
	Labels []string
	Config Config
}

// Has reports whether the attribute is set (or defaulted).
func (c Config) Has(name string) bool {
	_, ok := c.Attrs[name]
	return ok
}

// String returns a string attribute, or "" when absent.
func (c Config) String(name string) string {
	v, _ := c.Attrs[name].(string)
	return v
}

// Float returns a number attribute, or 0 when absent. Int attributes convert.
func (c Config) Float(name string) float64 {
	switch v := c.Attrs[name].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

// Int returns a whole-number attribute, or 0 when absent.
func (c Config) Int(name string) int64 {
	switch v := c.Attrs[name].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

// Bool returns a bool attribute, or false when absent.
func (c Config) Bool(name string) bool {
	v, _ := c.Attrs[name].(bool)
	return v
}

// Duration returns a duration attribute, or 0 when absent.
func (c Config) Duration(name string) time.Duration {
	v, _ := c.Attrs[name].(time.Duration)
	return v
}

// Strings returns a list-of-string attribute, or nil when absent.
func (c Config) Strings(name string) []string {
	v, _ := c.Attrs[name].([]string)
	return v
}

// Floats returns a list-of-number attribute, or nil when absent.
func (c Config) Floats(name string) []float64 {
	v, _ := c.Attrs[name].([]float64)
	return v
}

// Template returns a template attribute, or the empty template when absent.
func (c Config) Template(name string) TemplateValue {
	v, _ := c.Attrs[name].(TemplateValue)
	return v
}

// StringMap returns a map-of-string attribute, or nil when absent. The map
// must not be modified.
func (c Config) StringMap(name string) map[string]string {
	v, _ := c.Attrs[name].(map[string]string)
	return v
}

// BlocksOf returns the nested blocks of the given type, in source order.
func (c Config) BlocksOf(typ string) []Block {
	var out []Block
	for _, b := range c.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// AttrError is a validation error about one attribute, so that the plan
// loader can point its diagnostic at that attribute. Path holds the labels of
// enclosing nested blocks, outermost first, as "type" or "type.label".
type AttrError struct {
	Path []string
	Attr string
	Err  error
}

func (e *AttrError) Error() string { return fmt.Sprintf("%s: %v", e.Attr, e.Err) }
func (e *AttrError) Unwrap() error { return e.Err }

// Errorf returns an *AttrError for attribute attr. Kind.Validate may return
// several of them with errors.Join; the loader reports each one.
func Errorf(attr, format string, args ...any) error {
	return &AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

// TemplateValue is a decoded Template attribute: literal text and fields in
// order. "/items/${key}" is the part {Text: "/items/"} followed by the part
// {Field: "key"}.
type TemplateValue struct {
	Parts []TemplatePart
}

// TemplatePart is literal Text when Field is empty, else the named field.
type TemplatePart struct {
	Text  string
	Field string
}

// Literal returns a template of fixed text.
func Literal(text string) TemplateValue {
	if text == "" {
		return TemplateValue{}
	}
	return TemplateValue{Parts: []TemplatePart{{Text: text}}}
}

// Fields returns the names of the fields the template uses, in order,
// repeats included.
func (t TemplateValue) Fields() []string {
	var out []string
	for _, p := range t.Parts {
		if p.Field != "" {
			out = append(out, p.Field)
		}
	}
	return out
}

// IsLiteral reports whether the template uses no field.
func (t TemplateValue) IsLiteral() bool {
	for _, p := range t.Parts {
		if p.Field != "" {
			return false
		}
	}
	return true
}

// String returns the template as a plan writes it, "/items/${key}", with a
// literal "${" written "$${".
func (t TemplateValue) String() string {
	var b strings.Builder
	for _, p := range t.Parts {
		if p.Field != "" {
			b.WriteString("${" + p.Field + "}")
			continue
		}
		b.WriteString(strings.ReplaceAll(p.Text, "${", "$${"))
	}
	return b.String()
}

// Expand returns the template with each field replaced by field(name).
func (t TemplateValue) Expand(field func(name string) string) string {
	var b strings.Builder
	for _, p := range t.Parts {
		if p.Field != "" {
			b.WriteString(field(p.Field))
			continue
		}
		b.WriteString(p.Text)
	}
	return b.String()
}
