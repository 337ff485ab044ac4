package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets/builtin"
)

// pendingPages are files that the pages link to and that other branches
// add (the HTTP target, running on several machines, the reports, the CI
// walkthrough, the performance tables, the custom-target example). A link
// to one of them is accepted while the file is missing; once it exists it
// is checked like any other. Remove an entry when its file has arrived.
var pendingPages = map[string]bool{}

// Fragment harnesses. A plan snippet that is not a whole plan says which
// one wraps it in its fence's info string (see docs/README.md).
var harnesses = map[string]func(snippet string) string{
	// fragment=scenario: the snippet is the inside of a scenario block
	// (assertions, events): an open-model scenario over a cache target's
	// get and set, so that every metric family exists.
	"fragment=scenario": func(s string) string {
		return `target "cache" "catalog" {
  tier "l1" {
    capacity = 1000
  }
}

workload "browse" {
  target = target.cache.catalog
  op "get" {}
  op "set" {}
}

scenario "harness" {
  workload          = workload.browse
  executor          = "constant-arrival-rate"
  rate              = 100
  duration          = "10s"
  pre_allocated_vus = 1

` + s + `
}
`
	},
	// fragment=plan: the snippet is top-level blocks that may refer to
	// target.noop.n and workload.reads (get and set on noop); a scenario
	// is added, since a plan needs one.
	"fragment=plan": func(s string) string {
		return `target "noop" "n" {}

workload "reads" {
  target = target.noop.n
  op "get" {}
  op "set" {}
}

` + s + `

scenario "harness" {
  workload = workload.reads
  executor = "per-vu-iterations"
}
`
	},
}

// pages returns the repository-relative paths of the pages checked:
// README.md and docs/*.md.
func pages(t *testing.T) []string {
	t.Helper()
	md, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, m := range md {
		out = append(out, "docs/"+m)
	}
	return out
}

// fromRoot turns a repository-relative path into one relative to this
// package's directory, where go test runs.
func fromRoot(p string) string { return filepath.Join("..", filepath.FromSlash(p)) }

// block is one fenced code block of a page.
type block struct {
	line int    // of the opening fence, from 1
	lang string // the info string's first word
	tags []string
	text string
}

var fenceRE = regexp.MustCompile("^( *)(```+|~~~+)\\s*(.*)$")

// parse splits a page into its code blocks and its other lines (with the
// number of each line), so that links are looked for outside code only.
func parse(src []byte) (blocks []block, prose []string) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *block
	var fence, indent string
	var body []string
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if cur == nil {
			m := fenceRE.FindStringSubmatch(line)
			if m == nil {
				prose = append(prose, line)
				continue
			}
			fields := strings.Fields(m[3])
			cur = &block{line: n}
			if len(fields) > 0 {
				cur.lang, cur.tags = fields[0], fields[1:]
			}
			fence, indent, body = m[2], strings.Repeat(" ", len(m[1])), nil
			prose = append(prose, "")
			continue
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, fence[:1]) && strings.Trim(trimmed, fence[:1]) == "" && len(trimmed) >= len(fence) {
			cur.text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur = nil
			prose = append(prose, "")
			continue
		}
		body = append(body, strings.TrimPrefix(line, indent))
		prose = append(prose, "")
	}
	if cur != nil {
		// An unclosed fence runs to the end of the page.
		cur.text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, *cur)
	}
	return blocks, prose
}

// TestPlanSnippets loads every ```hcl block of the pages through the plan
// loader with the built-in targets. A block is a whole plan unless its
// info string names a fragment harness; an unknown word there is an error,
// so that no snippet is skipped by accident.
func TestPlanSnippets(t *testing.T) {
	reg := builtin.Registry()
	dir := t.TempDir()
	total := 0
	for _, page := range pages(t) {
		src, err := os.ReadFile(fromRoot(page))
		if err != nil {
			t.Fatal(err)
		}
		blocks, _ := parse(src)
		for _, b := range blocks {
			switch strings.ToLower(b.lang) {
			case "hcl":
			case "terraform", "tf", "hcl2":
				t.Errorf("%s:%d: a plan snippet is fenced as %q; fence it as hcl so that it is checked", page, b.line, b.lang)
				continue
			default:
				continue
			}
			total++
			where := fmt.Sprintf("%s:%d", page, b.line)
			text := b.text
			switch len(b.tags) {
			case 0:
			case 1:
				wrap, ok := harnesses[b.tags[0]]
				if !ok {
					t.Errorf("%s: unknown snippet marker %q (want none for a whole plan, or one of %s)", where, b.tags[0], strings.Join(slices.Sorted(maps.Keys(harnesses)), ", "))
					continue
				}
				text = wrap(text)
			default:
				t.Errorf("%s: more than one snippet marker: %q", where, b.tags)
				continue
			}
			name := strings.NewReplacer("/", "_", ".", "_").Replace(page) + fmt.Sprintf("_line%d.hcl", b.line)
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			loader := dsl.NewLoader(reg, nil, nil)
			p, diags := loader.Load(path)
			if diags.HasErrors() || p == nil {
				var buf bytes.Buffer
				_ = loader.WriteDiagnostics(&buf, diags, false)
				t.Errorf("%s: the plan snippet does not load:\n%s\nas loaded:\n%s", where, buf.String(), numbered(text))
			}
		}
	}
	// A parser that stopped finding blocks would pass silently.
	if total < 8 {
		t.Errorf("found only %d plan snippets in the pages; the fence parser is probably broken", total)
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}

var (
	codeSpanRE = regexp.MustCompile("`+[^`]*`+")
	// inline links and images: [text](dest "title") and ![alt](dest)
	linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// reference definitions: [label]: dest
	refDefRE = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	// HTML src and href attributes
	htmlRE    = regexp.MustCompile(`(?:src|href)\s*=\s*"([^"]+)"`)
	headingRE = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	anchorRE  = regexp.MustCompile(`<a\s+(?:id|name)\s*=\s*"([^"]+)"`)
	mdLinkRE  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// links returns the link destinations of a page's prose, each with its line.
func links(prose []string) (dests []string, lines []int) {
	for i, line := range prose {
		line = codeSpanRE.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{linkRE, refDefRE, htmlRE} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				dests = append(dests, m[1])
				lines = append(lines, i+1)
			}
		}
	}
	return dests, lines
}

// slug is the anchor GitHub gives a heading: its text lower-cased, without
// punctuation other than '-' and '_', spaces turned into '-'.
func slug(heading string) string {
	heading = mdLinkRE.ReplaceAllString(heading, "$1")
	heading = strings.ReplaceAll(heading, "`", "")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '_', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors returns the anchors of a page: one per heading (numbered -1, -2,
// … when a heading repeats, as GitHub does) and explicit <a id> anchors.
func anchors(prose []string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range prose {
		if m := headingRE.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if n := seen[s]; n > 0 {
				out[fmt.Sprintf("%s-%d", s, n)] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
		for _, m := range anchorRE.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// TestLinks checks that every relative link of the pages points at a file
// or directory of the repository, and that a link to a heading of a page
// (page.md#heading, or #heading within the page) names one that exists.
// Links to pendingPages are accepted while those files are missing.
func TestLinks(t *testing.T) {
	prose := map[string][]string{}
	for _, page := range pages(t) {
		src, err := os.ReadFile(fromRoot(page))
		if err != nil {
			t.Fatal(err)
		}
		_, prose[page] = parse(src)
	}
	anchorsOf := func(page string) (map[string]bool, bool) {
		p, ok := prose[page]
		if !ok {
			src, err := os.ReadFile(fromRoot(page))
			if err != nil {
				return nil, false
			}
			_, p = parse(src)
			prose[page] = p
		}
		return anchors(p), true
	}
	checked := 0
	for _, page := range pages(t) {
		dests, lines := links(prose[page])
		for i, dest := range dests {
			where := fmt.Sprintf("%s:%d", page, lines[i])
			if strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:") {
				continue
			}
			checked++
			target, frag, _ := strings.Cut(dest, "#")
			rel := page
			if target != "" {
				if strings.HasPrefix(target, "/") {
					t.Errorf("%s: link %q is absolute; make it relative to the page", where, dest)
					continue
				}
				rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(page), filepath.FromSlash(target))))
				if strings.HasPrefix(rel, "../") {
					t.Errorf("%s: link %q leaves the repository", where, dest)
					continue
				}
				if _, err := os.Stat(fromRoot(rel)); err != nil {
					if pendingPages[strings.TrimSuffix(rel, "/")] {
						t.Logf("%s: %s is not here yet (pending from another branch)", where, rel)
						continue
					}
					t.Errorf("%s: link %q: %s does not exist", where, dest, rel)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(rel, ".md") {
				continue
			}
			as, ok := anchorsOf(rel)
			if !ok {
				t.Errorf("%s: link %q: cannot read %s", where, dest, rel)
				continue
			}
			if !as[frag] {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", where, dest, rel, frag)
			}
		}
	}
	if checked < 20 {
		t.Errorf("found only %d relative links in the pages; the link parser is probably broken", checked)
	}
	for p := range pendingPages {
		if _, err := os.Stat(fromRoot(p)); err == nil {
			t.Logf("%s exists now: remove it from pendingPages", p)
		}
	}
}

// TestSlug pins the anchor rule on headings these pages use.
func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"What a latency is":                 "what-a-latency-is",
		"Stress: the `breakpoint` executor": "stress-the-breakpoint-executor",
		"`target \"KIND\" \"NAME\"`":        "target-kind-name",
		"Repetitions: `--count N`":          "repetitions---count-n",
		"Modes: `--mode quick|full`":        "modes---mode-quickfull",
		"`allow_omitted` and [links](x.md)": "allow_omitted-and-links",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParse pins the fence parser on the cases the pages use: info
// strings with a marker, fences indented in list items, and links inside
// code that are not links.
func TestParse(t *testing.T) {
	src := "# T\n\n```hcl fragment=plan\ntarget \"noop\" \"x\" {}\n```\n\n- item\n\n  ```hcl\n  plan \"p\" {}\n  ```\n\n" +
		"See [a](a.md) and `[not](b.md)`.\n```sh\n[no](c.md)\n```\n"
	blocks, prose := parse([]byte(src))
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3: %+v", len(blocks), blocks)
	}
	if b := blocks[0]; b.lang != "hcl" || !slices.Equal(b.tags, []string{"fragment=plan"}) || b.text != "target \"noop\" \"x\" {}\n" || b.line != 3 {
		t.Errorf("block 0: %+v", b)
	}
	if b := blocks[1]; b.lang != "hcl" || b.text != "plan \"p\" {}\n" {
		t.Errorf("block 1 (indented): %+v", b)
	}
	dests, lines := links(prose)
	if !slices.Equal(dests, []string{"a.md"}) || lines[0] != 13 {
		t.Errorf("links %v at lines %v, want [a.md] at 13", dests, lines)
	}
}
