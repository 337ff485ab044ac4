package html

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testFormat prints values as the tests expect: a unit after a number.
func testFormat(unit string, v float64) string {
	switch unit {
	case "B":
		return strconv.FormatFloat(v/(1<<20), 'g', 4, 64) + "MiB"
	case "run":
		return "#" + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + unit
}

func ptr(v float64) *float64 { return &v }

var nan = math.NaN()

// goldenCharts are one chart of each kind the views draw.
var goldenCharts = []Chart{
	{ID: "linear-gaps", Title: "Throughput", X: Axis{Label: "time", Unit: "s"}, Y: Axis{Label: "ops/s", Unit: "/s", Zero: true},
		Xs:      Values{1, 2, 3, 4, 5, 6, 7, 8},
		Series:  []Series{{Label: "throughput", Color: "#1f77b4", Data: Values{100, 120, nan, 130, 125, nan, 90, 110}}},
		Markers: []Marker{{X: 4.5, Label: "broke at 130/s", Color: "#d62728"}}},
	{ID: "log-y2", Title: "Latency and throughput", X: Axis{Label: "rate", Unit: "/s"}, Y: Axis{Label: "p99", Unit: "ns", Log: true},
		Y2: &Axis{Label: "throughput", Unit: "/s", Zero: true}, Xs: Values{100, 200, 300, 400},
		Series: []Series{
			{Label: "p99", Color: "#d62728", Span: true, Data: Values{2e5, 3e5, nan, 5e8}},
			{Label: "recovery", Color: "#2ca02c", Points: true, Data: Values{nan, 2.5e5, nan, nan}},
			{Label: "throughput", Color: "#1f77b4", Axis: 2, Dash: true, Data: Values{100, 200, 290, 310}},
		},
		Markers: []Marker{{X: 200, Y: ptr(2.5e5), Label: "recovered", Color: "#2ca02c"}}},
	{ID: "band", Title: "Soak", X: Axis{Label: "time", Unit: "min"}, Y: Axis{Label: "live heap", Unit: "B"},
		Xs: Values{1, 2, 3, 4},
		Series: []Series{
			{Label: "live heap", Color: "#1f77b4", Points: true, Data: Values{10 << 20, 12 << 20, 11 << 20, 14 << 20}},
			{Label: "slope", Color: "#d62728", Line: true, Data: Values{10 << 20, 11 << 20, 12 << 20, 13 << 20}},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: Values{11 << 20, 12 << 20, 13 << 20, 15 << 20}},
			{Label: "95% interval", Color: "rgba(214,39,40,0.45)", Width: 1, Dash: true, Line: true, Data: Values{9 << 20, 10 << 20, 11 << 20, 11 << 20}},
		},
		Bands: [][2]int{{2, 3}}},
	{ID: "spectrum", Title: "Latency by percentile", X: Axis{Label: "percentile", Unit: "p", Log: true}, Y: Axis{Label: "latency", Unit: "ns", Log: true},
		Xs: Values{1, 2, 10, 100, 1000}, Series: []Series{{Label: "latency (all)", Color: "#1f77b4", Data: Values{1e3, 2e3, 1e4, 5e5, 2e7}}}},
	{ID: "runs", Title: "History", X: Axis{Label: "run", Unit: "run"}, Y: Axis{Label: "p99", Unit: "ms", Zero: true},
		Xs: Values{1, 2, 3}, Series: []Series{{Label: "p99", Data: Values{2, 2.1, 3.2}}, {Label: "trend", Dash: true, Line: true, Data: Values{1.9, 2.4, 2.9}}}},
}

// TestChartGolden: each kind of chart renders to the SVG in testdata (go
// test ./report/html -update rewrites them); open one in a browser to look
// at it.
func TestChartGolden(t *testing.T) {
	t.Parallel()
	for _, c := range goldenCharts {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			svg, st, err := renderChart(&c, testFormat)
			if err != nil {
				t.Fatal(err)
			}
			if st.points == 0 {
				t.Error("no points counted")
			}
			path := filepath.Join("testdata", c.ID+".svg")
			got := []byte(svg + "\n")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report/html -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; got:\n%s", path, got)
			}
		})
	}
}

// TestChartTooltips: every x with a value has a tooltip that reads out
// each series' value there, and a gap is left out of its series' line.
func TestChartTooltips(t *testing.T) {
	t.Parallel()
	c := goldenCharts[0]
	svg, st, err := renderChart(&c, testFormat)
	if err != nil {
		t.Fatal(err)
	}
	if st.points != 6 || st.ymax != 130 {
		t.Errorf("points %d, ymax %v; want 6 and 130", st.points, st.ymax)
	}
	titles := regexp.MustCompile(`<title>([^<]*)</title>`).FindAllStringSubmatch(svg, -1)
	if len(titles) != 6 {
		t.Fatalf("%d tooltips, want one per x with a value: %v", len(titles), titles)
	}
	if titles[0][1] != "time 1s\nthroughput: 100/s" {
		t.Errorf("first tooltip %q", titles[0][1])
	}
	// Three runs of values: three lines of the throughput colour.
	if n := strings.Count(svg, "stroke:rgb(31,119,180);fill:none"); n != 3 {
		t.Errorf("%d throughput lines, want 3 (split at the gaps)", n)
	}
}

// TestTicks: linear steps are nice, byte steps are powers of 1024, log
// axes label decades, and labels never repeat.
func TestTicks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a    Axis
		lo   float64
		hi   float64
		want string
	}{
		{"linear", Axis{}, 0, 105, "0 20 40 60 80 100 120"},
		{"bytes", Axis{Unit: "B"}, 0, 3.1 * (1 << 20), "0 0.5 1 1.5 2 2.5 3 3.5"},
		{"log", Axis{Log: true}, 1e2, 1e8, "100 1000 1e+04 1e+05 1e+06 1e+07 1e+08"},
		{"whole runs", Axis{Unit: "run"}, 1, 3, "1 2 3"},
	} {
		s := &scale{min: tc.lo, max: tc.hi, log: tc.a.Log}
		ts, _ := axisTicks(tc.a, s, 190, true, func(_ string, v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) })
		var got []string
		for _, tk := range ts {
			v := tk.v
			if tc.a.Unit == "B" {
				v /= 1 << 20
			}
			got = append(got, strconv.FormatFloat(v, 'g', 4, 64))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: ticks %v, want %s", tc.name, got, tc.want)
		}
	}
}

// TestWritePage: the page carries no script, escapes what it is given,
// and refuses a chart id used twice.
func TestWritePage(t *testing.T) {
	t.Parallel()
	evil := `</svg><script>alert(1)</script>`
	c := goldenCharts[0]
	c.Title, c.Series = evil, []Series{{Label: evil, Data: c.Series[0].Data}}
	p := &Page{Title: evil, Sections: []Section{{ID: "s", Level: 1, Title: evil, Charts: []Chart{c}}}}
	var b bytes.Buffer
	if err := WritePage(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") {
		t.Error("text is not escaped, or the page carries a script")
	}
	if !strings.Contains(b.String(), `data-charts="1"`) {
		t.Error("the body does not count its charts")
	}
	p.Sections[0].Charts = append(p.Sections[0].Charts, c)
	if err := WritePage(&bytes.Buffer{}, p); err == nil {
		t.Error("a chart id used twice was accepted")
	}
	css := strings.ToLower(asset("report.css"))
	if strings.Contains(css, "</style") || strings.Contains(css, "<!--") {
		t.Error("report.css cannot be inlined as it is")
	}
}
