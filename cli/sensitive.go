package cli

import (
	"io"
	"reflect"
	"sort"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/report"
)

// secretsOf returns the sensitive texts of plans (plan.Plan.Sensitive),
// longest first.
func secretsOf(plans []*plan.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range plans {
		for _, s := range p.Sensitive {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrubWriter writes through w with every sensitive text replaced by
// (sensitive): the tables, progress lines and messages of a run whose plans
// have sensitive values.
type scrubWriter struct {
	w       io.Writer
	secrets []string
}

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, dsl.Redact(string(p), s.secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// scrubEnv returns env whose standard output and error are scrubbed of
// the plans' sensitive texts.
func scrubEnv(env Env, plans []*plan.Plan) Env {
	secrets := secretsOf(plans)
	if len(secrets) == 0 {
		return env
	}
	env.Stdout = scrubWriter{env.Stdout, secrets}
	env.Stderr = scrubWriter{env.Stderr, secrets}
	return env
}

// scrubPlanDoc replaces every sensitive text in the strings of pd (error
// samples, errors, messages) by (sensitive), so that no result file, table
// or history row holds one.
func scrubPlanDoc(pd *report.PlanDoc, secrets []string) {
	if len(secrets) > 0 {
		scrubValue(reflect.ValueOf(pd).Elem(), secrets)
	}
}

// scrubValue walks v, replacing the sensitive texts in its strings.
func scrubValue(v reflect.Value, secrets []string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := dsl.Redact(v.String(), secrets); s != v.String() {
				v.SetString(s)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() == reflect.String {
				if v.CanSet() {
					if s := dsl.Redact(e.String(), secrets); s != e.String() {
						v.Set(reflect.ValueOf(s))
					}
				}
				return
			}
			scrubValue(e, secrets)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i), secrets)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scrubValue(v.Index(i), secrets)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			switch e.Kind() {
			case reflect.String:
				if s := dsl.Redact(e.String(), secrets); s != e.String() {
					v.SetMapIndex(k, reflect.ValueOf(s).Convert(e.Type()))
				}
			case reflect.Interface:
				if !e.IsNil() && e.Elem().Kind() == reflect.String {
					if s := dsl.Redact(e.Elem().String(), secrets); s != e.Elem().String() {
						v.SetMapIndex(k, reflect.ValueOf(s))
					}
				}
			case reflect.Pointer:
				scrubValue(e, secrets)
			}
		}
	}
}
