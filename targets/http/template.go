package http

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/perfplan/perfplan/targets"
)

// tmpl is a compiled template: literal bytes and fields, appended to a
// buffer without allocating.
type tmpl struct {
	parts []tpart
}

type tpart struct {
	text  []byte
	field string
}

func compile(t targets.TemplateValue) tmpl {
	var c tmpl
	for _, p := range t.Parts {
		c.parts = append(c.parts, tpart{text: []byte(p.Text), field: p.Field})
	}
	return c
}

// literal reports whether the template has no field.
func (t *tmpl) literal() bool {
	for _, p := range t.parts {
		if p.field != "" {
			return false
		}
	}
	return true
}

// appendTo appends the template expanded for key, worker and value.
func (t *tmpl) appendTo(dst []byte, key uint64, worker int, value []byte) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		switch p.field {
		case "":
			dst = append(dst, p.text...)
		case FieldKey:
			dst = strconv.AppendUint(dst, key, 10)
		case FieldWorker:
			dst = strconv.AppendInt(dst, int64(worker), 10)
		case FieldValue:
			dst = append(dst, value...)
		}
	}
	return dst
}

// opBody returns an op's fixed body (body_size random bytes drawn from
// rng, or a body template without fields, expanded for worker id), or
// dyn true when its body template has fields and is expanded per request.
func opBody(oc *OpConfig, body *tmpl, rng *rand.Rand, id int) (static []byte, dyn bool) {
	switch {
	case oc.BodySize > 0:
		return randomBytes(rng, oc.BodySize), false
	case oc.HasBody && !body.literal():
		return nil, true
	case oc.HasBody:
		return body.appendTo([]byte{}, 0, id, nil), false
	}
	return nil, false
}

// userAgent is sent unless the plan's headers set User-Agent.
const userAgent = "perfplan"

// mergeHeaders returns the target's headers with the op's added (an op's
// header replaces the target's of the same name, in any case), and
// User-Agent unless they set it, sorted by name.
func mergeHeaders(target, op map[string]string) [][2]string {
	merged := map[string][2]string{}
	for _, h := range []map[string]string{target, op} {
		for k, v := range h {
			merged[strings.ToLower(k)] = [2]string{k, v}
		}
	}
	if _, ok := merged["user-agent"]; !ok {
		merged["user-agent"] = [2]string{"User-Agent", userAgent}
	}
	out := make([][2]string, 0, len(merged))
	for _, k := range slices.Sorted(maps.Keys(merged)) {
		out = append(out, merged[k])
	}
	return out
}
