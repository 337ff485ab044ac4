package http

import (
	"bytes"
	"context"
	nethttp "net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/targets"
)

func TestPprofURLConfig(t *testing.T) {
	t.Parallel()
	k := Kind()
	for _, tc := range []struct {
		attrs map[string]any
		want  string // "" when valid
	}{
		{map[string]any{"pprof_url": "http://127.0.0.1:6060/debug/pprof"}, ""},
		{map[string]any{"pprof_url": "http://localhost:6060/debug/pprof/"}, ""},
		{map[string]any{"pprof_url": "http://[::1]:6060/debug/pprof"}, ""},
		{map[string]any{"pprof_url": "http://10.1.2.3:6060/debug/pprof"}, `pprof_url: host "10.1.2.3" is not a loopback address; list it in pprof_hosts`},
		{map[string]any{"pprof_url": "http://svc.internal:6060/debug/pprof", "pprof_hosts": []string{"svc.internal"}}, ""},
		{map[string]any{"pprof_url": "http://svc.internal:6060/debug/pprof", "pprof_hosts": []string{"other"}}, `pprof_url: host "svc.internal" is not a loopback address`},
		{map[string]any{"pprof_hosts": []string{"svc.internal"}}, "pprof_hosts: applies with pprof_url only"},
		{map[string]any{"pprof_url": "127.0.0.1:6060"}, "pprof_url: must start with http:// or https://"},
		{map[string]any{"pprof_url": "http://127.0.0.1:6060/debug/pprof?seconds=5"}, "pprof_url: must not hold a query"},
	} {
		tc.attrs["base_url"] = "http://127.0.0.1:8080"
		got := attrErrors(k.Validate(targets.Config{Attrs: tc.attrs}))
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%v: errors %q, want %q", tc.attrs, got, tc.want)
		}
	}
}

// serverWork is the system under test's work in TestPprofURL.
//
//go:noinline
func serverWork(stop *atomic.Bool) uint64 {
	x := uint64(1)
	for !stop.Load() {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// TestPprofURL profiles a Go test server that serves net/http/pprof (in
// this process, so its profile holds this test's serverWork) over a span
// of about a second and a half: the profile fetched is a valid pprof
// profile of one-second profiles merged, and it holds the server's work.
// A pprof_url that answers 404 gives an error and no profile. It starts
// CPU profiles in this process, so it does not run in parallel.
func TestPprofURL(t *testing.T) {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/{$}", func(w nethttp.ResponseWriter, _ *nethttp.Request) {})
	mux.HandleFunc("/empty/profile", func(w nethttp.ResponseWriter, _ *nethttp.Request) {})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tg := mustOpen(t, map[string]any{"base_url": srv.URL, "probe": false, "pprof_url": srv.URL + "/debug/pprof/"})
	var stopWork atomic.Bool
	done := make(chan uint64)
	go func() { done <- serverWork(&stopWork) }()
	stop := tg.StartProfile(context.Background())
	if stop == nil {
		t.Fatal("no profile started with pprof_url set")
	}
	time.Sleep(1500 * time.Millisecond)
	data, src, err := stop()
	stopWork.Store(true)
	<-done
	if err != nil {
		t.Fatalf("profile from %s: %v", src, err)
	}
	if want := srv.URL + "/debug/pprof/profile"; src != want {
		t.Errorf("source %q, want %q", src, want)
	}
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if p.DurationNanos < int64(2*time.Second) {
		t.Errorf("profile covers %v, want the two one-second profiles that cover the span", time.Duration(p.DurationNanos))
	}
	found := false
	for _, s := range p.Sample {
		for _, l := range s.Location {
			for _, ln := range l.Line {
				found = found || strings.HasSuffix(ln.Function.Name, ".serverWork")
			}
		}
	}
	if !found {
		t.Errorf("the server's work (serverWork) is not in its profile (%d samples)", len(p.Sample))
	}

	// A target without pprof_url has nothing to give.
	if plain := mustOpen(t, map[string]any{"base_url": srv.URL, "probe": false}); plain.StartProfile(context.Background()) != nil {
		t.Error("a target without pprof_url started a profile")
	}
	// An endpoint that is not there: an error, no profile.
	bad := mustOpen(t, map[string]any{"base_url": srv.URL, "probe": false, "pprof_url": srv.URL + "/nothing"})
	stop = bad.StartProfile(context.Background())
	time.Sleep(50 * time.Millisecond)
	data, _, err = stop()
	if err == nil || data != nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("404 endpoint: data %d bytes, error %v; want no data and a status 404 error", len(data), err)
	}
	// An endpoint that answers something else than a profile.
	stop = mustOpen(t, map[string]any{"base_url": srv.URL, "probe": false, "pprof_url": srv.URL + "/empty"}).StartProfile(context.Background())
	time.Sleep(50 * time.Millisecond)
	if data, _, err = stop(); err == nil || data != nil || !strings.Contains(err.Error(), "not a pprof profile") {
		t.Errorf("empty answer: data %d bytes, error %v; want no data and a not-a-profile error", len(data), err)
	}
}
