package dsl

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"
	"github.com/zclconf/go-cty/cty"
)

// MaxPrintedDiagnostics is how many diagnostics WriteDiagnostics prints;
// one line sums up the rest.
const MaxPrintedDiagnostics = 50

// maxSnippetLine is the most bytes of one source line a snippet shows; a
// longer line is cut around the highlighted part, marked with "…".
const maxSnippetLine = 200

// WriteDiagnostics prints diags with source snippets from the files this
// Loader has read, in the layout of HCL's own diagnostic writer, each after
// a compiler-style FILE:LINE,COL line that editors and CI logs link to. It
// prints the first MaxPrintedDiagnostics and then counts the rest. With
// color it wraps at 100 columns (a terminal); without, it does not wrap
// (CI logs).
//
// Its time is linear in the number of diagnostics and the size of the
// files: each file's line index is built once (HCL's writer rescans the
// file from its start for every diagnostic).
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) error {
	bw := bufio.NewWriter(w)
	dw := &diagWriter{w: bw, files: map[string]*sourceFile{}, color: color}
	for name, f := range l.parser.Files() {
		dw.files[name] = &sourceFile{file: f}
	}
	for name, f := range l.extra {
		dw.files[name] = &sourceFile{file: f}
	}
	if color {
		dw.width = 100
	}
	for i, d := range diags {
		if i == MaxPrintedDiagnostics {
			dw.rest(diags[i:])
			break
		}
		dw.write(d)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

// sourceFile is a file's source with a line index built on first use.
type sourceFile struct {
	file  *hcl.File
	lines []int // byte offset where each line starts
}

func (f *sourceFile) lineStarts() []int {
	if f.lines == nil {
		src := f.file.Bytes
		f.lines = []int{0}
		for i, b := range src {
			if b == '\n' {
				f.lines = append(f.lines, i+1)
			}
		}
	}
	return f.lines
}

// diagWriter writes to a bufio.Writer, whose first error sticks and is
// returned by Flush, so the write calls need no checks of their own.
type diagWriter struct {
	w     *bufio.Writer
	files map[string]*sourceFile
	width uint
	color bool
}

func (dw *diagWriter) write(d *hcl.Diagnostic) {
	if d == nil {
		return
	}
	var colorCode, highlight, reset string
	if dw.color {
		switch d.Severity {
		case hcl.DiagError:
			colorCode = "\x1b[31m"
		case hcl.DiagWarning:
			colorCode = "\x1b[33m"
		}
		reset = "\x1b[0m"
		highlight = "\x1b[1;4m"
	}
	severity := "Error"
	if d.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	if d.Subject != nil {
		fmt.Fprintf(dw.w, "%s:%d,%d:\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	fmt.Fprintf(dw.w, "%s%s%s: %s\n\n", colorCode, severity, reset, d.Summary)
	if d.Subject != nil {
		dw.snippet(d, highlight, reset)
		if d.Expression != nil && d.EvalContext != nil {
			dw.values(d.Expression, d.EvalContext)
		}
	}
	if d.Detail != "" {
		detail := d.Detail
		if dw.width != 0 {
			detail = wordwrap.WrapString(detail, dw.width)
		}
		fmt.Fprintf(dw.w, "%s\n\n", detail)
	}
}

// snippet prints "on FILE line N, in BLOCK:" and the source lines of the
// subject (and context), the subject highlighted.
func (dw *diagWriter) snippet(d *hcl.Diagnostic, highlight, reset string) {
	subj := *d.Subject
	f := dw.files[subj.Filename]
	if f == nil || f.file == nil || f.file.Bytes == nil {
		fmt.Fprintf(dw.w, "  on %s line %d:\n  (source code not available)\n\n", subj.Filename, subj.Start.Line)
		return
	}
	in := ""
	if cs, ok := f.file.Nav.(interface{ ContextString(offset int) string }); ok {
		if c := cs.ContextString(subj.Start.Byte); c != "" {
			in = ", in " + c
		}
	}
	fmt.Fprintf(dw.w, "  on %s line %d%s:\n", subj.Filename, subj.Start.Line, in)

	snip, hl := subj, subj
	if d.Context != nil {
		snip = hcl.RangeOver(snip, *d.Context)
	}
	// An empty range cannot be shown; widen it to one character.
	if snip.Empty() {
		snip.End.Byte++
	}
	if hl.Empty() {
		hl.End.Byte++
	}
	src := f.file.Bytes
	starts := f.lineStarts()
	first := sort.SearchInts(starts, snip.Start.Byte+1) - 1
	if first < 0 {
		first = 0
	}
	for i := first; i < len(starts) && starts[i] < snip.End.Byte; i++ {
		ls, le := starts[i], len(src)
		if i+1 < len(starts) {
			le = starts[i+1] - 1 // the newline
		}
		if le > ls && src[le-1] == '\r' {
			le--
		}
		line := hcl.Range{Filename: subj.Filename, Start: hcl.Pos{Byte: ls, Line: i + 1}, End: hcl.Pos{Byte: le, Line: i + 1}}
		if !line.Overlaps(snip) {
			continue
		}
		_, mid, _ := line.PartitionAround(hl)
		hs, he := -1, -1
		if !mid.Empty() {
			hs, he = mid.Start.Byte, mid.End.Byte
		}
		fmt.Fprintf(dw.w, "%4d: %s\n", i+1, sourceLine(src, ls, le, hs, he, highlight, reset))
	}
	dw.w.WriteByte('\n')
}

// sourceLine renders src[ls:le] with src[hs:he] highlighted (hs < 0: no
// highlight). A line longer than maxSnippetLine is cut to a window around
// the highlight; control characters and invalid UTF-8 are escaped.
func sourceLine(src []byte, ls, le, hs, he int, highlight, reset string) string {
	ws, we := ls, le
	if le-ls > maxSnippetLine {
		if hs >= 0 {
			ws = max(ls, hs-maxSnippetLine/4)
		}
		we = min(le, ws+maxSnippetLine)
		for ws > ls && !utf8.RuneStart(src[ws]) {
			ws--
		}
		for we < le && we > ws && !utf8.RuneStart(src[we]) {
			we--
		}
	}
	var b strings.Builder
	if ws > ls {
		b.WriteString("…")
	}
	if hs < 0 {
		writeClean(&b, src[ws:we])
	} else {
		hs, he = min(max(hs, ws), we), min(max(he, ws), we)
		writeClean(&b, src[ws:hs])
		b.WriteString(highlight)
		writeClean(&b, src[hs:he])
		b.WriteString(reset)
		writeClean(&b, src[he:we])
	}
	if we < le {
		b.WriteString("…")
	}
	return b.String()
}

// writeClean writes p, escaping control characters other than tab and
// bytes that are not UTF-8 as \xNN, so that a snippet of a broken file
// cannot garble the terminal.
func writeClean(b *strings.Builder, p []byte) {
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, p[0])
			size = 1
		default:
			b.Write(p[:size])
		}
		p = p[size:]
	}
}

// values prints the values of the variables an expression refers to
// ("with var.rate as 5."), as HCL's writer does.
func (dw *diagWriter) values(expr hcl.Expression, ctx *hcl.EvalContext) {
	var stmts []string
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		v, diags := t.TraverseAbs(ctx)
		if diags.HasErrors() {
			continue // reported on its own
		}
		name := traversalString(t)
		if seen[name] {
			continue
		}
		switch {
		case !v.IsKnown(), v.IsMarked():
			continue
		case v.IsNull():
			stmts = append(stmts, name+" set to null")
		default:
			stmts = append(stmts, name+" as "+valueString(v))
		}
		seen[name] = true
	}
	sort.Strings(stmts)
	for i, s := range stmts {
		if i == 0 {
			dw.w.WriteString("with ")
		} else {
			dw.w.WriteString("     ")
		}
		dw.w.WriteString(s)
		if i == len(stmts)-1 {
			dw.w.WriteString(".\n\n")
		} else {
			dw.w.WriteString(",\n")
		}
	}
}

// rest sums up the diagnostics not printed.
func (dw *diagWriter) rest(diags hcl.Diagnostics) {
	errs, warns := 0, 0
	perFile := map[string]int{}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
		if d.Subject != nil {
			perFile[d.Subject.Filename]++
		}
	}
	var parts []string
	if errs > 0 {
		parts = append(parts, plural(errs, "more error", "more errors"))
	}
	if warns > 0 {
		parts = append(parts, plural(warns, "more warning", "more warnings"))
	}
	var where []string
	for _, name := range sortedKeys(perFile) {
		where = append(where, fmt.Sprintf("%s: %d", name, perFile[name]))
	}
	fmt.Fprintf(dw.w, "... and %s not shown", strings.Join(parts, " and "))
	if len(where) > 0 {
		fmt.Fprintf(dw.w, " (%s)", strings.Join(where, ", "))
	}
	fmt.Fprintf(dw.w, "; perfplan prints the first %d diagnostics.\n\n", MaxPrintedDiagnostics)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// traversalString spells a traversal for the "with" lines.
func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type().IsPrimitiveType() {
				b.WriteString("[" + valueString(s.Key) + "]")
			} else {
				b.WriteString("[...]")
			}
		}
	}
	return b.String()
}

// valueString describes a value briefly: scalars as written, collections
// and objects by their size.
func valueString(v cty.Value) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(not yet known)"
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty == cty.Number:
		return v.AsBigFloat().Text('g', 10)
	case ty == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case ty.IsCollectionType() || ty.IsTupleType():
		switch n := v.LengthInt(); n {
		case 0:
			return "empty " + ty.FriendlyName()
		case 1:
			return ty.FriendlyName() + " with 1 element"
		default:
			return fmt.Sprintf("%s with %d elements", ty.FriendlyName(), n)
		}
	case ty.IsObjectType():
		attrs := ty.AttributeTypes()
		switch len(attrs) {
		case 0:
			return "object with no attributes"
		case 1:
			for name := range attrs {
				return fmt.Sprintf("object with 1 attribute %q", name)
			}
		}
		return fmt.Sprintf("object with %d attributes", len(attrs))
	}
	return ty.FriendlyName()
}
