package cli

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/plan"
	"github.com/perfplan/perfplan/targets/builtin"
)

// mainRun runs Main with args and returns its exit code and stderr.
func mainRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{
		Args: args, Registry: builtin.Registry(), Stdout: &out, Stderr: &errb,
		Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(t.TempDir(), "history.db")},
	})
	return code, errb.String()
}

// TestNumericFlagRanges checks every numeric flag of every subcommand at and
// beyond its bounds, through Main: a value outside the range (NaN, ±Inf,
// overflow, negative, zero where it means nothing, absurdly large) is a
// usage error that names the flag and the range; a value inside it is
// accepted (the command then fails, or not, for other reasons). It is long
// because it lists the cases of every flag; the logic is the loop at its end.
func TestNumericFlagRanges(t *testing.T) {
	t.Parallel()
	base := writeDoc(t, seriesDoc(time.Millisecond, "a"))
	next := writeDoc(t, seriesDoc(time.Millisecond, "b"))
	db := filepath.Join(t.TempDir(), "h.db")
	// Accepted run flags are followed by a plan file that does not exist,
	// so that nothing runs: the command fails on the file, not the flag.
	runWith := func(flags ...string) []string { return append(append([]string{"run"}, flags...), "nope.hcl") }
	compareWith := func(flags ...string) []string { return append(append([]string{"compare"}, flags...), base, next) }
	historyWith := func(flags ...string) []string { return append([]string{"history", "--history", db}, flags...) }
	type tc struct {
		args []string
		// rejected: the flag and the range the message must name; empty
		// for an accepted value.
		flag, rng string
	}
	var tests []tc
	reject := func(args []string, flag, rng string) { tests = append(tests, tc{args, flag, rng}) }
	accept := func(args []string) { tests = append(tests, tc{args: args}) }

	for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "1e300", "1e400", "0", "-1", "0.0009", "1000.5", "x", ""} {
		reject(runWith("--duration-scale", v), "-duration-scale", "[0.001, 1000]")
	}
	for _, v := range []string{"0.001", "1", "0.5", "1000"} {
		accept(runWith("--duration-scale", v))
	}
	for _, v := range []string{"0", "-1", "1001", "99999999999999999999", "1.5", "NaN"} {
		reject(runWith("--count", v), "-count", "[1, 1000]")
	}
	for _, v := range []string{"1", "1000"} {
		accept(runWith("--count", v))
	}
	for _, v := range []string{"0", "-1s", "1ms", "25h", "1e300h", "x"} {
		reject(runWith("--progress-interval", v), "-progress-interval", "[10ms, 24h]")
	}
	for _, v := range []string{"10ms", "5s", "24h"} {
		accept(runWith("--progress-interval", v))
	}
	for _, v := range []string{"NaN", "Inf", "-Inf", "-5%", "-0.1", "10001%", "101", "1e400"} {
		reject(runWith("--mode", "regression", "--threshold", v), "-threshold", "0% to 10000%")
	}
	for _, v := range []string{"0", "5%", "0.05", "10000%"} {
		accept(runWith("--mode", "regression", "--threshold", v))
	}

	for _, f := range []string{"--alpha", "--confidence"} {
		for _, v := range []string{"NaN", "Inf", "-Inf", "0", "1", "-0.5", "1.5", "1e300"} {
			reject(compareWith(f, v), "-"+f[2:], "(0, 1)")
		}
		for _, v := range []string{"0.01", "0.99"} {
			accept(compareWith(f, v))
		}
	}
	for _, f := range []string{"--threshold", "--critical", "--high", "--medium"} {
		for _, v := range []string{"NaN", "Inf", "-1%", "1e9%"} {
			reject(compareWith(f, v), "-"+f[2:], "0% to 10000%")
		}
	}
	accept(compareWith("--threshold", "0"))
	accept(compareWith("--medium", "0", "--high", "0", "--critical", "0"))
	reject(compareWith("--medium", "30%"), "--medium 30%", "--high 25%")
	reject(compareWith("--high", "60%"), "--high 60%", "--critical 50%")

	for _, v := range []string{"0", "-3", "9", "1001", "99999999999999999999"} {
		reject(historyWith("--window", v), "-window", "[10, 1000]")
	}
	for _, v := range []string{"10", "50", "1000"} {
		accept(historyWith("--window", v))
	}
	for _, v := range []string{"NaN", "Inf", "0", "-0.1", "1.5"} {
		reject(historyWith("--max-p", v), "-max-p", "(0, 1]")
	}
	for _, v := range []string{"0.001", "1"} {
		accept(historyWith("--max-p", v))
	}
	for _, v := range []string{"-1", "-100", "99999999999999999999"} {
		reject(historyWith("--last", v), "-last", "at least 0")
	}
	for _, v := range []string{"0", "5"} {
		accept(historyWith("--last", v))
	}
	for _, v := range []string{"NaN", "-Inf", "-5%"} {
		reject(historyWith("--min-magnitude", v), "-min-magnitude", "0% to 10000%")
	}
	accept(historyWith("--min-magnitude", "5%"))

	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		name = strings.ReplaceAll(name, base, "BASE")
		name = strings.ReplaceAll(name, next, "NEW")
		name = strings.ReplaceAll(name, db, "DB")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, stderr := mainRun(t, tt.args...)
			if tt.flag == "" {
				if strings.Contains(stderr, "invalid value") || strings.Contains(stderr, "cut-offs") {
					t.Errorf("value rejected:\n%s", stderr)
				}
				if tt.args[0] == "run" && (code != ExitUsage || !strings.Contains(stderr, "nope.hcl")) {
					t.Errorf("exit %d, want %d on the missing plan file:\n%s", code, ExitUsage, stderr)
				}
				if tt.args[0] != "run" && code != ExitOK {
					t.Errorf("exit %d, want %d:\n%s", code, ExitOK, stderr)
				}
				return
			}
			if code != ExitUsage {
				t.Errorf("exit %d, want %d:\n%s", code, ExitUsage, stderr)
			}
			for _, want := range []string{tt.flag, tt.rng} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestFloatRange checks the interval arithmetic behind the float flags.
func TestFloatRange(t *testing.T) {
	t.Parallel()
	open := floatRange{min: 0, max: 1, minOpen: true, maxOpen: true}
	closed := floatRange{min: 0, max: 1}
	for _, tc := range []struct {
		r    floatRange
		v    float64
		want bool
	}{
		{open, 0, false}, {open, 1, false}, {open, 0.5, true},
		{closed, 0, true}, {closed, 1, true}, {closed, math.Nextafter(1, 2), false},
		{closed, math.NaN(), false}, {closed, math.Inf(1), false}, {closed, math.Inf(-1), false},
		{floatRange{min: math.Inf(-1), max: math.Inf(1)}, math.Inf(1), false},
	} {
		if got := tc.r.contains(tc.v); got != tc.want {
			t.Errorf("%s contains %v = %v, want %v", tc.r, tc.v, got, tc.want)
		}
	}
	if got := open.String(); got != "(0, 1)" {
		t.Errorf("String = %q", got)
	}
}

// TestCheckScaledDurations checks that a duration scale that would overflow
// a scenario's time.Duration arithmetic is refused before the run.
func TestCheckScaledDurations(t *testing.T) {
	t.Parallel()
	long := 2000000 * time.Hour // about 228 years: fits, but not twice
	for _, tc := range []struct {
		name  string
		sc    plan.Scenario
		scale float64
		ok    bool
	}{
		{"minute at the maximum scale", plan.Scenario{Name: "s", Config: &executor.ConstantVUs{Duration: time.Minute}}, maxDurationScale, true},
		{"long at scale 1", plan.Scenario{Name: "s", Config: &executor.ConstantVUs{Duration: long}}, 1, true},
		{"long doubled", plan.Scenario{Name: "s", Config: &executor.ConstantVUs{Duration: long}}, 2, false},
		{"stages add up", plan.Scenario{Name: "s", Config: &executor.RampingArrivalRate{Stages: []plan.Stage{{Duration: long / 2}, {Duration: long / 2}}}}, 2, false},
		{"start time and duration", plan.Scenario{Name: "s", StartTime: long, Config: &executor.ConstantVUs{Duration: long}}, 1, false},
		{"breakpoint", plan.Scenario{Name: "s", Config: &executor.Breakpoint{RecoveryTimeout: long}}, 1000, false},
		{"abort grace", plan.Scenario{Name: "s", Asserts: []*plan.Assertion{{AbortGrace: long}}}, 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := tc.sc
			p := &plan.Plan{Name: "p", File: "p.hcl", Scenarios: []*plan.Scenario{&sc}}
			err := checkScaledDurations([]*plan.Plan{p}, tc.scale)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && (!strings.Contains(err.Error(), "--duration-scale") || !strings.Contains(err.Error(), `scenario "s"`)) {
				t.Errorf("message does not name the flag and scenario: %v", err)
			}
		})
	}
}
