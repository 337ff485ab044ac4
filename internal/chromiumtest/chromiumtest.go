// Package chromiumtest opens perfplan's HTML reports in a real browser,
// headless Chromium, for tests. It skips the test when Chromium is not
// installed, unless PERFPLAN_REQUIRE_CHROMIUM is set (as ./test.sh sets
// it), in which case the test fails.
//
// Chromium runs once per page with --dump-dom and --screenshot: it loads
// the file (nothing else: no network, no extensions, a fresh profile),
// parses it, writes the DOM as it stands and a PNG of the page. Every
// message the page writes to the console is logged by
// --enable-logging=stderr --v=0 as a CONSOLE line; the report's pages
// write none, so any is an error. The report's pages carry no script: the
// charts are inline SVG, which the DOM holds as Chromium parsed it.
package chromiumtest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvRequire makes a missing Chromium fail the test instead of skipping it.
const EnvRequire = "PERFPLAN_REQUIRE_CHROMIUM"

// EnvScreenshots names a directory where screenshots are copied as well, to
// keep them after the test.
const EnvScreenshots = "PERFPLAN_SCREENSHOT_DIR"

// Binary returns the path of Chromium, or "" when it is not installed.
func Binary() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns Chromium's path; without it the test is skipped, or fails
// when EnvRequire is set.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("chromium not on PATH and %s is set", EnvRequire)
		}
		t.Skip("chromium not on PATH (apt-get install chromium); set " + EnvRequire + " to fail instead")
	}
	return bin
}

// Page is a page as Chromium left it.
type Page struct {
	// DOM is the serialised document as Chromium parsed it.
	DOM string
	// Console holds the console messages Chromium logged.
	Console []string
	// Screenshot is the PNG's path.
	Screenshot string
}

// consoleLine matches Chromium's log line of a console message.
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]`)

// Open loads the HTML file at path in headless Chromium, with a window of
// width × height pixels, and returns the page. The screenshot is written to
// the test's temporary directory (and copied to EnvScreenshots when set).
func Open(t testing.TB, path string, width, height int) *Page {
	t.Helper()
	bin := Require(t)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shot := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", width, height),
		// Let the page's scripts finish drawing before the DOM and the
		// screenshot are taken.
		"--virtual-time-budget=10000",
		"--screenshot="+shot, "--dump-dom", "file://"+abs)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", path, err, tail(stderr.String(), 3000))
	}
	p := &Page{DOM: stdout.String(), Screenshot: shot}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if consoleLine.MatchString(line) {
			p.Console = append(p.Console, line)
		}
	}
	if !strings.Contains(p.DOM, "</html>") {
		t.Fatalf("chromium %s: no DOM dumped\n%s", path, tail(stderr.String(), 3000))
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Errorf("chromium %s: no screenshot (%v)", path, err)
	} else {
		t.Logf("screenshot of %s: %s", filepath.Base(path), shot)
		if keep := os.Getenv(EnvScreenshots); keep != "" {
			if b, err := os.ReadFile(shot); err == nil {
				if err := os.WriteFile(filepath.Join(keep, filepath.Base(shot)), b, 0o644); err != nil {
					t.Errorf("keep screenshot: %v", err)
				}
			}
		}
	}
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// startTag returns the start tag of the element with the given id, or "".
func (p *Page) startTag(id string) (tag string, end int) {
	re := regexp.MustCompile(`<[a-zA-Z][a-zA-Z0-9]*\s[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	loc := re.FindStringIndex(p.DOM)
	if loc == nil {
		return "", -1
	}
	return p.DOM[loc[0]:loc[1]], loc[1]
}

// Has reports whether an element has the id.
func (p *Page) Has(id string) bool {
	tag, _ := p.startTag(id)
	return tag != ""
}

// Text returns the text of the element with the id up to its first child
// element, unescaped and trimmed; the test fails when there is no such
// element.
func (p *Page) Text(t testing.TB, id string) string {
	t.Helper()
	tag, end := p.startTag(id)
	if tag == "" {
		t.Errorf("no element with id %q in the page", id)
		return ""
	}
	rest := p.DOM[end:]
	if i := strings.IndexByte(rest, '<'); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(html.UnescapeString(rest))
}

// Attr returns an attribute of the element with the id ("" when absent).
func (p *Page) Attr(id, name string) string {
	tag, _ := p.startTag(id)
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// chartTag matches the elements the report draws a chart in.
var chartTag = regexp.MustCompile(`<div [^>]*\bdata-chart="([^"]+)"[^>]*>`)

// Charts returns the ids of the page's charts.
func (p *Page) Charts() []string {
	var ids []string
	for _, m := range chartTag.FindAllStringSubmatch(p.DOM, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// ChartSVG returns the SVG of the chart with the id as Chromium parsed
// it, or "".
func (p *Page) ChartSVG(id string) string {
	tag, end := p.startTag(id)
	if tag == "" {
		return ""
	}
	rest := p.DOM[end:]
	if !strings.HasPrefix(rest, "<svg") {
		return ""
	}
	if i := strings.Index(rest, "</svg>"); i >= 0 {
		return rest[:i+len("</svg>")]
	}
	return ""
}

// svgSeries matches what a chart's series draw: a path of at least two
// points, or a point, in a colour other than the frame's and the grid's
// greys.
var (
	svgLine  = regexp.MustCompile(`<path[^>]*\bd="M [^"]*L [^"]*"[^>]*style="stroke-width:[0-9.]+;stroke:rgb[a]?\(([0-9]+),([0-9]+),([0-9]+)`)
	svgPoint = regexp.MustCompile(`<circle[^>]*style="[^"]*fill:rgb[a]?\(([0-9]+),([0-9]+),([0-9]+)`)
	svgTip   = regexp.MustCompile(`<rect class="tip"[^>]*><title>[^<]+</title></rect>`)
)

// inked counts a chart's series elements: lines and points in a colour
// (the frame, grid and text are greys, whose channels differ by less than
// 40).
func inked(svg string) int {
	n := 0
	for _, re := range []*regexp.Regexp{svgLine, svgPoint} {
		for _, m := range re.FindAllStringSubmatch(svg, -1) {
			r, _ := strconv.Atoi(m[1])
			g, _ := strconv.Atoi(m[2])
			b, _ := strconv.Atoi(m[3])
			if max(r, g, b)-min(r, g, b) >= 40 || max(r, g, b) < 150 {
				n++
			}
		}
	}
	return n
}

// CheckClean fails the test when Chromium logged a console message, the
// page runs a script, a chart did not draw (no SVG in its element as
// Chromium parsed it, no values, no line or point of a series, or no
// tooltip), or the page refers to anything on the network.
func (p *Page) CheckClean(t testing.TB) {
	t.Helper()
	for _, c := range p.Console {
		t.Errorf("console: %s", c)
	}
	if strings.Contains(p.DOM, "<script") {
		t.Error("the page carries a script")
	}
	charts := p.Charts()
	if want := p.bodyAttr("data-charts"); want != strconv.Itoa(len(charts)) {
		t.Errorf("the page wrote %s charts, the DOM has %d", want, len(charts))
	}
	for _, id := range charts {
		svg := p.ChartSVG(id)
		switch {
		case svg == "":
			t.Errorf("chart %s: no SVG", id)
		case p.Attr(id, "data-points") == "0":
			t.Errorf("chart %s: no values", id)
		case inked(svg) == 0:
			t.Errorf("chart %s: %s values but no line or point drawn", id, p.Attr(id, "data-points"))
		case !svgTip.MatchString(svg):
			t.Errorf("chart %s: no tooltip", id)
		}
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`<[a-zA-Z][^>]*\sid="([^"]+)"`).FindAllStringSubmatch(p.DOM, -1) {
		if seen[m[1]] {
			t.Errorf("id %q is used twice", m[1])
		}
		seen[m[1]] = true
	}
	if m := regexp.MustCompile(`(?i)\b(src|href)\s*=\s*"(https?:)?//`).FindString(p.DOM); m != "" {
		t.Errorf("the page loads from the network: %s", m)
	}
}

func (p *Page) bodyAttr(name string) string {
	m := regexp.MustCompile(`<body[^>]*\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(p.DOM)
	if m == nil {
		return ""
	}
	return m[1]
}

// Float returns a numeric attribute of an element; the test fails when it
// is missing or not a number.
func (p *Page) Float(t testing.TB, id, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(p.Attr(id, name), 64)
	if err != nil {
		t.Errorf("%s %s: %v", id, name, err)
	}
	return v
}
