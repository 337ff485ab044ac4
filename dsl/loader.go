// Package dsl turns perfplan's HCL plan files into validated *plan.Plan
// values. It parses the file, resolves input variables (defaults, the
// environment, --var-file and --var), evaluates locals, expands dynamic
// blocks, checks target blocks against their kind's schema, compiles
// workloads, scenarios and assertions, and reports every problem it finds
// in one pass as HCL diagnostics with source ranges.
//
// The executor never sees HCL: assertions compile to plan.Condition values
// that evaluate against plain metric values.
package dsl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets"
)

// VarArg is one variable setting from the command line, in command-line
// order: either Name=Value (from --var) or File (from --var-file).
type VarArg struct {
	Name, Value, File string
}

// Loader loads plan files. It keeps the parsed files so that WriteDiagnostics
// can print source snippets. A Loader is not safe for concurrent use.
type Loader struct {
	reg      *targets.Registry
	args     []VarArg
	env      map[string]string
	parser   *hclparse.Parser
	extra    map[string]*hcl.File // sources not in parser: --var and environment values, files rejected before parsing
	declared map[string]bool
	// fileVars names the file of each variable that a --var-file sets.
	fileVars map[string]string
	// parseDiags keeps each file's parse diagnostics: the parser caches
	// files by name and returns no diagnostics the second time.
	parseDiags map[string]hcl.Diagnostics
}

// parse parses an HCL file once, from src or (when src is nil) from disk.
// A file over MaxFileSize, not UTF-8 text or nested deeper than
// MaxNestingDepth is not parsed: parse returns a nil file and one
// diagnostic.
func (l *Loader) parse(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	if f, ok := l.parser.Files()[filename]; ok {
		return f, l.parseDiags[filename]
	}
	if diags, rejected := l.parseDiags[filename]; rejected {
		return nil, diags
	}
	if src == nil {
		b, tooBig, err := readSource(filename)
		switch {
		case err != nil:
			diags := hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Failed to read file",
				Detail:   fmt.Sprintf("The file %q could not be read: %v.", filename, err),
			}}
			l.parseDiags[filename] = diags
			return nil, diags
		case tooBig:
			// Keep the start of the file for the snippet.
			l.extra[filename] = &hcl.File{Bytes: b}
			diags := hcl.Diagnostics{tooLarge(b, filename)}
			l.parseDiags[filename] = diags
			return nil, diags
		}
		src = b
	}
	if diags := checkSource(src, filename); diags.HasErrors() {
		l.extra[filename] = &hcl.File{Bytes: src}
		l.parseDiags[filename] = diags
		return nil, diags
	}
	f, diags := l.parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		addFormatHint(src, diags)
	}
	l.parseDiags[filename] = diags
	return f, diags
}

// EnvPrefix is the prefix of environment variables that set plan variables:
// PERFPLAN_VAR_rate=5000 sets var.rate.
const EnvPrefix = "PERFPLAN_VAR_"

// NewLoader returns a Loader that checks target blocks against reg and takes
// variable values from args (--var and --var-file, in command-line order)
// and from environ (as returned by os.Environ) entries named
// PERFPLAN_VAR_name.
func NewLoader(reg *targets.Registry, args []VarArg, environ []string) *Loader {
	if reg == nil {
		reg = targets.NewRegistry()
	}
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) || len(k) == len(EnvPrefix) {
			continue
		}
		env[strings.TrimPrefix(k, EnvPrefix)] = v
	}
	return &Loader{
		reg:      reg,
		args:     append([]VarArg(nil), args...),
		env:      env,
		parser:   hclparse.NewParser(),
		extra:    map[string]*hcl.File{},
		declared: map[string]bool{},
		fileVars: map[string]string{},

		parseDiags: map[string]hcl.Diagnostics{},
	}
}

// DeclaredVariables returns the names of the variables declared by any plan
// loaded so far, so that the CLI can reject a --var that no plan declares.
func (l *Loader) DeclaredVariables() map[string]bool {
	out := make(map[string]bool, len(l.declared))
	for k := range l.declared {
		out[k] = true
	}
	return out
}

// VarFileVariables returns the variables that the --var-file files read so
// far set, each with its file, so that the CLI can reject one that no plan
// declares, as it does a --var.
func (l *Loader) VarFileVariables() []VarArg {
	out := make([]VarArg, 0, len(l.fileVars))
	for name, file := range l.fileVars {
		out = append(out, VarArg{Name: name, File: file})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Format returns src in canonical HCL style (hclwrite.Format), for
// `perfplan fmt`.
func Format(src []byte) []byte { return hclwrite.Format(src) }

// Load reads, validates and compiles one plan file. It reports every problem
// it finds; the plan is nil when any diagnostic is an error.
func (l *Loader) Load(path string) (p *plan.Plan, diags hcl.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			p = nil
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Internal error",
				Detail:   fmt.Sprintf("perfplan failed while loading %s: %v. Please report this as a bug.", path, r),
				Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
			})
		}
	}()
	src, tooBig, err := readSource(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read plan file",
			Detail:   fmt.Sprintf("read plan %s: %v", path, err),
		}}
	}
	if tooBig {
		l.extra[path] = &hcl.File{Bytes: src}
		return nil, hcl.Diagnostics{tooLarge(src, path)}
	}
	sum := sha256.Sum256(src)
	s := &state{
		l:    l,
		path: path,
		src:  src,
		plan: &plan.Plan{
			File:      path,
			Hash:      hex.EncodeToString(sum[:]),
			Variables: map[string]any{},
		},
		targets:      map[string]*plan.Target{},
		workloads:    map[string]*plan.Workload{},
		targetDefs:   map[string]hcl.Range{},
		workloadDefs: map[string]hcl.Range{},
		cross: crossState{declared: map[string]hcl.Range{}, duetDecl: map[string]hcl.Range{},
			duets: map[string]*plan.Duet{}},
	}
	s.load()
	s.scrubDiags()
	sortDiags(s.diags)
	if s.diags.HasErrors() {
		return nil, s.diags
	}
	return s.plan, s.diags
}

// state is the work of one Load call.
type state struct {
	l     *Loader
	path  string
	src   []byte
	diags hcl.Diagnostics
	ctx   *hcl.EvalContext
	plan  *plan.Plan

	// targets and workloads by reference name; entries whose block had
	// errors are present too (with a nil Spec or nil Target) so that
	// references to them do not cascade into more diagnostics.
	targets   map[string]*plan.Target
	workloads map[string]*plan.Workload
	// where each target and workload was first declared
	targetDefs, workloadDefs map[string]hcl.Range
	// sorted references to the declared targets and workloads, for
	// diagnostics (see declaredRefs)
	targetRefs, workloadRefs []string

	// cross holds the scenarios, duets and cross-scenario references
	// (see resolveCross).
	cross crossState

	// errTotal counts the errors among diags[:counted] (see errCount).
	errTotal, counted int
	// suggestCost counts the comparisons "Did you mean" suggestions
	// have made (see suggestBudget).
	suggestCost int
	// sweepValues holds, by reference ("target.cache.l1[\"small\"]"),
	// the text of each for_each instance's each.value.
	sweepValues map[string]string
}

// errCount returns the number of errors in s.diags. Callers compare it
// before and after a step to learn whether the step failed. It counts only
// the diagnostics appended since its last call, so a plan with thousands
// of errors does not make loading quadratic (diags are only ever appended
// until Load sorts them).
func (s *state) errCount() int {
	for ; s.counted < len(s.diags); s.counted++ {
		if s.diags[s.counted].Severity == hcl.DiagError {
			s.errTotal++
		}
	}
	return s.errTotal
}

var topSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "plan", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "target", LabelNames: []string{"kind", "name"}},
		{Type: "workload", LabelNames: []string{"name"}},
		{Type: "scenario", LabelNames: []string{"name"}},
		{Type: "duet", LabelNames: []string{"name"}},
		{Type: "assert"},
	},
}

func (s *state) load() {
	file, d := s.l.parse(s.src, s.path)
	s.diags = append(s.diags, d...)
	if d.HasErrors() || file == nil {
		return
	}
	s.checkLabels(file.Body)
	content, d := file.Body.Content(topSchema)
	s.diags = append(s.diags, d...)
	if content == nil {
		return
	}
	topErrors := d.HasErrors()
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}

	vars := s.variables(byType["variable"])
	locals := s.locals(byType["locals"], vars)
	defer s.explainReferences(vars, locals)
	s.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   objectOf(vars),
			"local": objectOf(locals),
		},
		Functions: functions(),
	}

	s.planBlock(byType["plan"])
	for _, b := range byType["target"] {
		for _, inst := range s.instances(b, 1) {
			s.withInstance(inst, func() { s.target(inst.block) })
			s.noteSweep("target."+inst.block.Labels[0]+"."+inst.block.Labels[1], inst)
		}
	}
	for _, b := range byType["workload"] {
		for _, inst := range s.instances(b, 0) {
			s.withInstance(inst, func() { s.workload(inst.block) })
			s.noteSweep("workload."+inst.block.Labels[0], inst)
		}
	}
	names := s.cross.declared
	for _, b := range byType["scenario"] {
		if _, dup := names[b.Labels[0]]; !dup {
			names[b.Labels[0]] = b.DefRange
		}
	}
	first := map[string]hcl.Range{}
	for _, b := range byType["scenario"] {
		// The instances of a for_each scenario run one after another, in
		// key order, so that they do not share the CPU: each starts when
		// the one before it is planned to end.
		var offset time.Duration
		for _, inst := range s.instances(b, 0) {
			name := inst.block.Labels[0]
			if prev, dup := first[name]; dup {
				s.errorf(b.LabelRanges[0].Ptr(), "Duplicate scenario", "A scenario named %q was already declared on line %d.", name, prev.Start.Line)
				continue
			}
			first[name] = b.DefRange
			s.withInstance(inst, func() { s.scenario(inst.block) })
			if inst.each != cty.NilVal && len(s.plan.Scenarios) > 0 {
				if sc := s.plan.Scenarios[len(s.plan.Scenarios)-1]; sc.Name == name {
					sc.Sweep = &plan.Sweep{Name: baseName(name), Key: inst.key, Value: s.sweepText(inst.each.GetAttr("value"))}
					sc.StartTime += offset
					if sc.Config != nil {
						offset += sc.Config.Longest()
					}
				}
			}
		}
	}
	for _, b := range byType["duet"] {
		s.duet(b)
	}
	for _, b := range byType["assert"] {
		s.planAssertion(b)
	}
	s.resolveCross()
	if len(byType["scenario"]) == 0 && !topErrors {
		// An empty file, or one that is not a plan, would otherwise pass
		// with nothing run. (A misspelled or mislabelled block is already
		// an error, and may be the scenario meant.)
		// Point at the plan block, or else at the start of the file.
		subject := file.Body.MissingItemRange()
		if blocks := byType["plan"]; len(blocks) > 0 {
			subject = blocks[0].DefRange
		}
		s.errorf(subject.Ptr(), "Plan has no scenarios",
			"A plan must declare at least one scenario block; this file declares none, so running it would measure nothing. Is it the right file?")
	}
}

func (s *state) planBlock(blocks []*hcl.Block) {
	base := filepath.Base(s.path)
	s.plan.Name = strings.TrimSuffix(base, filepath.Ext(base))
	for i, b := range blocks {
		if i > 0 {
			s.errorf(b.DefRange.Ptr(), "Duplicate plan block", "A plan file holds at most one plan block; the first is on line %d.", blocks[0].DefRange.Start.Line)
			continue
		}
		s.plan.Name = b.Labels[0]
		if strings.TrimSpace(b.Labels[0]) == "" {
			s.errorf(b.LabelRanges[0].Ptr(), "Invalid plan name", "The plan name must not be empty.")
		}
		content, d := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "description"}, {Name: "tags"}, {Name: "profile"},
		}})
		s.diags = append(s.diags, d...)
		if a := content.Attributes["description"]; a != nil {
			s.plan.Description, _ = s.str(a)
		}
		if a := content.Attributes["tags"]; a != nil {
			s.plan.Tags, _ = s.strList(a)
		}
		if a := content.Attributes["profile"]; a != nil {
			s.plan.Profile, _ = s.boolean(a)
		}
	}
}

// errorf appends an error diagnostic.
func (s *state) errorf(subject *hcl.Range, summary, format string, args ...any) {
	s.diags = append(s.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject,
	})
}

// exprErrorf appends an error diagnostic about an expression, with the
// expression and context so that the writer shows the values involved.
func (s *state) exprErrorf(expr hcl.Expression, summary, format string, args ...any) {
	s.diags = append(s.diags, &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     summary,
		Detail:      fmt.Sprintf(format, args...),
		Subject:     expr.Range().Ptr(),
		Expression:  expr,
		EvalContext: s.ctx,
	})
}

// sortDiags orders diagnostics by file and position, those without a
// location first, so that they read top to bottom.
func sortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
