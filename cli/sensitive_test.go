package cli_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSensitiveNeverShown runs a plan whose token variable is sensitive
// and whose headers carry it, against a server that checks the header
// and fails every request: the token, the assertion's message computed
// from it, and a plain header value are in no table, no
// message, no result file of any format and not in the history, and the
// document's variables say (sensitive).
func TestSensitiveNeverShown(t *testing.T) {
	t.Parallel()
	const token = "tok3nS3cretValue"
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+token && r.Header.Get("X-Api-Key") == "plainKeyValue42" {
			got.Add(1)
		}
		http.Error(w, "no", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.db")
	args := []string{"run", "testdata/sensitive.hcl", "--var", "base_url=" + srv.URL}
	var files []string
	for _, f := range []string{"json", "csv", "markdown", "html", "junit"} {
		path := filepath.Join(dir, "out."+f)
		files = append(files, path)
		args = append(args, "--out", f+"="+path)
	}
	r := runEnv(t, []string{"PERFPLAN_VAR_token=" + token, "PERFPLAN_HISTORY=" + hist}, args...)
	if r.code != 1 || got.Load() == 0 {
		t.Fatalf("exit %d (want 1), %d requests with the token\nstdout:\n%s\nstderr:\n%s", r.code, got.Load(), r.stdout, r.stderr)
	}
	secrets := []string{token, strings.ToUpper(token), "plainKeyValue42"}
	check := func(where, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", where, s)
			}
		}
	}
	check("the terminal", r.stdout+r.stderr)
	// The message is computed from the token: all of it is sensitive.
	if !strings.Contains(r.stdout, "│ (sensitive) │") {
		t.Errorf("the assertion's message is not shown as (sensitive):\n%s", r.stdout)
	}
	for _, f := range append(files, hist) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(f), string(b))
	}
	doc, _ := os.ReadFile(files[0])
	if !strings.Contains(string(doc), `"token": "(sensitive)"`) {
		t.Errorf("plans[].variables do not say (sensitive):\n%s", doc)
	}
	// The history's own output.
	h := runEnv(t, []string{"PERFPLAN_HISTORY=" + hist}, "history", "sensitive")
	check("perfplan history", h.stdout+h.stderr)
}

// TestSensitiveDiagnostics: a diagnostic never quotes a sensitive value:
// not a bad --var, not a validation message that interpolates it, not a
// function's error about it.
func TestSensitiveDiagnostics(t *testing.T) {
	t.Parallel()
	const secret = "zz9SecretPlural"
	dir := t.TempDir()
	plan := filepath.Join(dir, "p.hcl")
	if err := os.WriteFile(plan, []byte(`
variable "n" {
  type      = number
  sensitive = true
}
variable "word" {
  type      = string
  sensitive = true
  validation {
    condition     = var.word == "ok"
    error_message = "too long: ${var.word}"
  }
}
variable "path" {
  type      = string
  sensitive = true
}
locals {
  content = tonumber(var.path)
}
target "noop" "t" {}
workload "w" {
  target = target.noop.t
  op "get" { weight = 1 }
  keys { count = 1 }
}
scenario "s" {
  workload   = workload.w
  executor   = "per-vu-iterations"
  vus        = 1
  iterations = 1
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "validate", plan, "--var", "n="+secret, "--var", "word="+secret, "--var", "path=/nonexistent/"+secret)
	if r.code != 2 || strings.Contains(r.stdout+r.stderr, secret) || !strings.Contains(r.stderr, "(sensitive)") {
		t.Errorf("exit %d (want 2), and no %q:\n%s%s", r.code, secret, r.stdout, r.stderr)
	}
}
