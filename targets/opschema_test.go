package targets

import (
	"reflect"
	"strings"
	"testing"
)

func newKind() Kind {
	return Kind{
		Name:     "k",
		New:      func(Config) (Target, error) { return nil, nil },
		OpSchema: &Schema{Attrs: []Attr{{Name: "path", Type: Template, Fields: []string{"key"}, Default: Literal("/")}}},
		Stats:    []string{"requests", "status_200"},
		Sparse:   []string{"status_200"},
	}
}

func TestRegisterOpSchema(t *testing.T) {
	t.Parallel()
	if err := NewRegistry().Register(newKind()); err != nil {
		t.Fatalf("a kind with an op schema: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Kind)
		want string
	}{
		{"neither", func(k *Kind) { k.OpSchema = nil }, "no operations"},
		{"both", func(k *Kind) { k.Ops = []OpSpec{{Name: "get"}} }, "both fixed operations and an op schema"},
		{"validate without schema", func(k *Kind) {
			k.OpSchema, k.Ops = nil, []OpSpec{{Name: "get"}}
			k.ValidateOp = func(Config, OpConfig) error { return nil }
		}, "ValidateOp without an op schema"},
		{"weight", func(k *Kind) { k.OpSchema.Attrs = append(k.OpSchema.Attrs, Attr{Name: "weight", Type: Number}) }, `"weight" belongs to every op block`},
		{"fields on a string", func(k *Kind) { k.OpSchema.Attrs[0].Type, k.OpSchema.Attrs[0].Default = String, nil }, "lists template fields but is a string"},
		{"bad default", func(k *Kind) { k.OpSchema.Attrs[0].Default = "/" }, `default of "path"`},
		{"sparse not a stat", func(k *Kind) { k.Sparse = []string{"status_404"} }, `sparse statistic "status_404" is not in Stats`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newKind()
			sch := *k.OpSchema
			sch.Attrs = append([]Attr(nil), sch.Attrs...)
			k.OpSchema = &sch
			tc.edit(&k)
			err := NewRegistry().Register(k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Register = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestSpanStatsSparse(t *testing.T) {
	t.Parallel()
	k := newKind()
	before := map[string]float64{"requests": 10, "status_200": 10}
	after := map[string]float64{"requests": 15, "status_200": 10}
	// status_200 did not change over the span: it is left out, as a
	// sparse counter is before it first counts.
	want := map[string]float64{"requests": 5}
	if got := SpanStats(&k, before, after); !reflect.DeepEqual(got, want) {
		t.Fatalf("SpanStats = %v, want %v", got, want)
	}
	if !k.IsSparse("status_200") || k.IsSparse("requests") {
		t.Fatal("IsSparse")
	}
}

func TestTemplateValue(t *testing.T) {
	t.Parallel()
	tv := TemplateValue{Parts: []TemplatePart{{Text: "/items/"}, {Field: "key"}, {Text: "?x=$${y}&k="}, {Field: "key"}}}
	if got, want := tv.String(), "/items/${key}?x=$$${y}&k=${key}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := tv.Fields(); !reflect.DeepEqual(got, []string{"key", "key"}) {
		t.Errorf("Fields = %q", got)
	}
	if tv.IsLiteral() || !Literal("/").IsLiteral() || len(Literal("").Parts) != 0 {
		t.Error("IsLiteral")
	}
	if got := tv.Expand(func(string) string { return "7" }); got != "/items/7?x=$${y}&k=7" {
		t.Errorf("Expand = %q", got)
	}
	c := Config{Attrs: map[string]any{"path": tv, "headers": map[string]string{"A": "b"}}}
	if !reflect.DeepEqual(c.Template("path"), tv) || c.StringMap("headers")["A"] != "b" || c.StringMap("nope") != nil {
		t.Error("accessors")
	}
}
