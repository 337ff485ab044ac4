package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets"
)

// The starter plan's load: an open model at starterRate operations per
// second, its workers sized by Little's law: starterHeadroom times the
// operations in flight at starterLatency to start with, and as many as a
// latency of starterSlowest needs at most.
const (
	starterRate     = 200
	starterLatency  = 20 * time.Millisecond
	starterHeadroom = 3
	starterSlowest  = 500 * time.Millisecond
	starterP99      = 50 * time.Millisecond
)

// initCommand is `perfplan init KIND [FILE]`: it writes a commented
// starter plan for a target kind, generated from the kind's schema, to FILE
// (never over an existing file unless --force) or to stdout. The plan is
// loaded before it is written: a plan that does not validate is an internal
// error for a built-in kind, and for a custom kind its diagnostics are
// printed beside it.
func initCommand(env Env, args []string) int {
	fset := newFlagSet("init", "init [--force] KIND [FILE]", env.Stderr)
	force := fset.Bool("force", false, "overwrite FILE if it exists")
	var noColor bool
	addNoColorFlag(fset, &noColor)
	pos, code, done := parseCommand(fset, args)
	if done {
		return code
	}
	if len(pos) < 1 || len(pos) > 2 {
		fmt.Fprintf(env.Stderr, "perfplan init: want a target kind and at most one file, as `perfplan init cache plans/cache.hcl`; kinds: %s\n", strings.Join(env.Registry.Names(), ", "))
		return ExitUsage
	}
	kind, ok := env.Registry.Lookup(pos[0])
	if !ok {
		fmt.Fprintf(env.Stderr, "perfplan init: unknown target kind %q%s; kinds: %s\n", pos[0], suggestName(pos[0], env.Registry.Names()), strings.Join(env.Registry.Names(), ", "))
		return ExitUsage
	}
	src := StarterPlan(*kind)
	out := "-"
	if len(pos) == 2 {
		out = pos[1]
	}
	if out == "-" {
		// Check the plan through the real loader, from a file of its own.
		dir, err := os.MkdirTemp("", "perfplan-init")
		if err != nil {
			fmt.Fprintf(env.Stderr, "perfplan init: %v\n", err)
			return ExitOutput
		}
		defer os.RemoveAll(dir)
		tmp := filepath.Join(dir, kind.Name+".hcl")
		if err := os.WriteFile(tmp, src, 0o644); err != nil {
			fmt.Fprintf(env.Stderr, "perfplan init: %v\n", err)
			return ExitOutput
		}
		checkStarter(env, kind.Name, tmp, noColor)
		if _, err := env.Stdout.Write(src); err != nil {
			return ExitOutput
		}
		return ExitOK
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(out, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(env.Stderr, "perfplan init: %s exists; pass --force to overwrite it\n", out)
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan init: %v\n", err)
		return ExitOutput
	}
	if _, err := f.Write(src); err != nil {
		f.Close()
		fmt.Fprintf(env.Stderr, "perfplan init: write %s: %v\n", out, err)
		return ExitOutput
	}
	if err := f.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "perfplan init: write %s: %v\n", out, err)
		return ExitOutput
	}
	if checkStarter(env, kind.Name, out, noColor) {
		fmt.Fprintf(env.Stderr, "wrote %s; check it with `perfplan validate %s`, run it with `perfplan run %s`\n", out, out, out)
	}
	return ExitOK
}

// checkStarter loads a written starter plan through the real loader and
// prints its diagnostics, if any (a custom kind's schema may leave a
// required value that perfplan cannot guess). It reports whether the plan
// is valid.
func checkStarter(env Env, kind, path string, noColor bool) bool {
	loader := dsl.NewLoader(env.Registry, nil, nil)
	_, diags := loader.Load(path)
	if !diags.HasErrors() {
		return true
	}
	fmt.Fprintf(env.Stderr, "perfplan init: the starter plan for %q does not validate as written; fill in what the diagnostics name:\n", kind)
	_ = loader.WriteDiagnostics(env.Stderr, diags, colorOn(env, noColor, env.StderrTTY))
	return false
}

// suggestName returns ` (did you mean "x"?)` for the closest of names, or "".
func suggestName(got string, names []string) string {
	if best := dsl.Suggest(got, names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// StarterPlan returns a commented starter plan for kind, generated from its
// schema: a variable for each required string attribute (base_url), the
// target block with its required attributes and blocks written and every
// optional one commented out with its default, a workload over the kind's
// operations, an open-model scenario whose workers are sized by Little's
// law, and a typical gate. `perfplan init` writes it.
func StarterPlan(kind targets.Kind) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A starter plan for a %q target, written by `perfplan init %s`.\n", kind.Name, kind.Name)
	w("# Check it with `perfplan validate FILE` and run it with `perfplan run FILE`.\n")
	w("# Reference: docs/targets.md (targets), docs/executors.md (load models),\n")
	w("# docs/metrics.md (what an assertion can read). A commented-out attribute\n")
	w("# shows its default (or an example); uncomment it to set it.\n\n")
	w("plan %q {\n  description = %q\n}\n\n", kind.Name+"-starter", "A first plan for a "+kind.Name+" target")

	w("# Operations per second that the scenario offers. Override it with\n# --var rate=1000 (or PERFPLAN_VAR_rate=1000).\n")
	w("variable \"rate\" {\n  type    = number\n  default = %d\n}\n\n", starterRate)
	for _, a := range kind.Schema.Attrs {
		if !a.Required || a.Type != targets.String {
			continue
		}
		w("%s", comment("", a.Doc+". Set it with --var "+a.Name+"=VALUE."))
		w("variable %q {\n  type    = string\n  default = %s\n}\n\n", a.Name, exampleValue(a))
	}
	w("%s", comment("", kind.Doc+"."))
	w("target %q \"main\" {\n", kind.Name)
	writeBody(&b, kind.Schema, "  ", true)
	w("}\n\n")

	w("workload \"main\" {\n  target = target.%s.main\n", kind.Name)
	switch {
	case kind.OpSchema != nil:
		w("  # Name the operations as you like; each op block configures one request.\n")
		w("  op \"get\" {\n    weight = 1\n")
		writeBody(&b, *kind.OpSchema, "    ", false)
		w("  }\n")
	case len(kind.Ops) > 0:
		w("  # The operations and their relative weights (`perfplan targets` lists them).\n")
		weights := []int{90, 10}
		for i, op := range kind.Ops {
			prefix := ""
			weight := 1
			if i < len(weights) {
				weight = weights[i]
			} else {
				prefix = "# "
			}
			if op.Arg != "" {
				w("  %sop %q { # %s\n  %s  weight = %d\n  %s  %s = %d\n  %s}\n", prefix, op.Name, op.Doc, prefix, weight, prefix, op.Arg, op.ArgDefault, prefix)
				continue
			}
			w("  %sop %q { weight = %d } # %s\n", prefix, op.Name, weight, op.Doc)
		}
	}
	w("  # The keys the operations touch: uniform, or zipf/hotspot for a skewed mix.\n")
	w("  keys {\n    count        = 1000\n    distribution = \"uniform\"\n  }\n")
	w("  # value_size = 512 # bytes of each value written\n")
	w("}\n\n")

	busy := float64(starterRate) * starterLatency.Seconds()
	pre := int(math.Ceil(busy * starterHeadroom))
	maxVUs := int(math.Ceil(float64(starterRate) * starterSlowest.Seconds()))
	w("# An open model: operations arrive at var.rate per second whether or not the\n")
	w("# target keeps up, and each latency counts from when the operation was due,\n")
	w("# so queueing shows (docs/executors.md).\n#\n")
	w("# Sizing the workers, by Little's law (operations in flight = arrival rate x\n")
	w("# latency): at %d/s and a latency of %s, %d x %g = %g operations are in\n", starterRate, starterLatency, starterRate, starterLatency.Seconds(), busy)
	w("# flight on average. pre_allocated_vus starts %d times that (%d), so bursts\n", starterHeadroom, pre)
	w("# find a free worker; max_vus lets the pool grow until a latency of\n")
	w("# slowest_latency (%d x %g = %d workers) before operations are dropped,\n", starterRate, starterSlowest.Seconds(), maxVUs)
	w("# which the run reports and gates on. Both follow var.rate; set\n")
	w("# expected_latency to what you measure and slowest_latency to the most you\n")
	w("# accept.\n")
	w("locals {\n  expected_latency = %g # seconds\n  slowest_latency = %g # seconds\n}\n\n", starterLatency.Seconds(), starterSlowest.Seconds())
	w("scenario \"steady\" {\n")
	w("  workload          = workload.main\n")
	w("  executor          = \"constant-arrival-rate\"\n")
	w("  rate              = var.rate\n")
	w("  duration          = \"30s\"\n")
	w("  pre_allocated_vus = max(1, ceil(var.rate * local.expected_latency * %d)) # %d at the default rate\n", starterHeadroom, pre)
	w("  max_vus           = max(10, ceil(var.rate * local.slowest_latency)) # %d at the default rate\n\n", maxVUs)
	w("  # A typical gate: a latency objective, few errors, and no operation dropped\n")
	w("  # (a dropped operation means the figures are a lower bound).\n")
	w("  assert {\n    condition     = latency.p99 < duration(%q)\n    error_message = \"p99 latency at or above %s\"\n  }\n", fmtDuration(starterP99), fmtDuration(starterP99))
	w("  assert {\n    condition     = error_rate < 0.01 && dropped == 0\n    error_message = \"1%% or more of the operations failed, or some were dropped\"\n  }\n")
	w("}\n")
	return dsl.Format(b.Bytes())
}

// writeBody writes a block body from its schema: required attributes with a
// value (a variable for a required string of the target block when top is
// set), optional ones commented out with their default, required nested
// blocks written, optional ones commented out.
func writeBody(b *bytes.Buffer, s targets.Schema, indent string, top bool) {
	for i, a := range s.Attrs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(comment(indent, attrDoc(a)))
		switch {
		case a.Required && top && a.Type == targets.String:
			fmt.Fprintf(b, "%s%s = var.%s\n", indent, a.Name, a.Name)
		case a.Required:
			fmt.Fprintf(b, "%s%s = %s\n", indent, a.Name, exampleValue(a))
		default:
			fmt.Fprintf(b, "%s# %s = %s\n", indent, a.Name, exampleValue(a))
		}
	}
	for _, bs := range s.Blocks {
		b.WriteString("\n")
		label := ""
		if len(bs.Labels) > 0 {
			l := bs.Labels[0]
			if len(bs.LabelValues) > 0 {
				l = bs.LabelValues[0]
			}
			label = strconv.Quote(l) + " "
		}
		if bs.Starter != "" {
			label = strconv.Quote(bs.Starter) + " "
		}
		if bs.Required || bs.Starter != "" {
			b.WriteString(comment(indent, bs.Doc+"."))
			fmt.Fprintf(b, "%s%s %s{\n", indent, bs.Type, label)
			writeBody(b, bs.Schema, indent+"  ", false)
			fmt.Fprintf(b, "%s}\n", indent)
			continue
		}
		// An optional block: its header and required attributes commented
		// out, the rest listed by name.
		b.WriteString(comment(indent, "Optional: "+bs.Doc+"."))
		fmt.Fprintf(b, "%s# %s %s{\n", indent, bs.Type, label)
		for _, a := range bs.Schema.Attrs {
			fmt.Fprintf(b, "%s#   %s = %s\n", indent, a.Name, exampleValue(a))
		}
		fmt.Fprintf(b, "%s# }\n", indent)
	}
}

// attrDoc is an attribute's comment: its doc, its choices and whether it is
// required.
func attrDoc(a targets.Attr) string {
	doc := a.Doc
	if len(a.OneOf) > 0 && !strings.Contains(doc, strconv.Quote(a.OneOf[0])) {
		doc += " (one of " + strings.Join(a.OneOf, ", ") + ")"
	}
	if a.Required {
		doc = "Required: " + doc
	}
	return doc
}

// exampleValue is the value written for an attribute: its Example, its
// default, or a value of its type (the first of OneOf, its Min).
func exampleValue(a targets.Attr) string {
	v := a.Example
	if v == nil {
		v = a.Default
	}
	if v == nil {
		switch a.Type {
		case targets.String:
			v = ""
			if len(a.OneOf) > 0 {
				v = a.OneOf[0]
			}
		case targets.Number:
			v = 0.0
			if a.Min != nil {
				v = *a.Min
			}
		case targets.Int:
			v = int64(1)
			if a.Min != nil && *a.Min > 1 {
				v = int64(*a.Min)
			}
		case targets.Bool:
			v = false
		case targets.Duration:
			v = time.Second
		case targets.StringList:
			v = []string{}
		case targets.NumberList:
			v = []float64{}
		case targets.Template:
			v = targets.Literal("/")
		case targets.StringMap:
			v = map[string]string{}
		}
	}
	return hclValue(v)
}

// hclValue writes a Go value of an attribute type as HCL.
func hclValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Duration:
		return strconv.Quote(fmtDuration(x))
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case []float64:
		q := make([]string, len(x))
		for i, f := range x {
			q[i] = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case targets.TemplateValue:
		return strconv.Quote(x.String())
	case map[string]string:
		if len(x) == 0 {
			return "{}"
		}
		var parts []string
		for k, val := range x {
			parts = append(parts, strconv.Quote(k)+" = "+strconv.Quote(val))
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return fmt.Sprint(v)
}

// fmtDuration writes d as a plan writes it: "5m" rather than "5m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// comment wraps text into "# " lines of at most 80 columns after indent.
func comment(indent, text string) string {
	text = strings.TrimSpace(text)
	if text == "" || text == "." {
		return ""
	}
	var b strings.Builder
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(indent)+2+len(line)+1+len(word) > 80 {
			b.WriteString(indent + "# " + line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	b.WriteString(indent + "# " + line + "\n")
	return b.String()
}
