package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// stdClient is the net/http client, for HTTP/2 (ALPN over TLS, or h2c),
// phase timing, and HTTP/1.1 when the plan asks for it. Redirects are not
// followed: a 3xx is the response (requests go to the transport's
// RoundTrip, without an http.Client).
type stdClient struct {
	t  *target
	tr *nethttp.Transport
	// gate bounds the connections by the workers.
	gate *dialGate
	// base is the time origin of phase timings.
	base time.Time
	// certAsked is set when a server asked for a client certificate in a
	// TLS handshake and the target has none to give (see classify).
	certAsked atomic.Bool
}

func newStdClient(t *target) (*stdClient, error) {
	c := t.cfg
	sc := &stdClient{t: t, base: time.Now()}
	var tc *tls.Config
	if c.https() {
		var err error
		if tc, err = c.tlsConfig(); err != nil {
			return nil, err
		}
		if len(tc.Certificates) == 0 {
			// Go's default, no certificate, noted for classify.
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				sc.certAsked.Store(true)
				return &tls.Certificate{}, nil
			}
		}
	}
	sc.gate = newDialGate(c.MaxConnections)
	sc.tr = sc.newTransport(tc)
	return sc, nil
}

// newTransport returns the transport: its connections pass the gate and
// are counted, and those that may speak HTTP/2 batch their writes (see
// batchConn; over TLS with ALPN, a server that picks HTTP/1.1 gets them
// too, one request a batch).
func (sc *stdClient) newTransport(tc *tls.Config) *nethttp.Transport {
	c := sc.t.cfg
	batch := c.http2()
	tr := &nethttp.Transport{
		// Never a proxy from the environment: the plan names the server.
		Proxy: nil,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			if err := sc.gate.enter(ctx); err != nil {
				return nil, &dialError{err: err}
			}
			conn, err := sc.t.dial(ctx, addr, sc.gate.leave)
			if err != nil {
				sc.gate.leave()
				return nil, err
			}
			if batch {
				return newBatchConn(conn), nil
			}
			return conn, nil
		},
		TLSHandshakeTimeout: c.ConnectTimeout,
		MaxIdleConnsPerHost: sc.t.maxConns(),
		MaxConnsPerHost:     c.MaxConnections,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   !c.KeepAlive,
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		TLSClientConfig:     tc,
	}
	var p nethttp.Protocols
	switch c.Protocol {
	case ProtoHTTP1:
		p.SetHTTP1(true)
	case ProtoH2:
		p.SetHTTP2(true)
	case ProtoH2C:
		p.SetUnencryptedHTTP2(true)
	default:
		p.SetHTTP1(true)
		p.SetHTTP2(c.https())
	}
	tr.Protocols = &p
	return tr
}

// errNotEstablished is the message of net/http's HTTP/2 client when a new
// connection failed before the server's first frame: the request that was
// to be its first gets this error, not the cause (the connection's read
// error), which net/http does not keep.
const errNotEstablished = "http2: client conn could not be established"

// classify is the package's classify, with the cause of a failed HTTP/2
// connection restored where it is known: with TLS 1.3 a client learns that
// the server refused it for want of a certificate only from an alert after
// the handshake, and whether the request or the connection's reader sees
// that alert first is a race inside net/http.
func (sc *stdClient) classify(err error, timeout time.Duration) *Error {
	if sc.certAsked.Load() && strings.Contains(err.Error(), errNotEstablished) {
		return newError(ClassTLS, err, "the server asked for a client certificate and closed the connection before answering; the target has none (client_cert, client_key)")
	}
	return classify(err, sc.t.cfg, timeout)
}

func (sc *stdClient) close() {
	sc.gate.close()
	sc.tr.CloseIdleConnections()
}

func (sc *stdClient) probe(ctx context.Context) error {
	timeout := sc.t.cfg.RequestTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, "GET", sc.t.probeURL(), nil)
	if err != nil {
		return err
	}
	req.Header = header(mergeHeaders(sc.t.cfg.Headers, nil))
	resp, err := sc.tr.RoundTrip(req)
	if err != nil {
		return sc.classify(err, timeout)
	}
	// A body longer than max_body is an answer: the probe passes.
	err = sc.readBody(resp, make([]byte, 16<<10))
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctx.Err()
		}
		return sc.classify(err, timeout)
	}
	return nil
}

// readBody reads resp's body to its end, or to max_body, into buf, and
// closes it; a body longer than max_body is not read further.
func (sc *stdClient) readBody(resp *nethttp.Response, buf []byte) error {
	var err error
	if limit := sc.t.cfg.MaxBody; resp.ContentLength > limit {
		err = errBodyTooLarge
	} else {
		err = drainBody(resp.Body, buf, limit)
	}
	_ = resp.Body.Close()
	return err
}

// header returns the headers as net/http keeps them, canonical, so that
// its own (User-Agent) do not come twice.
func header(h [][2]string) nethttp.Header {
	out := make(nethttp.Header, len(h))
	for _, kv := range h {
		out[textproto.CanonicalMIMEHeaderKey(kv[0])] = []string{kv[1]}
	}
	return out
}

// stdOp is a worker's prepared op.
type stdOp struct {
	cfg        *OpConfig
	header     nethttp.Header
	path, body tmpl
	dynPath    bool
	dynBody    bool
	// req is the op's request without a context or a body; its URL is
	// the literal path's, or replaced per request.
	req        *nethttp.Request
	staticBody []byte
}

type stdWorker struct {
	sc  *stdClient
	id  int
	c   *counters
	ph  *phaseRec
	ops []stdOp
	uri []byte
	// body is the expanded body of an op with a body template.
	body []byte
	// buf receives response bodies, which are discarded.
	buf []byte

	trace *httptrace.ClientTrace
	// Phase timing marks (nanoseconds since sc.base): the trace's
	// callbacks run on net/http's goroutines.
	reqStart, connStart, tlsStart atomic.Int64
}

func (sc *stdClient) newWorker(id int, c *counters, ph *phaseRec) (targets.Worker, error) {
	sc.gate.addWorker()
	w := &stdWorker{sc: sc, id: id, c: c, ph: ph, buf: make([]byte, 32<<10)}
	rng := rand.New(rand.NewChaCha8(seed(id)))
	basePath := sc.t.cfg.BaseURL.EscapedPath()
	for i := range sc.t.cfg.Ops {
		oc := &sc.t.cfg.Ops[i]
		op := stdOp{cfg: oc, header: header(mergeHeaders(sc.t.cfg.Headers, oc.Headers)), path: compile(oc.Path), body: compile(oc.Body)}
		op.dynPath = !op.path.literal()
		uri := ""
		if !op.dynPath {
			uri = basePath + string(op.path.appendTo(nil, 0, id, nil))
		}
		cfg := sc.t.cfg
		op.req = &nethttp.Request{
			Method:     oc.Method,
			URL:        &url.URL{Scheme: cfg.BaseURL.Scheme, Host: cfg.BaseURL.Host, Opaque: uri},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     op.header,
			Host:       cfg.BaseURL.Host,
		}
		op.staticBody, op.dynBody = opBody(oc, &op.body, rng, id)
		w.ops = append(w.ops, op)
	}
	if ph != nil {
		w.trace = w.newTrace()
	}
	return w, nil
}

func (w *stdWorker) now() int64 { return int64(time.Since(w.sc.base)) }

// newTrace returns the worker's phase-timing trace.
func (w *stdWorker) newTrace() *httptrace.ClientTrace {
	since := func(mark *atomic.Int64) time.Duration { return time.Duration(w.now() - mark.Load()) }
	return &httptrace.ClientTrace{
		ConnectStart: func(string, string) { w.connStart.Store(w.now()) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				w.ph.record(phaseConnect, since(&w.connStart))
			}
		},
		TLSHandshakeStart: func() { w.tlsStart.Store(w.now()) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				w.ph.record(phaseTLS, since(&w.tlsStart))
			}
		},
		GotFirstResponseByte: func() { w.ph.record(phaseTTFB, since(&w.reqStart)) },
	}
}

// Do sends the op's request and reads its response to the end, or its
// body to max_body, within the op's timeout.
func (w *stdWorker) Do(ctx context.Context, r *targets.Request) error {
	op := &w.ops[r.Op]
	rctx, cancel := context.WithTimeout(ctx, op.cfg.Timeout)
	defer cancel()
	if w.trace != nil {
		rctx = httptrace.WithClientTrace(rctx, w.trace)
	}
	// WithContext copies the op's request, so that each request is a new
	// value, as RoundTrip requires, at one allocation.
	req := op.req.WithContext(rctx)
	if op.dynPath {
		cfg := w.sc.t.cfg
		w.uri = op.path.appendTo(append(w.uri[:0], cfg.BaseURL.EscapedPath()...), r.Key, w.id, r.Value)
		req.URL = &url.URL{Scheme: cfg.BaseURL.Scheme, Host: cfg.BaseURL.Host, Opaque: string(w.uri)}
	}
	if op.cfg.HasBody {
		body := op.staticBody
		if op.dynBody {
			w.body = op.body.appendTo(w.body[:0], r.Key, w.id, r.Value)
			body = w.body
		}
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if len(body) == 0 {
			req.Body = nethttp.NoBody
		}
	}
	w.c.requests.Add(1)
	if w.trace != nil {
		w.reqStart.Store(w.now())
	}
	resp, err := w.sc.tr.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.c.fail(w.sc.classify(err, op.cfg.Timeout))
	}
	if err := w.sc.readBody(resp, w.buf); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.c.fail(w.sc.classify(err, op.cfg.Timeout))
	}
	// Counted once the body is read, as the fasthttp client does: a
	// request is a response or a failure, never both.
	w.c.status(resp.StatusCode)
	if !op.cfg.Success.Has(resp.StatusCode) {
		w.c.errs[ClassStatus].Add(1)
		return w.sc.t.statusErr(resp.StatusCode)
	}
	return nil
}
