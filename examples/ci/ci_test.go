// Package ci_test checks the CI recipes: their YAML is well formed, they
// hold the steps docs/gating-ci.md describes, and every perfplan command in
// them uses flags that perfplan has.
package ci_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/perfplan/perfplan/cli"
	"github.com/perfplan/perfplan/targets/builtin"
)

func load(t *testing.T, path string) (map[string]any, string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc, string(raw)
}

// get walks nested maps by keys.
func get(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %q in %v", k, keys)
		}
		v = m[k]
	}
	return v
}

// perfplanFlags checks each perfplan command in text against the command's
// own flags.
func perfplanFlags(t *testing.T, name, text string) {
	t.Helper()
	// Join continued lines, then look at each perfplan command.
	text = strings.ReplaceAll(text, "\\\n", " ")
	cmds := regexp.MustCompile(`perfplan (run|compare|report|history|ab)\b([^\n|;&>]*)`).FindAllStringSubmatch(text, -1)
	if len(cmds) == 0 {
		t.Fatalf("%s: no perfplan command", name)
	}
	for _, c := range cmds {
		var stderr bytes.Buffer
		cli.Main(context.Background(), cli.Env{Args: []string{c[1], "-h"}, Registry: builtin.Registry(), Stdout: &stderr, Stderr: &stderr})
		for _, f := range regexp.MustCompile(`\s--?([a-z][a-z-]*)`).FindAllStringSubmatch(c[2], -1) {
			if !strings.Contains(stderr.String(), "-"+f[1]+" ") && !strings.Contains(stderr.String(), "-"+f[1]+"\n") {
				t.Errorf("%s: perfplan %s has no flag --%s", name, c[1], f[1])
			}
		}
	}
}

func TestGitHubActions(t *testing.T) {
	doc, raw := load(t, "github-actions.yml")
	if get(t, doc, "on") == nil {
		t.Error("no trigger")
	}
	steps, ok := get(t, doc, "jobs", "perf", "steps").([]any)
	if !ok || len(steps) == 0 {
		t.Fatal("no steps")
	}
	var runs, uses []string
	for _, s := range steps {
		m := s.(map[string]any)
		if r, ok := m["run"].(string); ok {
			runs = append(runs, r)
		}
		if u, ok := m["uses"].(string); ok {
			uses = append(uses, u)
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{"perfplan run", "--out json=", "--out junit=", "--out html=", "plans/*.hcl",
		"perfplan compare --format markdown", "perfplan compare --format html", "gh pr comment", "gh run download"} {
		if !strings.Contains(all, want) {
			t.Errorf("no step runs %q", want)
		}
	}
	if !strings.Contains(strings.Join(uses, " "), "actions/upload-artifact") {
		t.Error("the results are not kept as an artefact")
	}
	perfplanFlags(t, "github-actions.yml", raw)
}

func TestGitLabCI(t *testing.T) {
	doc, raw := load(t, "gitlab-ci.yml")
	script, ok := get(t, doc, "perfplan", "script").([]any)
	if !ok || len(script) == 0 {
		t.Fatal("no script")
	}
	var lines []string
	for _, s := range script {
		lines = append(lines, s.(string))
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"perfplan run", "--out json=", "--out junit=", "--out html=", "plans/*.hcl",
		"perfplan compare --format markdown", "merge_requests/$CI_MERGE_REQUEST_IID/notes"} {
		if !strings.Contains(all, want) {
			t.Errorf("the script does not run %q", want)
		}
	}
	if get(t, doc, "perfplan", "artifacts", "reports", "junit") == nil || get(t, doc, "perfplan", "artifacts", "paths") == nil {
		t.Error("the results are not kept as artefacts")
	}
	perfplanFlags(t, "gitlab-ci.yml", raw)
}

// TestGitHubActionsAB checks the perfplan ab recipe: it builds both sides,
// runs them with perfplan ab, comments and keeps the comparison, and fails
// with ab's exit status; its perfplan commands use flags perfplan has.
func TestGitHubActionsAB(t *testing.T) {
	doc, raw := load(t, "github-actions-ab.yml")
	if on, ok := get(t, doc, "on").(map[string]any); !ok {
		t.Error("no trigger")
	} else if _, ok := on["pull_request"]; !ok {
		t.Error("the recipe does not run on pull requests")
	}
	steps, ok := get(t, doc, "jobs", "ab", "steps").([]any)
	if !ok || len(steps) == 0 {
		t.Fatal("no steps")
	}
	var runs []string
	for _, s := range steps {
		if r, ok := s.(map[string]any)["run"].(string); ok {
			runs = append(runs, r)
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{"perfplan ab", "--a-bin", "--b-bin", "--out markdown=", "--out json=", "plans/*.hcl",
		"go build", "gh pr comment", "exit \"${{ steps.ab.outputs.code }}\""} {
		if !strings.Contains(all, want) {
			t.Errorf("no step runs %q", want)
		}
	}
	perfplanFlags(t, "github-actions-ab.yml", raw)
}
