package ci_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The recipes' shell steps are run here as the CI services run them (bash
// -eo pipefail), against a perfplan built from this tree, a fast plan in
// plans/, and stand-ins for what only the services have: a gh command for
// GitHub, an HTTP server for GitLab's API.

// builtDir is the directory perfplanBin built into, removed by TestMain.
var builtDir string

// perfplanBin builds perfplan once.
var perfplanBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "perfplan-ci")
	if err != nil {
		return "", err
	}
	builtDir = dir
	bin := filepath.Join(dir, "perfplan")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/perfplan").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return dir, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "build perfplan: " + e.out }

// workspace is a checkout with one fast plan.
func workspace(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the recipes are shell scripts")
	}
	dir := t.TempDir()
	plan, err := os.ReadFile("../../cli/testdata/vars.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plans"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plans", "vars.hcl"), plan, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shell runs script with bash -eo pipefail in dir, with env added to a
// PATH that finds perfplan (and the stand-ins in extraPath).
func shell(t *testing.T, dir, script string, env []string, extraPath string) (int, string) {
	t.Helper()
	bin, err := perfplanBin()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + extraPath + ":" + bin + ":" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// ghStub is a gh that finds run 42 on main, downloads its artefact from
// $BASELINE, and records pull-request comments in $COMMENTS (there is no
// earlier comment to edit).
const ghStub = `#!/bin/sh
case "$1 $2" in
"run list") echo 42 ;;
"run download")
	dir=.; while [ $# -gt 0 ]; do [ "$1" = --dir ] && dir=$2; shift; done
	mkdir -p "$dir" && cp -r "$BASELINE"/. "$dir"/ ;;
"pr comment")
	for a in "$@"; do [ "$a" = --edit-last ] && { echo "no comment to edit" >&2; exit 1; }; done
	file=; while [ $# -gt 0 ]; do [ "$1" = --body-file ] && file=$2; shift; done
	cat "$file" >> "$COMMENTS" ;;
*) echo "gh stub: unexpected $*" >&2; exit 2 ;;
esac
`

var expr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// TestGitHubActionsSimulated runs the workflow's steps on main, then on a
// pull request, and checks the artefacts, the job summary, the comment and
// the verdict.
func TestGitHubActionsSimulated(t *testing.T) {
	doc, _ := load(t, "github-actions.yml")
	job := get(t, doc, "jobs", "perf").(map[string]any)
	jobEnv := map[string]string{}
	for k, v := range job["env"].(map[string]any) {
		jobEnv[k] = v.(string)
	}
	stubs := t.TempDir()
	if err := os.WriteFile(filepath.Join(stubs, "gh"), []byte(ghStub), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(event string, baseline string) (dir string, outputs map[string]map[string]string, summary, comments string, codes map[string]int, logs string) {
		dir = workspace(t)
		outputs = map[string]map[string]string{}
		codes = map[string]int{}
		summaryPath, commentsPath := filepath.Join(dir, "summary.md"), filepath.Join(dir, "comments.md")
		vals := map[string]string{"github.event_name": event, "github.token": "token", "github.event.pull_request.number": "7", "github.sha": "abc"}
		subst := func(s string) string {
			return expr.ReplaceAllStringFunc(s, func(m string) string {
				k := expr.FindStringSubmatch(m)[1]
				if strings.HasPrefix(k, "steps.") {
					parts := strings.Split(k, ".") // steps.ID.outputs.NAME
					return outputs[parts[1]][parts[3]]
				}
				v, ok := vals[k]
				if !ok {
					t.Fatalf("unknown expression %s", m)
				}
				return v
			})
		}
		for _, s := range job["steps"].([]any) {
			step := s.(map[string]any)
			script, ok := step["run"].(string)
			if !ok || strings.Contains(script, "go install") {
				continue // actions, and installing perfplan: built from this tree here
			}
			if cond, ok := step["if"].(string); ok && cond != "always()" {
				if cond != "github.event_name == 'pull_request'" {
					t.Fatalf("cannot evaluate if: %s", cond)
				}
				if event != "pull_request" {
					continue
				}
			}
			id, _ := step["id"].(string)
			outFile := filepath.Join(dir, "output-"+id)
			env := []string{"GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + summaryPath, "GITHUB_REPOSITORY=o/r",
				"BASELINE=" + baseline, "COMMENTS=" + commentsPath}
			for k, v := range jobEnv {
				env = append(env, k+"="+v)
			}
			if se, ok := step["env"].(map[string]any); ok {
				for k, v := range se {
					env = append(env, k+"="+subst(v.(string)))
				}
			}
			code, out := shell(t, dir, subst(script), env, stubs)
			codes[step["name"].(string)] = code
			logs += "== " + step["name"].(string) + "\n" + out
			if b, err := os.ReadFile(outFile); err == nil {
				outputs[id] = map[string]string{}
				for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
					if k, v, ok := strings.Cut(line, "="); ok {
						outputs[id][k] = v
					}
				}
			}
		}
		b, _ := os.ReadFile(summaryPath)
		c, _ := os.ReadFile(commentsPath)
		return dir, outputs, string(b), string(c), codes, logs
	}

	mainDir, _, mainSummary, _, mainCodes, logs := run("push", "")
	for name, code := range mainCodes {
		if code != 0 {
			t.Fatalf("on main, step %q exited %d\n%s", name, code, logs)
		}
	}
	results := filepath.Join(mainDir, jobEnv["OUT"])
	for _, f := range []string{"run.json", "junit.xml", "report.html"} {
		if _, err := os.Stat(filepath.Join(results, f)); err != nil {
			t.Errorf("on main: no %s among the results", f)
		}
	}
	if !strings.Contains(mainSummary, "## perfplan results") {
		t.Errorf("on main, the job summary:\n%s", mainSummary)
	}

	prDir, outputs, summary, comments, codes, logs := run("pull_request", results)
	for name, code := range codes {
		if code != 0 {
			t.Errorf("on the pull request, step %q exited %d", name, code)
		}
	}
	if outputs["run"]["code"] != "0" || outputs["compare"]["code"] != "0" {
		t.Errorf("outputs %v", outputs)
	}
	for _, f := range []string{"run.json", "junit.xml", "report.html", "compare.md", "compare.html"} {
		if _, err := os.Stat(filepath.Join(prDir, jobEnv["OUT"], f)); err != nil {
			t.Errorf("on the pull request: no %s among the results", f)
		}
	}
	if !strings.Contains(summary, "## perfplan results") || !strings.Contains(summary, "## perfplan comparison") {
		t.Errorf("job summary:\n%s", summary)
	}
	if !strings.HasPrefix(comments, "## perfplan comparison") {
		t.Errorf("pull-request comment:\n%s", comments)
	}
	if t.Failed() {
		t.Log(logs)
	}

	// The verdict step fails the job when run or compare failed.
	for _, s := range job["steps"].([]any) {
		step := s.(map[string]any)
		if step["name"] != "Verdict" {
			continue
		}
		for _, tc := range []struct{ run, compare string }{{"1", "0"}, {"0", "1"}} {
			script := strings.NewReplacer("${{ steps.run.outputs.code }}", tc.run, "${{ steps.compare.outputs.code }}", tc.compare).Replace(step["run"].(string))
			if code, out := shell(t, prDir, script, nil, stubs); code == 0 {
				t.Errorf("verdict with run %s, compare %s passed:\n%s", tc.run, tc.compare, out)
			}
		}
	}
}

// TestGitLabCISimulated runs the job's script on the default branch, then
// on a merge request against a stand-in of GitLab's API that serves the
// default branch's artefacts and records the note.
func TestGitLabCISimulated(t *testing.T) {
	for _, tool := range []string{"curl", "unzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (the job's image has it)", tool)
		}
	}
	doc, _ := load(t, "gitlab-ci.yml")
	job := get(t, doc, "perfplan").(map[string]any)
	var vars []string
	for k, v := range job["variables"].(map[string]any) {
		vars = append(vars, k+"="+v.(string))
	}
	var lines []string
	for _, l := range job["script"].([]any) {
		lines = append(lines, l.(string))
	}
	script := strings.Join(lines, "\n")

	var mu sync.Mutex
	var artefacts []byte
	var notes []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/projects/3/jobs/artifacts/main/download" && r.URL.Query().Get("job") == "perfplan" && r.Header.Get("JOB-TOKEN") == "job-token":
			if artefacts == nil {
				http.NotFound(w, r)
				return
			}
			w.Write(artefacts)
		case r.Method == http.MethodPost && r.URL.Path == "/projects/3/merge_requests/5/notes" && r.Header.Get("PRIVATE-TOKEN") == "api-token":
			r.ParseForm()
			notes = append(notes, r.PostForm.Get("body"))
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
		}
	}))
	defer api.Close()
	env := append(vars, "CI_API_V4_URL="+api.URL, "CI_PROJECT_ID=3", "CI_DEFAULT_BRANCH=main", "CI_JOB_NAME=perfplan",
		"CI_JOB_TOKEN=job-token", "PERFPLAN_GITLAB_TOKEN=api-token", "CI_MERGE_REQUEST_IID=5")

	mainDir := workspace(t)
	if code, out := shell(t, mainDir, script, append(env, "CI_PIPELINE_SOURCE=push", "CI_COMMIT_BRANCH=main"), ""); code != 0 {
		t.Fatalf("on main: exit %d\n%s", code, out)
	}
	// The artefacts as GitLab zips them: the paths from the project root.
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	root := filepath.Join(mainDir, "perfplan-results")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f, err := zw.Create("perfplan-results/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(filepath.Join(root, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(f, src)
		src.Close()
	}
	zw.Close()
	mu.Lock()
	artefacts = zipped.Bytes()
	mu.Unlock()

	mrDir := workspace(t)
	code, out := shell(t, mrDir, script, append(env, "CI_PIPELINE_SOURCE=merge_request_event"), "")
	if code != 0 {
		t.Fatalf("on the merge request: exit %d\n%s", code, out)
	}
	for _, f := range []string{"run.json", "junit.xml", "report.html", "summary.md", "compare.md", "compare.html"} {
		if _, err := os.Stat(filepath.Join(mrDir, "perfplan-results", f)); err != nil {
			t.Errorf("no %s among the artefacts", f)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "## perfplan comparison") {
		t.Errorf("notes posted: %q\n%s", notes, out)
	}
}
