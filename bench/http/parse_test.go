package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/dsl"
	"github.com/perfplan/perfplan/targets/builtin"
)

// TestParseOutputs checks the parsers on outputs of Debian's wrk 4.1,
// hey 0.1.4 (with an error distribution added) and h2load 1.52, and on
// vegeta v12.13.0's JSON report (testdata).
func TestParseOutputs(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	w, err := parseWrk(read("wrk.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if w.requests != 61607 || w.rps != 56022.92 || w.p50 != 0.121 || w.p99 != 0.451 || w.errors != 0 {
		t.Errorf("wrk: %+v", w)
	}
	h, err := parseHey(read("hey.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.requests != 27195 || h.rps != 27174.0692 || h.p50 != 0.1 || h.p99 != 0.6 || h.errors != 12 {
		t.Errorf("hey: %+v", h)
	}
	if _, err := parseWrk("nothing"); err == nil {
		t.Error("wrk: no error on an empty output")
	}
	h2, err := parseH2load(read("h2load.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h2.requests != 97248 || h2.rps != 48624.00 || h2.errors != 0 || h2.p99 != 0 {
		t.Errorf("h2load: %+v", h2)
	}
	if _, err := parseH2load("nothing"); err == nil {
		t.Error("h2load: no error on an empty output")
	}
	v, err := parseVegeta([]byte(read("vegeta.json")))
	if err != nil {
		t.Fatal(err)
	}
	if v.requests != 3999 || v.rps != 2000.4841501805863 || v.p50 != 0.170766 || v.p99 != 2.070739 || v.errors != 0 {
		t.Errorf("vegeta: %+v", v)
	}
	if _, err := parseVegeta([]byte(`{"requests": 0}`)); err == nil {
		t.Error("vegeta: no error on a report without requests")
	}
}

// TestGoalsPrint checks that a missed goal is printed as missed and
// counted, and that met ones are not, on results made up for it.
func TestGoalsPrint(t *testing.T) {
	t.Parallel()
	b := &bench{o: options{conns: 32, rate: 5000, highRate: 20000, runs: 2, tls: false}, tools: map[string]string{
		"wrk": "wrk", "hey": "hey", "h2load": "h2load", "vegeta": "vegeta"}, results: map[string][]result{}}
	two := func(r result) []result { return []result{r, r} }
	b.results[kHey] = two(result{rps: 40000, cpuUS: 20})
	b.results[kPerfplan] = two(result{rps: 42000, cpuUS: 16})
	b.results[kHeyRate] = two(result{rps: 5000, cpuUS: 40})
	b.results[kPPRate] = two(result{rps: 5000, cpuUS: 35})
	b.results[kVegHigh] = two(result{rps: 20000, p50: 0.2})
	b.results[kPPHigh] = two(result{rps: 20000, svcP50: 0.3})
	b.results[kH2loadH2C] = two(result{rps: 100000})
	// Below 0.7× h2load's: the one goal missed.
	b.results[kPPH2C] = two(result{rps: 62000})
	var out strings.Builder
	missed := b.printRatios(&out)
	if missed != 1 {
		t.Errorf("%d goals missed, want 1:\n%s", missed, out.String())
	}
	for _, want := range []string{
		"| HTTP/2 h2c, req/s, perfplan ÷ h2load | 0.62× | ≥ 0.7 | **MISSED** |",
		"| HTTP/1.1 full speed, req/s, perfplan ÷ hey | 1.05× | ≥ 1.0 | MET |",
		"| 20,000/s, service time p50, perfplan ÷ vegeta | 1.50× | ≤ 2.0 | MET |",
		"Goals (issue 23): 1 of 7 MISSED:\n  MISSED: HTTP/2 h2c, req/s, perfplan ÷ h2load\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestOnly checks that -only keeps the measurements whose key or row
// name matches, and that the h2c rows of both perfplan clients are there.
func TestOnly(t *testing.T) {
	t.Parallel()
	b := &bench{o: options{conns: 32, rate: 5000, highRate: 20000, tls: true, only: regexp.MustCompile(`h2c`)},
		tools: map[string]string{"h2load": "h2load", "hey": "hey"}}
	var keys []string
	for _, m := range b.measurements() {
		keys = append(keys, m.key)
	}
	if want := []string{kH2loadH2C, kPPH2C, kPPH2CStd}; !slices.Equal(keys, want) {
		t.Errorf("-only h2c: %v, want %v", keys, want)
	}
	b.o.only = regexp.MustCompile(`^hey$|net/http`)
	keys = nil
	for _, m := range b.measurements() {
		keys = append(keys, m.key)
	}
	if want := []string{kHey, kPPH2CStd}; !slices.Equal(keys, want) {
		t.Errorf("-only by key and name: %v, want %v", keys, want)
	}
}

// TestStatsText checks the median and range of a figure over the runs.
func TestStatsText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    []float64
		want string
	}{
		{[]float64{1, 3, 2}, "2.00× (1.00–3.00)"},
		{[]float64{4, 1, 3, 2}, "2.50× (1.00–4.00)"},
		{[]float64{0.7}, "0.70×"},
		{nil, "—"},
	} {
		if got := statsOf(tc.v).text(decimals(2), "×"); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.v, got, tc.want)
		}
	}
	if got := statsOf([]float64{19986, 17982, 19993}).text(fmtInt, ""); got != "19,986 (17,982–19,993)" {
		t.Errorf("req/s: %q", got)
	}
}

// TestPlansLoad checks that the plans the bench runs load with the
// variables it passes.
func TestPlansLoad(t *testing.T) {
	t.Parallel()
	common := []dsl.VarArg{{Name: "duration", Value: "3s"}, {Name: "workers", Value: "32"}, {Name: "rate", Value: "5000"}}
	for _, tc := range []struct {
		name string
		vars []dsl.VarArg
	}{
		{"full.hcl", []dsl.VarArg{{Name: "base_url", Value: "http://127.0.0.1:8080"}}},
		{"rate.hcl", []dsl.VarArg{{Name: "base_url", Value: "http://127.0.0.1:8080"}}},
		{"noop.hcl", []dsl.VarArg{{Name: "base_url", Value: "http://127.0.0.1:8080"}}},
		{"h2.hcl", []dsl.VarArg{{Name: "base_url", Value: "http://127.0.0.1:8080"}, {Name: "protocol", Value: "h2c"}}},
		{"h2.hcl", []dsl.VarArg{{Name: "base_url", Value: "http://127.0.0.1:8080"}, {Name: "protocol", Value: "h2c"}, {Name: "client", Value: "net/http"}}},
		{"h2.hcl", []dsl.VarArg{{Name: "base_url", Value: "https://127.0.0.1:8443"}, {Name: "protocol", Value: "h2"}, {Name: "ca_file", Value: "testdata/ca.pem"}}},
	} {
		l := dsl.NewLoader(builtin.Registry(), append(tc.vars, common...), nil)
		if _, diags := l.Load(tc.name); diags.HasErrors() {
			t.Errorf("%s %v: %v", tc.name, tc.vars, diags)
		}
	}
}
