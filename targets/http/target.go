package http

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// target is an opened http target: one client (fasthttp or net/http) whose
// connections are counted, and the workers' counters.
type target struct {
	cfg   *Config
	conns connTracker
	// client is set by Open.
	client client

	mu      sync.Mutex
	workers []*counters
	phases  []*phaseRec

	// probes counts the probe's requests, which open connections too.
	probes atomic.Int64

	// statusErrs caches one *Error per status code, so that a failing
	// status costs no allocation.
	statusErrs [500]atomic.Pointer[Error]
}

// client is the HTTP client behind a target.
type client interface {
	// newWorker returns worker id's handle, which counts into c.
	newWorker(id int, c *counters, ph *phaseRec) (targets.Worker, error)
	// probe sends GET base_url and returns a connection failure, if any.
	probe(ctx context.Context) error
	close()
}

func newTarget(c *Config) *target {
	return &target{cfg: c}
}

// Open builds the client and, unless probe = false, sends GET base_url:
// any response passes, a connection failure fails Open.
func (t *target) Open(ctx context.Context) error {
	var err error
	switch t.cfg.Client {
	case ClientFastHTTP:
		t.client, err = newFastClient(t)
	case ClientH2:
		t.client, err = newH2Client(t)
	default:
		t.client, err = newStdClient(t)
	}
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	if !t.cfg.Probe {
		return nil
	}
	t.probes.Add(1)
	if err := t.client.probe(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("http: probe GET %s: %w", t.cfg.BaseURL, ctx.Err())
		}
		return fmt.Errorf("http: probe GET %s: %w", t.probeURL(), err)
	}
	return nil
}

// probeURL is the URL the probe gets: base_url, or its root.
func (t *target) probeURL() string {
	u := *t.cfg.BaseURL
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// NewWorker returns worker id's handle.
func (t *target) NewWorker(id int) (targets.Worker, error) {
	if t.client == nil {
		return nil, errors.New("http: NewWorker before Open")
	}
	c := &counters{}
	var ph *phaseRec
	if t.cfg.PhaseTiming {
		ph = newPhaseRec()
	}
	t.mu.Lock()
	t.workers = append(t.workers, c)
	if ph != nil {
		t.phases = append(t.phases, ph)
	}
	t.mu.Unlock()
	return t.client.newWorker(id, c, ph)
}

// Close closes the client's connections.
func (t *target) Close() error {
	if t.client != nil {
		t.client.close()
	}
	return nil
}

// statusErr returns the (shared) error of status code.
func (t *target) statusErr(code int) error {
	if code < 100 || code >= 600 {
		return statusError(code)
	}
	p := &t.statusErrs[code-100]
	if e := p.Load(); e != nil {
		return e
	}
	e := statusError(code)
	p.Store(e)
	return e
}

// Stats sums the workers' counters and the connections' bytes.
func (t *target) Stats() map[string]float64 {
	var sum counters
	t.mu.Lock()
	workers := append([]*counters(nil), t.workers...)
	phases := append([]*phaseRec(nil), t.phases...)
	t.mu.Unlock()
	for _, w := range workers {
		sum.add(w)
	}
	sent, recv, opened := t.conns.totals()
	m := map[string]float64{
		statRequests:      float64(sum.requests.Load()),
		statResponses:     float64(sum.responses.Load()),
		statBytesSent:     float64(sent),
		statBytesReceived: float64(recv),
		statConnsOpened:   float64(opened),
	}
	reused := max(sum.requests.Load()+t.probes.Load()-opened, 0)
	m[statConnsReused] = float64(reused)
	m[statReuseRatio] = 0
	if reused+opened > 0 {
		m[statReuseRatio] = float64(reused) / float64(reused+opened)
	}
	for c := 1; c <= 5; c++ {
		m[statusPrefix+strconv.Itoa(c)+"xx"] = float64(sum.classes[c].Load())
	}
	for i := range sum.codes {
		if n := sum.codes[i].Load(); n > 0 {
			m[codeStat(100+i)] = float64(n)
		}
	}
	e := func(c Class) float64 { return float64(sum.errs[c].Load()) }
	m[statTimeouts] = e(ClassTimeout)
	m[statErrorsRefused] = e(ClassRefused)
	m[statErrorsReset] = e(ClassReset)
	m[statErrorsTLS] = e(ClassTLS)
	m[statErrorsStatus] = e(ClassStatus)
	m[statErrorsOther] = e(ClassOther)
	m[statErrorsBody] = e(ClassBody)
	m[statConnectionErrors] = e(ClassRefused) + e(ClassReset) + e(ClassTLS)
	if t.cfg.PhaseTiming {
		phaseStats(m, phases)
	}
	return m
}

// counters are one worker's request counts. Only the worker adds to them;
// Stats reads them at any time.
type counters struct {
	requests, responses atomic.Int64
	classes             [6]atomic.Int64   // by status class, 1 to 5
	codes               [500]atomic.Int64 // by status code, 100 to 599
	errs                [numClasses]atomic.Int64
}

func (c *counters) add(o *counters) {
	c.requests.Add(o.requests.Load())
	c.responses.Add(o.responses.Load())
	for i := range c.classes {
		c.classes[i].Add(o.classes[i].Load())
	}
	for i := range c.codes {
		c.codes[i].Add(o.codes[i].Load())
	}
	for i := range c.errs {
		c.errs[i].Add(o.errs[i].Load())
	}
}

// status counts a response of status code.
func (c *counters) status(code int) {
	c.responses.Add(1)
	if code >= 100 && code < 600 {
		c.classes[code/100].Add(1)
		c.codes[code-100].Add(1)
	}
}

// fail counts a failure and returns it as an error.
func (c *counters) fail(e *Error) error {
	c.errs[e.Class].Add(1)
	return e
}

// connTracker counts the connections a target opens and the bytes they
// carry.
type connTracker struct {
	opened atomic.Int64
	mu     sync.Mutex
	live   map[*countedConn]struct{}
	// sent and recv total the connections already closed.
	sent, recv int64
}

// track wraps a new connection so that its bytes are counted. onClose, if
// not nil, is called once, when the connection is first closed.
func (t *connTracker) track(c net.Conn, onClose func()) *countedConn {
	cc := &countedConn{Conn: c, tr: t, onClose: onClose, raw: newRawIO(c)}
	t.opened.Add(1)
	t.mu.Lock()
	if t.live == nil {
		t.live = make(map[*countedConn]struct{})
	}
	t.live[cc] = struct{}{}
	t.mu.Unlock()
	return cc
}

// totals returns the bytes sent and received and the connections opened.
func (t *connTracker) totals() (sent, recv, opened int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sent, recv = t.sent, t.recv
	for c := range t.live {
		sent += c.sent.Load()
		recv += c.recv.Load()
	}
	return sent, recv, t.opened.Load()
}

func (t *connTracker) closed(c *countedConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.live[c]; !ok {
		return
	}
	delete(t.live, c)
	t.sent += c.sent.Load()
	t.recv += c.recv.Load()
	if c.onClose != nil {
		c.onClose()
	}
}

// countedConn counts the bytes read and written through a connection.
type countedConn struct {
	net.Conn
	tr         *connTracker
	sent, recv atomic.Int64
	onClose    func()
	// raw, on a plain TCP connection on Linux, reads and writes with raw
	// system calls (see rawIO).
	raw *rawIO
}

func (c *countedConn) Read(p []byte) (n int, err error) {
	if c.raw != nil {
		n, err = c.raw.Read(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if n > 0 {
		c.recv.Add(int64(n))
	}
	return n, err
}

func (c *countedConn) Write(p []byte) (n int, err error) {
	if c.raw != nil {
		n, err = c.raw.Write(p)
	} else {
		n, err = c.Conn.Write(p)
	}
	if n > 0 {
		c.sent.Add(int64(n))
	}
	return n, err
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.tr.closed(c)
	return err
}

// dial makes a TCP connection to addr within connect_timeout and tracks
// it; onClose, if not nil, is called when it closes. Its errors are
// *dialError values.
func (t *target) dial(ctx context.Context, addr string, onClose func()) (*countedConn, error) {
	d := net.Dialer{Timeout: t.cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &dialError{err: err}
	}
	return t.conns.track(c, onClose), nil
}

// maxConns is the connection cap given to a client: max_connections, or
// no cap.
func (t *target) maxConns() int {
	if t.cfg.MaxConnections > 0 {
		return t.cfg.MaxConnections
	}
	return math.MaxInt32
}
