package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/builtin"
	"github.com/perfplan/perfplan/targets/noop"
)

// listTree lists every path under dir, relative to it, with its type.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, rel+" "+d.Type().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// mainIn runs cli.Main with the built-in targets (and extra kinds) and a
// history database outside dir.
func mainIn(t *testing.T, extra []targets.Kind, args ...string) (int, string, string) {
	t.Helper()
	reg := builtin.Registry()
	for _, k := range extra {
		reg.MustRegister(k)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), cli.Env{
		Args: args, Registry: reg, Stdout: &stdout, Stderr: &stderr,
		Environ: []string{"PERFPLAN_HISTORY=" + filepath.Join(t.TempDir(), "history.db")},
	})
	return code, stdout.String(), stderr.String()
}

// TestOutputPathsCheckedBeforeRun checks that a result file that cannot be
// written is a usage error before anything runs: exit 2, a message naming
// the flag, the path and the OS error, no tables, and no file or directory
// left behind.
func TestOutputPathsCheckedBeforeRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// args gets dir's path for DIR.
		args []string
		want []string
	}{
		{"parent is a file", []string{"--out", "json=DIR/file/run.json"}, []string{"--out json=DIR/file/run.json", "not a directory"}},
		{"grandparent is a file", []string{"--out", "csv=DIR/file/a/b.csv"}, []string{"DIR/file/a/b.csv", "not a directory"}},
		{"path is a directory", []string{"--out", "junit=DIR/sub"}, []string{"DIR/sub", "is a directory"}},
		{"trailing slash", []string{"--out", "json=DIR/new/"}, []string{"DIR/new/", "names a directory"}},
		{"unwritable directory", []string{"--out", "json=/proc/perfplan-out.json"}, []string{"/proc/perfplan-out.json", "cannot create files in directory /proc"}},
		{"save-baseline", []string{"--save-baseline", "DIR/file/base.json"}, []string{"--save-baseline DIR/file/base.json", "not a directory"}},
		{"same file twice", []string{"--out", "json=DIR/run.json", "--save-baseline", "DIR/./run.json"}, []string{"--out json=DIR/run.json and --save-baseline DIR/./run.json write the same file"}},
		{"one bad among good", []string{"--out", "json=DIR/ok/run.json", "--out", "csv=DIR/file/x.csv", "--out", "markdown=DIR/run.md"}, []string{"DIR/file/x.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			plan := writePlan(t, t.TempDir(), "p", "")
			before := listTree(t, dir)
			var args []string
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			code, stdout, stderr := mainIn(t, nil, append(append([]string{"run", "--quiet"}, args...), plan)...)
			if code != cli.ExitUsage {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cli.ExitUsage, stdout, stderr)
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("the plan ran:\n%s", stdout)
			}
			if after := listTree(t, dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("files left behind:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// TestHistoryPathWarnedBeforeRun checks that a history database that cannot
// be written is a warning before the run, not an error: the run goes on and
// its exit code is its verdict.
func TestHistoryPathWarnedBeforeRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "file", "history.db")
	code, stdout, stderr := mainIn(t, nil, "run", "--quiet", "--history", db, writePlan(t, t.TempDir(), "p", ""))
	if code != cli.ExitOK || !strings.Contains(stdout, "PASS") {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cli.ExitOK, stdout, stderr)
	}
	want := "warning: history " + db + " cannot be written"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// TestOutputUnwritableDirectoryAsUser checks a directory without write
// permission; root writes anywhere, so it runs only as another user.
func TestOutputUnwritableDirectoryAsUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root can write to a read-only directory")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := mainIn(t, nil, "run", "--quiet", "--out", "json="+dir+"/run.json", writePlan(t, t.TempDir(), "p", ""))
	if code != cli.ExitUsage || !strings.Contains(stderr, dir+"/run.json") || !strings.Contains(stderr, "permission denied") {
		t.Errorf("exit %d, want %d naming the path and the error:\n%s", code, cli.ExitUsage, stderr)
	}
}

// TestOutputNoStrayFilesOnInvalidPlan checks that checking the result paths
// of a run that then fails validation creates nothing: not the file, not its
// missing directories, no temporary file.
func TestOutputNoStrayFilesOnInvalidPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.json")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, dir)
	for _, args := range [][]string{
		{"testdata/misspelled.hcl"},
		{"testdata/vars.hcl", "--var", "nope=1"},
		{"testdata/vars.hcl", "--baseline", filepath.Join(dir, "missing-base.json")},
	} {
		code, _, stderr := mainIn(t, nil, append([]string{"run", "--quiet",
			"--out", "json=" + filepath.Join(dir, "a", "b", "run.json"),
			"--out", "csv=" + filepath.Join(dir, "run.csv"),
			"--save-baseline", existing}, args...)...)
		if code != cli.ExitUsage {
			t.Fatalf("%v: exit %d, want %d\n%s", args, code, cli.ExitUsage, stderr)
		}
	}
	if after := listTree(t, dir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("files left behind:\nbefore %q\nafter  %q", before, after)
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Errorf("existing file changed: %q", b)
	}
}

// TestOutputCreatesDirectoriesAndMode runs the binary with umask 022 and
// checks that --out creates missing parent directories and writes every
// result file with mode 0644, also over an existing private file.
func TestOutputCreatesDirectoriesAndMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private := filepath.Join(dir, "base.json")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"json":     filepath.Join(dir, "a", "b", "run.json"),
		"csv":      filepath.Join(dir, "run.csv"),
		"junit":    filepath.Join(dir, "c", "junit.xml"),
		"markdown": filepath.Join(dir, "run.md"),
		"table":    filepath.Join(dir, "run.txt"),
	}
	args := []string{"-c", `umask 022 && exec "$0" "$@"`, binary, "run", "--quiet", "--save-baseline", private}
	for format, path := range files {
		args = append(args, "--out", format+"="+path)
	}
	args = append(args, writePlan(t, t.TempDir(), "p", ""))
	cmd := exec.Command("sh", args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(t.TempDir(), "h.db"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	files["baseline"] = private
	for name, path := range files {
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, st.Mode().Perm())
		}
	}
	for _, d := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "a", "b"), filepath.Join(dir, "c")} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("directory %s: %v %v, want mode 0755", d, st.Mode(), err)
		}
	}
}

// TestOutputSymlinkAndDevices checks that a result path that is a symbolic
// link keeps the link and replaces its target, and that a device (/dev/null)
// or a pipe (/dev/stdout) is written in place rather than renamed over.
func TestOutputSymlinkAndDevices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "run.json")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "run.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	r := run(t, "run", "--quiet", "--out", "json="+link, "--out", "csv=/dev/stdout", "--out", "junit=/dev/null", writePlan(t, t.TempDir(), "p", ""))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	readDoc(t, real)
	if !strings.Contains(r.stdout, "plan,repetition,scenario") || !strings.Contains(r.stdout, ",status\n") {
		t.Errorf("CSV not written to /dev/stdout:\n%s", r.stdout)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("/dev/null is no longer a device: %v %v", st.Mode(), err)
	}
}

// saboteur is a noop target kind whose Open runs sabotage first: it runs
// after the result paths were checked and before they are written.
func saboteur(sabotage func() error) targets.Kind {
	k := noop.Kind()
	k.Name = "saboteur"
	newNoop := k.New
	k.New = func(cfg targets.Config) (targets.Target, error) {
		t, err := newNoop(cfg)
		return sabotaged{t, sabotage}, err
	}
	return k
}

type sabotaged struct {
	targets.Target
	sabotage func() error
}

func (s sabotaged) Open(ctx context.Context) error {
	if err := s.sabotage(); err != nil {
		return err
	}
	return s.Target.Open(ctx)
}

const saboteurPlan = `plan "sabotaged" {}
target "saboteur" "t" {}
workload "w" {
  target = target.saboteur.t
  op "get" { weight = 1 }
  keys { count = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "shared-iterations"
  vus        = 1
  iterations = 10
%s}
`

// TestOutputFailsAtEnd checks that a result file that cannot be written when
// the run ends (its directory became a file during the run) gives exit code
// 5, whatever the verdict, while the tables are printed and the other result
// files are written.
func TestOutputFailsAtEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, asserts, verdict string
	}{
		{"passing run", "", "PASS"},
		{"failing run", "  assert {\n    condition = errors > 0\n  }\n", "FAIL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			outDir := filepath.Join(dir, "out")
			if err := os.Mkdir(outDir, 0o755); err != nil {
				t.Fatal(err)
			}
			plan := filepath.Join(dir, "plan.hcl")
			if err := os.WriteFile(plan, []byte(strings.Replace(saboteurPlan, "%s", tc.asserts, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			kind := saboteur(func() error {
				if err := os.Remove(outDir); err != nil {
					return err
				}
				return os.WriteFile(outDir, []byte("in the way"), 0o644)
			})
			good := filepath.Join(dir, "good.csv")
			code, stdout, stderr := mainIn(t, []targets.Kind{kind}, "run", "--quiet",
				"--out", "json="+filepath.Join(outDir, "run.json"), "--out", "csv="+good, plan)
			if code != cli.ExitOutput {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cli.ExitOutput, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.verdict) || !strings.Contains(stdout, "plan sabotaged") {
				t.Errorf("tables not printed:\n%s", stdout)
			}
			for _, w := range []string{"--out json=" + outDir + "/run.json", "not a directory", "exit code 5", "wrote csv results to " + good} {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(good); err != nil {
				t.Errorf("the writable result file was not written: %v", err)
			}
		})
	}
}

// TestOutputFailsAtEndBinary interrupts the binary after making its --out
// directory a file: the run exits 5 (results not written) rather than 3
// (interrupted, results written), and still prints its tables. It is not
// parallel: its noop load spins a core until the signal, and the
// timing-sensitive breakpoint test runs with the parallel ones.
func TestOutputFailsAtEndBinary(t *testing.T) {
	dir := t.TempDir()
	outDir := filepath.Join(dir, "out")
	cmd := exec.Command(binary, "run", "--out", "json="+filepath.Join(outDir, "run.json"), "--progress-interval", "100ms", "testdata/long.hcl")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true", "PERFPLAN_HISTORY="+filepath.Join(t.TempDir(), "history.db"))
	var stdout bytes.Buffer
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "ops=") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.WriteFile(outDir, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitOutput {
		t.Fatalf("exit %v, want code %d\nstdout:\n%s\nstderr:\n%s", err, cli.ExitOutput, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("tables not printed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), outDir+"/run.json") {
		t.Errorf("stderr does not name the path:\n%s", stderr.String())
	}
}
