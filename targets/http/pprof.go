package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfplan/perfplan/targets"
)

// The pprof_url attribute: perfplan run --profile fetches CPU profiles of
// the system under test from a Go net/http/pprof endpoint.
const (
	// pprofChunk is the length of each profile fetched: the endpoint takes
	// whole seconds and cannot be stopped early (a request cancelled before
	// its end returns nothing), so a span is covered by one-second profiles
	// fetched back to back, merged when the scenario ends.
	pprofChunk = time.Second
	// pprofSlack bounds each fetch beyond its profile's length.
	pprofSlack = 10 * time.Second
	// pprofMaxBytes bounds a fetched profile.
	pprofMaxBytes = 64 << 20
)

var _ targets.Profiler = (*target)(nil)

// parsePprof checks pprof_url and pprof_hosts. pprof_url must be loopback
// (localhost, 127.0.0.0/8, ::1) unless its host is listed in pprof_hosts: a
// profile is fetched only from a host the plan names for it.
func (c *Config) parsePprof(cfg targets.Config) error {
	c.PprofHosts = cfg.Strings("pprof_hosts")
	s := cfg.String("pprof_url")
	if s == "" {
		if len(c.PprofHosts) > 0 {
			return targets.Errorf("pprof_hosts", "applies with pprof_url only")
		}
		return nil
	}
	u, err := parseBaseURL(s)
	if err != nil {
		return targets.Errorf("pprof_url", "%v", err)
	}
	if h := u.Hostname(); !loopbackHost(h) && !slices.Contains(c.PprofHosts, h) {
		return targets.Errorf("pprof_url", "host %q is not a loopback address; list it in pprof_hosts to fetch profiles from it", h)
	}
	c.PprofURL = u
	return nil
}

// loopbackHost reports whether host is localhost or a loopback IP.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// StartProfile implements targets.Profiler: with pprof_url set, it fetches
// one-second CPU profiles of the system under test back to back from
// PPROF_URL/profile until stop is called, then merges them. The merged
// profile covers the span from StartProfile to up to a second after stop
// was called, less the moments between fetches.
func (t *target) StartProfile(ctx context.Context) func() ([]byte, string, error) {
	if t.cfg.PprofURL == nil {
		return nil
	}
	src := t.cfg.PprofURL.String() + "/profile"
	u := *t.cfg.PprofURL
	u.Path += "/profile"
	u.RawQuery = url.Values{"seconds": {fmt.Sprint(int(pprofChunk / time.Second))}}.Encode()
	tr := nethttp.DefaultTransport.(*nethttp.Transport).Clone()
	if t.cfg.https() || u.Scheme == "https" {
		if tc, err := t.cfg.tlsConfig(); err == nil {
			tr.TLSClientConfig = tc
		}
	}
	client := &nethttp.Client{Transport: tr, Timeout: pprofChunk + pprofSlack}
	f := &pprofFetch{url: u.String(), client: client, done: make(chan struct{}), stopped: make(chan struct{})}
	go f.loop(ctx)
	return func() ([]byte, string, error) {
		close(f.stopped)
		<-f.done
		tr.CloseIdleConnections()
		data, err := f.result()
		return data, src, err
	}
}

// pprofFetch fetches profiles until stopped.
type pprofFetch struct {
	url     string
	client  *nethttp.Client
	stopped chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	chunks []*profile.Profile
	errs   []error
}

// loop fetches profiles back to back until stopped (it finishes the fetch
// in flight) or ctx ends.
func (f *pprofFetch) loop(ctx context.Context) {
	defer close(f.done)
	for {
		p, err := f.fetch(ctx)
		f.mu.Lock()
		if err != nil {
			f.errs = append(f.errs, err)
		} else {
			f.chunks = append(f.chunks, p)
		}
		f.mu.Unlock()
		select {
		case <-f.stopped:
			return
		case <-ctx.Done():
			return
		default:
		}
		if err != nil {
			// Do not hammer a failing endpoint: wait out a chunk.
			select {
			case <-f.stopped:
				return
			case <-ctx.Done():
				return
			case <-time.After(pprofChunk):
			}
		}
	}
}

// fetch gets one profile.
func (f *pprofFetch) fetch(ctx context.Context) (*profile.Profile, error) {
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, f.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, pprofMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if resp.StatusCode != nethttp.StatusOK {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	if len(body) > pprofMaxBytes {
		return nil, fmt.Errorf("profile larger than %d bytes", pprofMaxBytes)
	}
	p, err := profile.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("not a pprof profile: %w", err)
	}
	return p, nil
}

// result merges the profiles fetched. Failed fetches make an error that
// says how many; the profiles that were fetched are still returned.
func (f *pprofFetch) result() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ferr error
	if n := len(f.errs); n > 0 {
		ferr = fmt.Errorf("%d of %d fetches failed, the first: %w", n, n+len(f.chunks), f.errs[0])
	}
	if len(f.chunks) == 0 {
		if ferr == nil {
			ferr = errors.New("no profile fetched")
		}
		return nil, ferr
	}
	m, err := profile.Merge(f.chunks)
	if err != nil {
		return nil, errors.Join(ferr, fmt.Errorf("merge profiles: %w", err))
	}
	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		return nil, errors.Join(ferr, fmt.Errorf("write profile: %w", err))
	}
	return b.Bytes(), ferr
}
