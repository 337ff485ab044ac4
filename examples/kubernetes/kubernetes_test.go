// Package kubernetes_test tests the Kubernetes example: the manifests'
// structure, and the whole flow run locally: N perfplan processes started
// with the arguments and environment the Indexed Job gives its pods, then
// the merge step, then its verdict.
package kubernetes_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/perfplan/perfplan/history"
	"github.com/perfplan/perfplan/report"
)

// The parts of the manifests that the example relies on.
type (
	manifest struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   meta              `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		Spec       jobSpec           `yaml:"spec"`
	}
	meta struct {
		Name string `yaml:"name"`
	}
	jobSpec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		BackoffLimit   *int   `yaml:"backoffLimit"`
		Template       struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
	}
	podSpec struct {
		RestartPolicy string      `yaml:"restartPolicy"`
		Containers    []container `yaml:"containers"`
		Volumes       []volume    `yaml:"volumes"`
	}
	container struct {
		Image        string   `yaml:"image"`
		Command      []string `yaml:"command"`
		Args         []string `yaml:"args"`
		WorkingDir   string   `yaml:"workingDir"`
		Env          []envVar `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	envVar struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
			ConfigMapKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"configMapKeyRef"`
			SecretKeyRef *struct {
				Name     string `yaml:"name"`
				Key      string `yaml:"key"`
				Optional bool   `yaml:"optional"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	volume struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	}
)

func load(t *testing.T, file string) manifest {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// mounts returns a container's mount paths by volume name, resolved to
// what backs each volume ("configMap NAME", "pvc NAME").
func mounts(t *testing.T, pod podSpec, c container) map[string]string {
	t.Helper()
	backing := map[string]string{}
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil:
			backing[v.Name] = "configMap " + v.ConfigMap.Name
		case v.PersistentVolumeClaim != nil:
			backing[v.Name] = "pvc " + v.PersistentVolumeClaim.ClaimName
		}
	}
	out := map[string]string{}
	for _, m := range c.VolumeMounts {
		b, ok := backing[m.Name]
		if !ok {
			t.Errorf("volume mount %s has no volume", m.Name)
		}
		out[m.MountPath] = b
	}
	return out
}

// segmentsOf reads N from the job's --segment argument.
var segmentArg = regexp.MustCompile(`^\$\(JOB_COMPLETION_INDEX\)/(\d+)$`)

func TestManifests(t *testing.T) {
	t.Parallel()
	cm := load(t, "plans-configmap.yaml")
	if cm.Kind != "ConfigMap" || cm.Metadata.Name != "perfplan-plans" || !strings.Contains(cm.Data["plan.hcl"], `plan "scale-out"`) {
		t.Errorf("plans ConfigMap: %s %s with keys %v", cm.Kind, cm.Metadata.Name, len(cm.Data))
	}
	pvc := load(t, "results-pvc.yaml")
	if pvc.Kind != "PersistentVolumeClaim" || pvc.Metadata.Name != "perfplan-results" || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != "ReadWriteMany" {
		t.Errorf("results claim: %s %s %v", pvc.Kind, pvc.Metadata.Name, pvc.Spec.AccessModes)
	}

	job := load(t, "job.yaml")
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || job.Metadata.Name != "perfplan-segments" {
		t.Fatalf("job.yaml: %s %s %s", job.APIVersion, job.Kind, job.Metadata.Name)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" {
		t.Errorf("completionMode %q, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism || *s.Completions < 2 {
		t.Fatalf("completions %v and parallelism %v must be equal, and at least 2", s.Completions, s.Parallelism)
	}
	n := *s.Completions
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v, want 0 (a retried segment would start after START_AT)", s.BackoffLimit)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != "Never" || len(pod.Containers) != 1 {
		t.Fatalf("pod: restartPolicy %q, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	args := strings.Join(c.Args, " ")
	if len(c.Args) == 0 || c.Args[0] != "run" || len(c.Command) != 0 {
		t.Errorf("the container runs %v %v, want the image's perfplan with run", c.Command, c.Args)
	}
	seg := argAfter(c.Args, "--segment")
	if m := segmentArg.FindStringSubmatch(seg); m == nil || m[1] != strconv.Itoa(n) {
		t.Errorf("--segment %q, want $(JOB_COMPLETION_INDEX)/%d (completions)", seg, n)
	}
	if argAfter(c.Args, "--start-at") != "$(START_AT)" || !strings.Contains(args, "--no-history") {
		t.Errorf("args %q want --start-at $(START_AT) and --no-history", args)
	}
	if out := argAfter(c.Args, "--out"); !strings.HasPrefix(out, "json=/results/") || !strings.Contains(out, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("--out %q: each segment writes its own document on the results volume", out)
	}
	env := map[string]envVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["JOB_COMPLETION_INDEX"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil ||
		e.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("JOB_COMPLETION_INDEX must come from the completion index annotation: %+v", e)
	}
	for _, name := range []string{"START_AT", "RUN_ID"} {
		if e := env[name]; e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil || e.ValueFrom.ConfigMapKeyRef.Name != "perfplan-start" {
			t.Errorf("%s must come from the perfplan-start ConfigMap: %+v", name, e)
		}
	}
	m := mounts(t, pod, c)
	if m["/plans"] != "configMap perfplan-plans" || m["/results"] != "pvc perfplan-results" {
		t.Errorf("segment mounts %v", m)
	}
	if plan := c.Args[len(c.Args)-1]; !strings.HasPrefix(plan, "/plans/") {
		t.Errorf("the plan %q is not from the plans ConfigMap", plan)
	}

	merge := load(t, "merge-job.yaml")
	if merge.Kind != "Job" || merge.Metadata.Name != "perfplan-merge" || len(merge.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("merge-job.yaml: %s %s", merge.Kind, merge.Metadata.Name)
	}
	mc := merge.Spec.Template.Spec.Containers[0]
	if mc.Image != c.Image || len(mc.Args) == 0 || mc.Args[0] != "merge" {
		t.Errorf("merge container %s %v, want the segments' image running merge", mc.Image, mc.Args)
	}
	if mm := mounts(t, merge.Spec.Template.Spec, mc); mm["/results"] != "pvc perfplan-results" {
		t.Errorf("merge mounts %v", mm)
	}
	if dir := mc.Args[len(mc.Args)-1]; dir != filepath.Dir(strings.TrimPrefix(argAfter(c.Args, "--out"), "json=")) {
		t.Errorf("merge reads %s, the segments write %s", dir, argAfter(c.Args, "--out"))
	}
	for _, e := range mc.Env {
		if e.Name == "PERFPLAN_HISTORY" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || !e.ValueFrom.SecretKeyRef.Optional) {
			t.Errorf("PERFPLAN_HISTORY must come from an optional Secret: %+v", e)
		}
	}
}

func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// expand replaces $(VAR) with env's value, as the kubelet does in command
// and args (an unknown variable stays as written).
func expand(s string, env map[string]string) string {
	return regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := env[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// pod is a container of the manifests run as a local process: its args
// expanded with the environment the pod gets, and its mount paths moved
// under root.
type pod struct {
	args []string
	env  map[string]string
	dir  string
}

func localPod(c container, env map[string]string, root string) pod {
	rewrite := func(s string) string {
		for _, m := range c.VolumeMounts {
			s = strings.ReplaceAll(s, m.MountPath, filepath.Join(root, strings.TrimPrefix(m.MountPath, "/")))
		}
		return s
	}
	p := pod{env: env}
	for _, a := range c.Args {
		p.args = append(p.args, rewrite(expand(a, env)))
	}
	if c.WorkingDir != "" {
		p.dir = rewrite(c.WorkingDir)
	}
	return p
}

func (p pod) run(ctx context.Context, bin string) (int, string, string) {
	cmd := exec.CommandContext(ctx, bin, p.args...)
	cmd.Dir = p.dir
	// The pod's environment only, as in the container: no PERFPLAN_*
	// variables of the test run.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range p.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// TestJobLocally runs the example's flow on this machine: the segments'
// pods as N perfplan processes at once, each with the environment the
// Indexed Job gives it (JOB_COMPLETION_INDEX, START_AT and RUN_ID as the
// manifest maps them) and its mounts as directories, then the merge Job's
// container, and checks the merged run and its verdict.
func TestJobLocally(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	bin := filepath.Join(root, "perfplan")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/perfplan")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build perfplan: %v\n%s", err, out)
	}
	cm := load(t, "plans-configmap.yaml")
	if err := os.MkdirAll(filepath.Join(root, "plans"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range cm.Data {
		if err := os.WriteFile(filepath.Join(root, "plans", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	job := load(t, "job.yaml")
	n := *job.Spec.Completions
	c := job.Spec.Template.Spec.Containers[0]
	// run.sh's perfplan-start ConfigMap, with a shorter lead.
	start := map[string]string{
		"start-at": time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339),
		"run-id":   "20260102T150405Z",
	}
	podEnv := func(c container, index int) map[string]string {
		env := map[string]string{}
		for _, e := range c.Env {
			switch {
			case e.ValueFrom == nil:
				env[e.Name] = e.Value
			case e.ValueFrom.FieldRef != nil && strings.Contains(e.ValueFrom.FieldRef.FieldPath, "job-completion-index"):
				env[e.Name] = strconv.Itoa(index)
			case e.ValueFrom.ConfigMapKeyRef != nil:
				env[e.Name] = start[e.ValueFrom.ConfigMapKeyRef.Key]
			case e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Optional:
				// The optional Secret does not exist: no variable.
			default:
				t.Fatalf("env %s: no local value", e.Name)
			}
		}
		// The Job controller sets it on every pod of an Indexed Job too.
		if index >= 0 {
			env["JOB_COMPLETION_INDEX"] = strconv.Itoa(index)
		}
		return env
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := localPod(c, podEnv(c, i), root).run(ctx, bin)
			if code != 0 {
				t.Errorf("segment %d/%d exited %d\n%s%s", i, n, code, out, errOut)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	results := filepath.Join(root, "results", start["run-id"])
	docs, _ := filepath.Glob(filepath.Join(results, "segment-*.json"))
	if len(docs) != n {
		t.Fatalf("%d segment documents in %s, want %d", len(docs), results, n)
	}
	for _, f := range docs {
		d, err := report.ReadDocumentFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if seg := d.Plans[0].Segment; seg == nil || seg.Count != n {
			t.Errorf("%s: segment %v", f, seg)
		}
	}

	merge := load(t, "merge-job.yaml")
	mc := merge.Spec.Template.Spec.Containers[0]
	mp := localPod(mc, podEnv(mc, -1), root)
	code, out, errOut := mp.run(ctx, bin)
	if code != 0 || !strings.Contains(out, "merged verdict: PASS") {
		t.Fatalf("merge exited %d\n%s%s", code, out, errOut)
	}
	merged, err := report.ReadDocumentFile(filepath.Join(results, "merged", "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := merged.Plans[0]
	if p.Merged == nil || len(p.Merged.Segments) != n || !p.Passed || !merged.Passed || merged.ExitCode != 0 {
		t.Fatalf("merged plan: %+v, passed %v", p.Merged, p.Passed)
	}
	batch, steady := p.Scenarios[0], p.Scenarios[1]
	// A segment may miss its last arrival when its worker wakes for it
	// only after the schedule ended (a loaded machine).
	if got := steady.Total.Ops + steady.Dropped; batch.Total.Ops != 3000 || got > 3000 || got < 3000-int64(n) {
		t.Errorf("merged operations: batch %d, steady %d + %d dropped; want 3000 each (steady at least %d)", batch.Total.Ops, steady.Total.Ops, steady.Dropped, 3000-n)
	}
	if _, err := os.Stat(filepath.Join(results, "merged", "junit.xml")); err != nil {
		t.Error(err)
	}
	// Without the history Secret, the merged run goes to the SQLite
	// history on the results volume, from the working directory.
	store, err := history.Open(filepath.Join(mp.dir, history.DefaultPath))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if runs, err := store.Runs(ctx, "scale-out"); err != nil || len(runs) != 1 || !runs[0].Passed {
		t.Errorf("history: %v, %v", runs, err)
	}

	// Without one segment, the merge step fails and names it.
	if err := os.Remove(docs[n-1]); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = mp.run(ctx, bin)
	if want := fmt.Sprintf("missing segment %d of %d", n-1, n); code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("merge without segment %d: exit %d, want 2 and %q\n%s%s", n-1, code, want, out, errOut)
	}
}
