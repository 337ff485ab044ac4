package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/executor"
	"github.com/perfplan/perfplan/profiling"
	"github.com/perfplan/perfplan/report"
)

// runProfile is the profiling of one plan run (perfplan run --profile, or
// the plan block's profile = true); its zero value profiles nothing.
type runProfile struct {
	s *profiling.Session
}

// startProfile starts profiling a run of plan when on is set. A profile
// that cannot start (another CPU profile runs in the process) is reported
// on stderr, and the run goes on without it.
func startProfile(ctx context.Context, env Env, on bool, plan string) runProfile {
	if !on {
		return runProfile{}
	}
	s, err := profiling.Start(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan run: plan %s: no profiles: %v\n", plan, err)
		return runProfile{}
	}
	return runProfile{s: s}
}

// profiler is the executor's Profiler, nil when not profiling.
func (p runProfile) profiler() executor.Profiler {
	if p.s == nil {
		return nil
	}
	return p.s
}

// stop ends the profile and returns each scenario's profiles.
func (p runProfile) stop(env Env) map[string]*report.ProfileDoc {
	if p.s == nil {
		return nil
	}
	docs, err := p.s.Stop()
	if err != nil {
		fmt.Fprintf(env.Stderr, "perfplan run: profiles: %v\n", err)
	}
	return docs
}

// profileFlags are perfplan report's --profile flags.
type profileFlags struct {
	scenario, kind, out string
}

// profileKinds are the --profile-type values.
var profileKinds = []string{"cpu", "allocs", "remote"}

func (p *profileFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&p.scenario, "profile", "", "write the profile of scenario `[PLAN/]SCENARIO` (run with --profile) as a .pb.gz file for go tool pprof, instead of a report")
	fs.StringVar(&p.kind, "profile-type", "cpu", "with --profile: which profile: cpu (perfplan's process, the scenario's samples), allocs (allocations over the scenario's span) or remote (the system under test's, from pprof_url)")
	fs.StringVar(&p.out, "o", "", "with --profile: the file to write (default SCENARIO.TYPE.pb.gz)")
}

// write writes the profile asked for, merged over the scenario's
// repetitions, and says how to open it.
func (p *profileFlags) write(env Env, d *report.Document) int {
	if !slices.Contains(profileKinds, p.kind) {
		fmt.Fprintf(env.Stderr, "perfplan report: unknown --profile-type %q (want %s)\n", p.kind, strings.Join(profileKinds, ", "))
		return ExitUsage
	}
	planName, scen, hasPlan := strings.Cut(p.scenario, "/")
	if !hasPlan {
		planName, scen = "", p.scenario
	}
	var profs []*profile.Profile
	var plans []string
	found := false
	for _, pd := range d.Plans {
		if planName != "" && pd.Name != planName {
			continue
		}
		for _, s := range pd.Scenarios {
			if s.Name != scen {
				continue
			}
			found = true
			if !slices.Contains(plans, pd.Name) {
				plans = append(plans, pd.Name)
			}
			if s.Profile == nil {
				continue
			}
			data := map[string][]byte{"cpu": s.Profile.CPU, "allocs": s.Profile.Allocs, "remote": s.Profile.Remote}[p.kind]
			pp, err := profiling.Decode(data)
			if err != nil {
				fmt.Fprintf(env.Stderr, "perfplan report: plan %s, scenario %s: %v\n", pd.Name, s.Name, err)
				return ExitFailed
			}
			if pp != nil {
				profs = append(profs, pp)
			}
		}
	}
	switch {
	case !found:
		fmt.Fprintf(env.Stderr, "perfplan report: no scenario %q in the run document\n", p.scenario)
		return ExitUsage
	case len(plans) > 1:
		fmt.Fprintf(env.Stderr, "perfplan report: scenario %q is in plans %s: name one as PLAN/SCENARIO\n", scen, strings.Join(plans, ", "))
		return ExitUsage
	case len(profs) == 0:
		fmt.Fprintf(env.Stderr, "perfplan report: scenario %q has no %s profile (run it with perfplan run --profile)\n", p.scenario, p.kind)
		return ExitUsage
	}
	merged, err := profiling.Merge(profs)
	if err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitFailed
	}
	out := p.out
	if out == "" {
		out = fmt.Sprintf("%s.%s.pb.gz", safeFileName(scen), p.kind)
	}
	var b bytes.Buffer
	if err := merged.Write(&b); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitFailed
	}
	if err := report.WriteFileAtomic(out, b.Bytes()); err != nil {
		fmt.Fprintln(env.Stderr, "perfplan report:", err)
		return ExitOutput
	}
	reps := ""
	if len(profs) > 1 {
		reps = fmt.Sprintf(" (%d repetitions merged)", len(profs))
	}
	fmt.Fprintf(env.Stdout, "wrote %s%s; open it with: go tool pprof %s\n", out, reps, out)
	return ExitOK
}

// safeFileName keeps letters, digits, '-', '_' and '.' of s.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
