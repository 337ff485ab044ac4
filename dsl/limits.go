package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Limits on what the loader reads. A file that breaks one of them is
// rejected with a single diagnostic before the HCL parser sees it: the
// parser recurses once per level of nesting and would overflow the Go stack
// (a fatal error, not a panic that can be recovered) on input such as
// 100,000 nested parentheses.
const (
	// MaxFileSize is the largest plan or --var-file file, in bytes.
	MaxFileSize = 1 << 20
	// MaxNestingDepth is the deepest nesting a plan, a --var-file or a
	// --var value may use. Each open bracket, parenthesis, brace, quoted
	// string, heredoc, template interpolation or template directive is one
	// level, and so is each operator in a chain such as a && b && c
	// (a chain nests in the syntax tree as deeply as it is long); a comma,
	// and a newline outside brackets, ends a chain.
	MaxNestingDepth = 256
)

// readSource reads at most MaxFileSize+1 bytes of path, so that a huge file,
// or a device such as /dev/zero, is not read to its end. tooBig reports that
// the file is larger than MaxFileSize; src then holds its first
// MaxFileSize+1 bytes.
func readSource(path string) (src []byte, tooBig bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, false, errors.New("is a directory")
	}
	src, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, false, err
	}
	return src, len(src) > MaxFileSize, nil
}

// tooLarge is the diagnostic for a file over MaxFileSize; src is its first
// MaxFileSize+1 bytes.
func tooLarge(src []byte, filename string) *hcl.Diagnostic {
	at := posAt(src, MaxFileSize, filename)
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Plan file too large",
		Detail: fmt.Sprintf("The file is larger than %d bytes (%d MiB), the most perfplan reads; this is the point where it passes the limit. "+
			"Is it the right file?", MaxFileSize, MaxFileSize>>20),
		Subject: &at,
	}
}

// CheckSource checks src, the contents of filename, as Load does before it
// parses a file: its size (MaxFileSize), its encoding and its nesting
// (MaxNestingDepth). A caller that parses HCL itself (perfplan fmt) must
// not parse src when CheckSource returns errors.
func CheckSource(src []byte, filename string) hcl.Diagnostics {
	if len(src) > MaxFileSize {
		return hcl.Diagnostics{tooLarge(src, filename)}
	}
	return checkSource(src, filename)
}

// checkSource looks at src before it is parsed: files that are not UTF-8
// text (see checkEncoding) and nesting deeper than MaxNestingDepth are
// rejected. It returns
// at most one diagnostic per problem; the caller must not parse src when it
// returns errors.
func checkSource(src []byte, filename string) hcl.Diagnostics {
	if d := checkEncoding(src, filename); d != nil {
		return hcl.Diagnostics{d}
	}
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	if d := checkNesting(tokens); d != nil {
		return hcl.Diagnostics{d}
	}
	return nil
}

// checkExprSource is checkSource for a standalone expression (a --var
// value).
func checkExprSource(src []byte, filename string) hcl.Diagnostics {
	if d := checkEncoding(src, filename); d != nil {
		return hcl.Diagnostics{d}
	}
	tokens, _ := hclsyntax.LexExpression(src, filename, hcl.InitialPos)
	if d := checkNesting(tokens); d != nil {
		return hcl.Diagnostics{d}
	}
	return nil
}

var boms = []struct {
	mark     []byte
	encoding string
}{
	// UTF-32 first: its little-endian mark starts like UTF-16's.
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, "UTF-32 (little-endian)"},
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "UTF-32 (big-endian)"},
	{[]byte{0xFF, 0xFE}, "UTF-16 (little-endian)"},
	{[]byte{0xFE, 0xFF}, "UTF-16 (big-endian)"},
}

// checkEncoding reports, in one diagnostic, a file the parser would answer
// with a flood of "Invalid character" errors: a byte-order mark of an
// encoding other than UTF-8, a NUL byte, more than maxBinaryBytes control
// characters or bytes that are not UTF-8 (a binary file), or lines ended by
// a carriage return alone.
func checkEncoding(src []byte, filename string) *hcl.Diagnostic {
	for _, b := range boms {
		if bytes.HasPrefix(src, b.mark) {
			at := posAt(src, 0, filename)
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "File is not UTF-8",
				Detail: fmt.Sprintf("The file starts with the byte-order mark of %s text. Plan files must be UTF-8: save it as UTF-8 in your editor, or convert it with iconv -f %s -t UTF-8.",
					b.encoding, iconvName(b.encoding)),
				Subject: &at,
			}
		}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		at := posAt(src, i, filename)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "File is not text",
			Detail:   "The file holds a NUL byte here, so it is binary or in an encoding other than UTF-8 (UTF-16 without a byte-order mark, for example). Plan files are UTF-8 text.",
			Subject:  &at,
		}
	}
	if n, first := binaryBytes(src); n > maxBinaryBytes {
		at := posAt(src, first, filename)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "File is not text",
			Detail:   fmt.Sprintf("The file holds %d control characters or bytes that are not UTF-8, the first here, so it is binary or in an encoding other than UTF-8 (such as Latin-1). Plan files are UTF-8 text.", n),
			Subject:  &at,
		}
	}
	if i := loneCR(src); i >= 0 {
		at := posAt(src, i, filename)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported line endings",
			Detail:   "A line ends here with a carriage return (CR) alone, as on classic Mac OS. Plan files end lines with LF, or CR LF as on Windows; convert the file in your editor.",
			Subject:  &at,
		}
	}
	return nil
}

// maxBinaryBytes is how many control characters and bytes that are not
// UTF-8 a file may hold before checkEncoding calls it binary; below it, the
// parser reports each one where it is.
const maxBinaryBytes = 16

// binaryBytes counts the bytes that are not UTF-8 and the control
// characters other than tab, line feed, form feed and carriage return, and
// returns the offset of the first.
func binaryBytes(src []byte) (n, first int) {
	first = -1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if (r == utf8.RuneError && size == 1) || (r < 0x20 && r != '\t' && r != '\n' && r != '\f' && r != '\r') || r == 0x7f {
			if first < 0 {
				first = i
			}
			n++
		}
		i += size
	}
	return n, first
}

// loneCR returns the offset of the first carriage return that is not
// followed by a line feed, or -1.
func loneCR(src []byte) int {
	for i := 0; i < len(src); i++ {
		if src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			return i
		}
	}
	return -1
}

func iconvName(encoding string) string {
	switch encoding {
	case "UTF-32 (little-endian)":
		return "UTF-32LE"
	case "UTF-32 (big-endian)":
		return "UTF-32BE"
	case "UTF-16 (little-endian)":
		return "UTF-16LE"
	}
	return "UTF-16BE"
}

// nestLevel is one open level while checkNesting walks the tokens.
type nestLevel struct {
	open hclsyntax.TokenType
	// ops counts the operators chained since the last separator at this
	// level.
	ops int
	// directive marks a template %{ if } or %{ for } that stays open until
	// its %{ endif } or %{ endfor }.
	directive bool
}

// checkNesting returns a diagnostic at the first token that takes the
// nesting (see MaxNestingDepth) past the limit, or nil.
func checkNesting(tokens hclsyntax.Tokens) *hcl.Diagnostic {
	stack := []nestLevel{{open: hclsyntax.TokenNil}} // the file's body
	depth := 1
	push := func(t hclsyntax.TokenType, directive bool) {
		stack = append(stack, nestLevel{open: t, directive: directive})
		depth++
	}
	pop := func() {
		if len(stack) > 1 {
			top := stack[len(stack)-1]
			depth -= 1 + top.ops
			stack = stack[:len(stack)-1]
		}
	}
	// closeLevel closes the innermost bracket, string or interpolation, and
	// any template directive left open inside it.
	closeLevel := func() {
		for len(stack) > 1 && stack[len(stack)-1].directive {
			pop()
		}
		pop()
	}
	endChain := func() {
		top := &stack[len(stack)-1]
		depth -= top.ops
		top.ops = 0
	}
	for i, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp:
			push(tok.Type, false)
		case hclsyntax.TokenTemplateControl:
			// The keyword follows at once: "%{~" is one token.
			keyword := ""
			if i+1 < len(tokens) && tokens[i+1].Type == hclsyntax.TokenIdent {
				keyword = string(tokens[i+1].Bytes)
			}
			switch keyword {
			case "if", "for":
				push(tok.Type, true)
			case "endif", "endfor":
				// Close the directive, if the innermost open level is one.
				if len(stack) > 1 && stack[len(stack)-1].directive {
					pop()
				}
			}
			push(tok.Type, false)
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
			hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			closeLevel()
		case hclsyntax.TokenComma, hclsyntax.TokenEqual:
			endChain()
		case hclsyntax.TokenNewline:
			// Inside parentheses and brackets a newline is only space, so
			// a chain goes on across lines there.
			if o := stack[len(stack)-1].open; o != hclsyntax.TokenOParen && o != hclsyntax.TokenOBrack {
				endChain()
			}
		case hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenPercent,
			hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
			hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd, hclsyntax.TokenOr,
			hclsyntax.TokenBang, hclsyntax.TokenQuestion:
			stack[len(stack)-1].ops++
			depth++
		}
		if depth > MaxNestingDepth {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nesting too deep",
				Detail: fmt.Sprintf("The plan nests more than %d levels deep here (brackets, blocks, strings, template interpolations and chained operators each count as a level). "+
					"perfplan stops before parsing such input, which could exhaust the parser's stack; split the expression with locals.", MaxNestingDepth),
				Subject: tok.Range.Ptr(),
			}
		}
	}
	return nil
}

// posAt returns a one-character range at byte offset off of src, with the
// line and column (in characters) counted from the start.
func posAt(src []byte, off int, filename string) hcl.Range {
	if off > len(src) {
		off = len(src)
	}
	line := 1 + bytes.Count(src[:off], []byte{'\n'})
	lineStart := bytes.LastIndexByte(src[:off], '\n') + 1
	col := 1 + utf8.RuneCount(src[lineStart:off])
	start := hcl.Pos{Line: line, Column: col, Byte: off}
	end := start
	if off < len(src) {
		end.Byte++
		end.Column++
	}
	return hcl.Range{Filename: filename, Start: start, End: end}
}

// addFormatHint adds to the first error of a file that failed to parse a
// note when the file looks like JSON or YAML, which users sometimes write
// for HCL.
func addFormatHint(src []byte, diags hcl.Diagnostics) {
	var first *hcl.Diagnostic
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			first = d
			break
		}
	}
	if first == nil {
		return
	}
	format := ""
	trimmed := bytes.TrimLeft(src, " \t\r\n\ufeff")
	switch line := firstLine(trimmed); {
	case tomlTable.Match(line):
		format = "TOML"
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		format = "JSON"
	case bytes.HasPrefix(trimmed, []byte("---")) || yamlKey.Match(line):
		format = "YAML"
	}
	if format != "" {
		first.Detail += fmt.Sprintf(" This file looks like %s; perfplan plans are written in HCL, as in the README and the examples/ directory.", format)
	}
}

// tomlTable matches a TOML table header ("[plan]", "[[scenario]]").
var tomlTable = regexp.MustCompile(`^\[\[?[A-Za-z_][A-Za-z0-9_.-]*\]\]?\s*$`)

// yamlKey matches a YAML mapping key that starts a line ("plan:").
var yamlKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*:(\s|$)`)

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
