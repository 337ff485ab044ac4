package http

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perfplan/perfplan/targets"
)

// fastClient is the HTTP/1.1 client: one fasthttp.HostClient, whose pool
// every worker shares. Each worker owns a prepared request per op and one
// response, which fasthttp reuses with their buffers, so a request
// allocates nothing.
type fastClient struct {
	t  *target
	hc *fasthttp.HostClient
	// prefix is "scheme://host:port/basepath", which each request URI
	// starts with.
	prefix []byte
}

// fastReadBuffer is the per-connection read buffer, which bounds the size
// of a response's headers.
const fastReadBuffer = 16 << 10

func newFastClient(t *target) (*fastClient, error) {
	c := t.cfg
	var tc *tls.Config
	if c.https() {
		var err error
		if tc, err = c.tlsConfig(); err != nil {
			return nil, err
		}
		tc.NextProtos = []string{"http/1.1"}
	}
	hc := &fasthttp.HostClient{
		Addr: c.hostPort(),
		Name: "perfplan",
		// TLS is made here rather than by fasthttp (IsTLS stays false, and
		// request URIs say http://, which the wire never shows), so that
		// the connection fasthttp reads is the errConn above TLS: fasthttp
		// reports any failure of a response's first byte as end of file,
		// and errConn keeps the real one (a TLS alert, a reset).
		Dial: func(addr string) (net.Conn, error) {
			return fastDial(t, addr, tc)
		},
		MaxConns: t.maxConns(),
		// With max_connections, a worker that finds every connection busy
		// waits for one, within its request's timeout.
		MaxConnWaitTimeout:  c.RequestTimeout,
		MaxIdleConnDuration: 90 * time.Second,
		ReadBufferSize:      fastReadBuffer,
		WriteBufferSize:     fastReadBuffer,
		// No retry of fasthttp's own, which would also retry a TLS
		// failure: Do retries a connection the server had closed.
		MaxIdemponentCallAttempts:     1,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		NoDefaultUserAgentHeader:      true,
	}
	base := *c.BaseURL
	base.Scheme, base.RawQuery, base.Fragment = "http", "", ""
	return &fastClient{t: t, hc: hc, prefix: []byte(base.String())}, nil
}

// fastDial makes a connection for fasthttp: TCP (counted), TLS over it when
// tc is set (within connect_timeout), and an errConn on top.
func fastDial(t *target, addr string, tc *tls.Config) (net.Conn, error) {
	c, err := t.dial(context.Background(), addr)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		tlsc := tls.Client(c, tc)
		ctx, cancel := context.WithTimeout(context.Background(), t.cfg.ConnectTimeout)
		err := tlsc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = c.Close()
			return nil, &dialError{err: err}
		}
		c = tlsc
	}
	return newErrConn(c), nil
}

// errConn keeps a connection's first read or write error. fasthttp reads
// and writes a connection from the goroutine that sends the request, and
// closes a connection that failed, so the error belongs to that request.
// LocalAddr returns a *connAddr that leads back to the errConn:
// fasthttp.Response keeps it (ParseNetConn), so a worker finds the
// connection its request failed on.
type errConn struct {
	net.Conn
	err  error
	addr *connAddr
}

type connAddr struct {
	net.Addr
	c *errConn
}

func newErrConn(c net.Conn) *errConn {
	ec := &errConn{Conn: c}
	ec.addr = &connAddr{Addr: c.LocalAddr(), c: ec}
	return ec
}

func (c *errConn) LocalAddr() net.Addr { return c.addr }

func (c *errConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

func (c *errConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// realErr returns the error that the connection of resp met, when fasthttp
// reported err as an end of file.
func realErr(err error, resp *fasthttp.Response) error {
	if !errors.Is(err, fasthttp.ErrConnectionClosed) && !errors.Is(err, io.EOF) {
		return err
	}
	if a, ok := resp.LocalAddr().(*connAddr); ok && a.c.err != nil && a.c.err != io.EOF {
		return a.c.err
	}
	return err
}

func (fc *fastClient) close() { fc.hc.CloseIdleConnections() }

func (fc *fastClient) probe(context.Context) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	uri := append([]byte(nil), fc.prefix...)
	if fc.t.cfg.BaseURL.Path == "" {
		uri = append(uri, '/')
	}
	req.SetRequestURIBytes(uri)
	req.Header.SetMethod("GET")
	fc.setHeaders(req, nil)
	if err := fc.hc.DoTimeout(req, resp, fc.t.cfg.RequestTimeout); err != nil {
		return classify(realErr(err, resp), fc.t.cfg, fc.t.cfg.RequestTimeout)
	}
	return nil
}

// setHeaders sets the op's headers (the target's and its own) and the
// connection's.
func (fc *fastClient) setHeaders(req *fasthttp.Request, op map[string]string) {
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	for _, h := range mergeHeaders(fc.t.cfg.Headers, op) {
		req.Header.Set(h[0], h[1])
	}
	if !fc.t.cfg.KeepAlive {
		req.SetConnectionClose()
	}
}

// fastOp is a worker's prepared request for one op.
type fastOp struct {
	cfg     *OpConfig
	req     *fasthttp.Request
	path    tmpl
	body    tmpl
	dynPath bool // the path has fields: set the URI per request
	dynBody bool // the body has fields
	// idempotent: a request that failed on a connection the server had
	// closed may be sent again.
	idempotent bool
}

type fastWorker struct {
	fc   *fastClient
	id   int
	c    *counters
	ops  []fastOp
	resp *fasthttp.Response
	uri  []byte
	body []byte
}

func (fc *fastClient) newWorker(id int, c *counters, _ *phaseRec) (targets.Worker, error) {
	w := &fastWorker{fc: fc, id: id, c: c, resp: &fasthttp.Response{}}
	w.resp.Header.DisableNormalizing()
	rng := rand.New(rand.NewChaCha8(seed(id)))
	for i := range fc.t.cfg.Ops {
		oc := &fc.t.cfg.Ops[i]
		op := fastOp{cfg: oc, req: &fasthttp.Request{}, path: compile(oc.Path), body: compile(oc.Body),
			idempotent: oc.Method != "POST" && oc.Method != "PATCH"}
		op.req.Header.SetMethod(oc.Method)
		fc.setHeaders(op.req, oc.Headers)
		op.dynPath = !op.path.literal()
		if !op.dynPath {
			op.req.SetRequestURIBytes(op.path.appendTo(append([]byte(nil), fc.prefix...), 0, id, nil))
		}
		switch {
		case oc.BodySize > 0:
			op.req.SetBodyRaw(randomBytes(rng, oc.BodySize))
		case oc.HasBody && !op.body.literal():
			op.dynBody = true
		case oc.HasBody:
			op.req.SetBodyRaw(op.body.appendTo(nil, 0, id, nil))
		}
		w.ops = append(w.ops, op)
	}
	return w, nil
}

// Do sends the op's request and reads its response to the end. A request
// in flight is not cut short when ctx is cancelled (fasthttp has no
// context): it ends with its response or at its timeout.
func (w *fastWorker) Do(ctx context.Context, r *targets.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &w.ops[r.Op]
	req := op.req
	if op.dynPath {
		w.uri = op.path.appendTo(append(w.uri[:0], w.fc.prefix...), r.Key, w.id, r.Value)
		req.SetRequestURIBytes(w.uri)
	}
	if op.dynBody {
		w.body = op.body.appendTo(w.body[:0], r.Key, w.id, r.Value)
		req.SetBodyRaw(w.body)
	}
	w.c.requests.Add(1)
	deadline := time.Now().Add(op.cfg.Timeout)
	err := w.fc.hc.DoDeadline(req, w.resp, deadline)
	if err != nil {
		err = realErr(err, w.resp)
		if op.idempotent && staleConn(err) && ctx.Err() == nil {
			// The server closed a kept-alive connection: once more, as
			// net/http and browsers do.
			if err = w.fc.hc.DoDeadline(req, w.resp, deadline); err != nil {
				err = realErr(err, w.resp)
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.c.fail(classify(err, w.fc.t.cfg, op.cfg.Timeout))
	}
	code := w.resp.StatusCode()
	w.c.status(code)
	if !op.cfg.Success.Has(code) {
		w.c.errs[ClassStatus].Add(1)
		return w.fc.t.statusErr(code)
	}
	return nil
}

// staleConn reports whether err is a connection that the server had
// closed or reset, before any response.
func staleConn(err error) bool {
	return errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// seed returns a worker's random seed.
func seed(id int) [32]byte {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(uint64(id) >> (8 * i))
	}
	copy(s[8:], "perfplan http body")
	return s
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
