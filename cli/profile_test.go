package cli_test

import (
	"bytes"
	"context"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	netpprof "net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/compare"
	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
)

// rowDB is a custom target for the profile tests: each query parses a row
// (50k rounds of arithmetic) and checksums it (checksum_rounds rounds); a
// run with more rounds is a run with a deliberately slower checksumRow.
// Runs make a fixed number of queries, so their CPU time, and the number
// of profile samples, does not depend on how busy the machine is.
type rowDB struct{ rounds int }

func (rowDB) Open(context.Context) error              { return nil }
func (d rowDB) NewWorker(int) (targets.Worker, error) { return rowWorker(d), nil }
func (rowDB) Stats() map[string]float64               { return nil }
func (rowDB) Close() error                            { return nil }
func (d rowWorker) Do(_ context.Context, r *targets.Request) error {
	switch r.Op {
	case 0: // query
		sink.Store(checksumRow(parseRow(r.Key, 50_000), d.rounds))
	case 1: // parse
		sink.Store(parseRow(r.Key, 50_000))
	case 2: // checksum
		sink.Store(checksumRow(r.Key, d.rounds))
	}
	return nil
}

type rowWorker rowDB

var sink atomic.Uint64

//go:noinline
func parseRow(key uint64, rounds int) uint64 {
	x := key
	for range rounds {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return x
}

//go:noinline
func checksumRow(x uint64, rounds int) uint64 {
	for range rounds {
		x = x*2862933555777941757 + 3037000493
		x ^= x >> 31
	}
	return x
}

// rowRegistry is the built-in kinds and rowdb.
func rowRegistry() *targets.Registry {
	reg := builtin.Registry()
	reg.MustRegister(targets.Kind{
		Name: "rowdb",
		Ops:  []targets.OpSpec{{Name: "query"}, {Name: "parse"}, {Name: "checksum"}},
		Schema: targets.Schema{Attrs: []targets.Attr{
			{Name: "checksum_rounds", Type: targets.Int, Default: int64(50_000)},
		}},
		New: func(c targets.Config) (targets.Target, error) {
			return rowDB{rounds: int(c.Int("checksum_rounds"))}, nil
		},
	})
	return reg
}

const rowPlan = `
variable "rounds" {
  type    = number
  default = 50000
}
plan "rowdb" {
  profile = true
}
target "rowdb" "db" {
  checksum_rounds = var.rounds
}
workload "w" {
  target = target.rowdb.db
  op "query" { weight = 1 }
}
scenario "query" {
  workload = workload.w
  executor   = "shared-iterations"
  vus        = 1
  iterations = 400
}
`

// profMain runs cli.Main in this process with reg.
func profMain(t *testing.T, reg *targets.Registry, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{Args: args, Registry: reg, Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

// TestProfileNamesSlowerFunction is the custom-target case of issue 22:
// six runs of rowdb and six with checksumRow ten times slower, alternating,
// each profiled (the plan block's profile = true). compare names checksumRow
// first, in the flat and in the cumulative view, in text, Markdown and
// HTML; perfplan report --profile writes a profile that
// github.com/google/pprof/profile and go tool pprof read; perfplan history
// names checksumRow under the change point.
//
// It profiles this process, so it does not run in parallel with other
// tests that do.
func TestProfileNamesSlowerFunction(t *testing.T) {
	reg := rowRegistry()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "rowdb.hcl")
	if err := os.WriteFile(planFile, []byte(rowPlan), 0o644); err != nil {
		t.Fatal(err)
	}
	// Six runs per side, alternating, so that both sides see the shared
	// machine alike; each side's runs are joined into one document, as
	// repetitions (what --count 6 writes).
	base, next := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	var bd, nd *report.Document
	for i := range 12 {
		rounds, into := 50_000, &bd
		if i%2 == 1 {
			rounds, into = 500_000, &nd
		}
		out := filepath.Join(dir, fmt.Sprintf("run%d.json", i))
		code, stdout, stderr := profMain(t, reg, "run", "--quiet", "--no-history", "-var", fmt.Sprintf("rounds=%d", rounds), "--out", "json="+out, planFile)
		if code != cli.ExitOK {
			t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
		}
		d, err := report.ReadDocumentFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if *into == nil {
			*into = d
			continue
		}
		d.Plans[0].Repetition = len((*into).Plans) + 1
		(*into).Plans = append((*into).Plans, d.Plans...)
	}
	for path, d := range map[string]*report.Document{base: bd, next: nd} {
		if err := d.WriteFile(path); err != nil {
			t.Fatal(err)
		}
	}
	for _, pd := range bd.Plans {
		p := pd.Scenarios[0].Profile
		if p == nil || len(p.CPU) == 0 || len(p.Allocs) == 0 {
			t.Fatalf("repetition %d: profile %+v, want CPU and allocations", pd.Repetition, p)
		}
	}

	res, err := compare.Compare(bd, nd, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Regressions()) == 0 || len(res.Profiles) != 1 || res.Profiles[0].Diff.CPU == nil {
		t.Fatalf("regressions %d, profiles %+v", len(res.Regressions()), res.Profiles)
	}
	cpu := res.Profiles[0].Diff.CPU
	for view, gs := range map[string][]string{"flat": names(cpu.Flat), "cumulative": names(cpu.Cum)} {
		if len(gs) == 0 || !strings.HasSuffix(gs[0], ".checksumRow") {
			t.Errorf("%s view: %v, want checksumRow first", view, gs)
		}
		// parseRow did not change; on a shared machine its CPU time per
		// operation can still move, and then it may be listed, after
		// checksumRow.
	}
	for _, format := range []string{"table", "markdown", "html"} {
		code, stdout, stderr := profMain(t, reg, "compare", "--format", format, base, next)
		if code != cli.ExitFailed {
			t.Errorf("compare --format %s: exit %d, want %d\n%s", format, code, cli.ExitFailed, stderr)
		}
		if !strings.Contains(stdout, "checksumRow") || !strings.Contains(stdout, "what grew") {
			t.Errorf("compare --format %s does not name checksumRow under the regression:\n%s", format, stdout)
		}
	}

	// perfplan report --profile: a .pb.gz that pprof reads.
	pb := filepath.Join(dir, "query.pb.gz")
	code, stdout, stderr := profMain(t, reg, "report", "--profile", "query", "-o", pb, next)
	if code != cli.ExitOK || !strings.Contains(stdout, "go tool pprof "+pb) {
		t.Fatalf("report --profile: exit %d\n%s%s", code, stdout, stderr)
	}
	f, err := os.Open(pb)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(f)
	f.Close()
	if err != nil {
		t.Fatalf("parse %s: %v", pb, err)
	}
	var sawTarget, sawChecksum bool
	for _, s := range p.Sample {
		if !slices.Equal(s.Label["scenario"], []string{"query"}) {
			t.Fatalf("a sample of another scenario: %v", s.Label)
		}
		sawTarget = sawTarget || slices.Equal(s.Label["perfplan"], []string{"target"})
		for _, l := range s.Location {
			for _, ln := range l.Line {
				sawChecksum = sawChecksum || strings.HasSuffix(ln.Function.Name, ".checksumRow")
			}
		}
	}
	if !sawTarget || !sawChecksum {
		t.Errorf("profile: target-labelled samples %v, checksumRow %v", sawTarget, sawChecksum)
	}
	top := exec.Command("go", "tool", "pprof", "-top", pb)
	out, err := top.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "checksumRow") {
		t.Errorf("go tool pprof -top %s: %v\n%s", pb, err, out)
	}
	for _, bad := range [][]string{
		{"report", "--profile", "nosuch", next},
		{"report", "--profile", "query", "--profile-type", "heap", next},
		{"report", "--profile", "query", "--profile-type", "remote", next},
		{"report", "-o", pb, next},
	} {
		if code, _, stderr := profMain(t, reg, bad...); code != cli.ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, want %d with a message: %q", bad, code, cli.ExitUsage, stderr)
		}
	}

	// perfplan history: the base document five times, then the new one
	// five times; the change point names checksumRow.
	db := filepath.Join(dir, "history.db")
	store, err := history.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		src := base
		if i >= 5 {
			src = next
		}
		d, err := report.ReadDocumentFile(src)
		if err != nil {
			t.Fatal(err)
		}
		d.Start = d.Start.Add(time.Duration(i) * time.Hour)
		for pi := range d.Plans {
			d.Plans[pi].Scenarios[0].Total.Latency.P50 += int64(i % 3 * 100)
		}
		if err := store.Append(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	code, stdout, stderr = profMain(t, reg, "history", "--history", db, "--metric", "latency.p50", "rowdb")
	if code != cli.ExitOK || !strings.Contains(stdout, "change point") || !strings.Contains(stdout, "what grew") || !strings.Contains(stdout, "checksumRow") {
		t.Errorf("history: exit %d; want a change point naming checksumRow:\n%s%s", code, stdout, stderr)
	}
}

// names keeps the function names of a view.
func names(gs []profiling.Growth) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Func)
	}
	return out
}

// TestProfileConcurrentScenarios: two scenarios run at the same time, one
// parsing rows and one checksumming them; each one's CPU profile holds its
// own function and not the other's, and each names the other as
// overlapping (the allocation profile is the process's).
func TestProfileConcurrentScenarios(t *testing.T) {
	reg := rowRegistry()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "twins.hcl")
	src := `
target "rowdb" "db" {}
workload "parse" {
  target = target.rowdb.db
  op "parse" { weight = 1 }
}
workload "checksum" {
  target = target.rowdb.db
  op "checksum" { weight = 1 }
}
scenario "parsing" {
  workload   = workload.parse
  executor   = "shared-iterations"
  vus        = 1
  iterations = 3000
}
scenario "checksumming" {
  workload   = workload.checksum
  executor   = "shared-iterations"
  vus        = 1
  iterations = 3000
}
`
	if err := os.WriteFile(planFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	if code, stdout, stderr := profMain(t, reg, "run", "--quiet", "--no-history", "--profile", "--out", "json="+out, planFile); code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	d, err := report.ReadDocumentFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ scenario, own, other string }{
		{"parsing", ".parseRow", ".checksumRow"},
		{"checksumming", ".checksumRow", ".parseRow"},
	} {
		var sd *report.ScenarioDoc
		for i := range d.Plans[0].Scenarios {
			if d.Plans[0].Scenarios[i].Name == c.scenario {
				sd = &d.Plans[0].Scenarios[i]
			}
		}
		if sd == nil || sd.Profile == nil {
			t.Fatalf("scenario %s: no profile", c.scenario)
		}
		p, err := profiling.Decode(sd.Profile.CPU)
		if err != nil {
			t.Fatal(err)
		}
		own, other := 0, 0
		for _, s := range p.Sample {
			for _, l := range s.Location {
				for _, ln := range l.Line {
					switch {
					case strings.HasSuffix(ln.Function.Name, c.own):
						own++
					case strings.HasSuffix(ln.Function.Name, c.other):
						other++
					}
				}
			}
		}
		if own == 0 || other != 0 {
			t.Errorf("scenario %s: %d samples in %s, %d in %s; want its own function only", c.scenario, own, c.own, other, c.other)
		}
		if len(sd.Profile.Overlapped) != 1 {
			t.Errorf("scenario %s: overlapped %v, want the other scenario", c.scenario, sd.Profile.Overlapped)
		}
	}
}

// TestProfileSleepTarget is issue 22's first case, through the perfplan
// binary: the busy sleep target (a CPU-bound in-process target) at 100µs,
// then at 300µs, each run with --profile; compare's profile section under
// the regression names the sleep target's spinning code first among the
// functions whose cumulative CPU time per operation grew.
func TestProfileSleepTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "busy.hcl")
	src := `
variable "latency" {
  type    = string
  default = "100us"
}
target "sleep" "s" {
  latency = var.latency
  busy    = true
}
workload "w" {
  target = target.sleep.s
  op "op" { weight = 1 }
}
scenario "spin" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 1
  iterations = 3000
}
`
	// 3,000 iterations give about 180 CPU samples a side at 100 Hz over six
	// runs: with 1,000 (60), a machine busy enough to take the spinning
	// core away left too few for a growth beyond sampling noise.
	if err := os.WriteFile(planFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	base, next := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	for _, r := range []struct{ out, latency string }{{base, "100us"}, {next, "300us"}} {
		if res := run(t, "run", "--quiet", "--profile", "--count", "6", "-var", "latency="+r.latency, "--out", "json="+r.out, planFile); res.code != cli.ExitOK {
			t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	}
	res := run(t, "compare", base, next)
	if res.code != cli.ExitFailed {
		t.Fatalf("compare: exit %d, want %d\n%s%s", res.code, cli.ExitFailed, res.stdout, res.stderr)
	}
	lines := strings.Split(res.stdout, "\n")
	first := ""
	for i, l := range lines {
		if strings.Contains(l, "functions whose cumulative CPU time per op grew") && i+2 < len(lines) {
			if f := strings.Fields(lines[i+2]); len(f) > 0 {
				first = f[0]
			}
		}
	}
	if !strings.Contains(res.stdout, "Profile of busy/spin: what grew") || first != "sleep.spin" {
		t.Errorf("compare: first function whose cumulative time grew %q, want sleep.spin:\n%s", first, res.stdout)
	}
}

// TestProfilePprofURL runs the perfplan binary with --profile against an
// http target whose pprof_url is a Go test server serving net/http/pprof:
// the run document holds the server's CPU profile over the scenario, and
// perfplan report --profile --profile-type remote writes it as a profile
// that pprof reads. The server profiles this test process; being parallel,
// the test runs only after the sequential tests that profile it in process
// (TestProfileNamesSlowerFunction, TestProfileConcurrentScenarios) are done.
func TestProfilePprofURL(t *testing.T) {
	t.Parallel()
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", netpprof.Profile)
	mux.HandleFunc("/", func(w nethttp.ResponseWriter, _ *nethttp.Request) {})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "http.hcl")
	src := fmt.Sprintf(`
target "http" "api" {
  base_url  = %q
  pprof_url = "%s/debug/pprof"
}
workload "w" {
  target = target.http.api
  op "get" { weight = 1 }
}
scenario "s" {
  workload = workload.w
  executor = "constant-vus"
  vus      = 1
  duration = "1500ms"
}
`, srv.URL, srv.URL)
	if err := os.WriteFile(planFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	if res := run(t, "run", "--quiet", "--profile", "--out", "json="+out, planFile); res.code != cli.ExitOK {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	d, err := report.ReadDocumentFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pd := d.Plans[0].Scenarios[0].Profile
	if pd == nil || len(pd.Remote) == 0 || pd.RemoteURL != srv.URL+"/debug/pprof/profile" {
		t.Fatalf("profile %+v, want the server's CPU profile from %s/debug/pprof/profile", pd, srv.URL)
	}
	pb := filepath.Join(dir, "remote.pb.gz")
	if res := run(t, "report", "--profile", "s", "--profile-type", "remote", "-o", pb, out); res.code != cli.ExitOK {
		t.Fatalf("report --profile: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	f, err := os.Open(pb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil || p.DurationNanos < int64(time.Second) {
		t.Fatalf("remote profile: %v, covering %v", err, time.Duration(p.DurationNanos))
	}
}
