package http

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/perfplan/perfplan/targets"
)

// fastClient is the HTTP/1.1 client: one fasthttp.HostClient, whose pool
// every worker shares. Each worker owns a prepared request per op and one
// response, which fasthttp reuses with their buffers, so a request
// allocates nothing. The client makes its own round trips on the
// HostClient's connections (roundTrip): it writes the request and reads
// the response's headers with fasthttp, then reads the body as it comes,
// discarding it, up to max_body, so that no body is held in memory
// whatever its length (fasthttp buffers whole bodies, and its streaming
// mode allocates per request).
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
// tc is set (within connect_timeout), and an errConn on top; a plain TCP
// connection gets an idlePeeker.
func fastDial(t *target, addr string, tc *tls.Config) (net.Conn, error) {
	c, err := t.dial(context.Background(), addr, nil)
	if err != nil {
		return nil, err
	}
	if tc == nil {
		ec := newErrConn(c)
		ec.peeker = newIdlePeeker(c)
		return ec, nil
	}
	tlsc := tls.Client(c, tc)
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.ConnectTimeout)
	err = tlsc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		_ = c.Close()
		return nil, &dialError{err: err}
	}
	return newErrConn(tlsc), nil
}

// errConn keeps a connection's first read or write error. A connection is
// read and written from the goroutine that sends the request, and closed
// when it failed, so the error belongs to that request.
type errConn struct {
	net.Conn
	err error
	// served counts the complete responses read from the connection: a
	// connection that failed before any is not a stale kept-alive one.
	served atomic.Int64
	// peeker, on a plain TCP connection, tells whether the server closed
	// it while it was idle.
	peeker *idlePeeker
}

func newErrConn(c net.Conn) *errConn { return &errConn{Conn: c} }

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

func (fc *fastClient) close() { fc.hc.CloseIdleConnections() }

// probe sends GET base_url and reads its body to max_body, within
// request_timeout. The request goes on in its own goroutine, and probe
// returns at once when ctx is cancelled (the request ends at its
// deadline).
func (fc *fastClient) probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fc.probeRequest() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (fc *fastClient) probeRequest() error {
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
	timeout := fc.t.cfg.RequestTimeout
	// A body longer than max_body is an answer: the probe passes.
	if _, err := fc.roundTrip(req, resp, make([]byte, 16<<10), time.Now().Add(timeout)); err != nil && !errors.Is(err, errBodyTooLarge) {
		return classify(err, fc.t.cfg, timeout)
	}
	return nil
}

// maxInterim bounds the interim (1xx) responses before a response.
const maxInterim = 10

// roundTrip sends req on one of the HostClient's connections, within
// deadline, and reads the response: its headers into resp, its body into
// buf (discarded) up to max_body. reused reports whether the connection
// had served a complete response before: a kept-alive one.
func (fc *fastClient) roundTrip(req *fasthttp.Request, resp *fasthttp.Response, buf []byte, deadline time.Time) (reused bool, err error) {
	resp.Reset()
	resp.Header.DisableNormalizing()
	timeout := time.Until(deadline)
	if timeout <= 0 {
		return false, fasthttp.ErrTimeout
	}
	cc, err := fc.hc.AcquireConn(timeout, req.ConnectionClose())
	if err != nil {
		return false, err
	}
	conn := cc.Conn()
	ec, _ := conn.(*errConn)
	reused = ec != nil && ec.served.Load() > 0
	if err := conn.SetDeadline(deadline); err != nil {
		fc.hc.CloseConn(cc)
		return reused, err
	}
	// An idle connection the server has closed is dropped before anything
	// is sent on it (each drop leaves one fewer in the pool).
	for reused && ec.peeker.stale() {
		fc.hc.CloseConn(cc)
		if cc, err = fc.hc.AcquireConn(time.Until(deadline), req.ConnectionClose()); err != nil {
			return false, err
		}
		conn = cc.Conn()
		ec, _ = conn.(*errConn)
		reused = ec != nil && ec.served.Load() > 0
		if err := conn.SetDeadline(deadline); err != nil {
			fc.hc.CloseConn(cc)
			return reused, err
		}
	}
	req.URI().DisablePathNormalizing = true
	bw := fc.hc.AcquireWriter(conn)
	err = req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	fc.hc.ReleaseWriter(bw)
	if err != nil {
		fc.hc.CloseConn(cc)
		return reused, connErr(err, ec)
	}
	br := fc.hc.AcquireReader(conn)
	keep, err := fc.readResponse(br, req, resp, buf)
	fc.hc.ReleaseReader(br)
	if err == nil && ec != nil {
		// Counted before the connection goes back to the pool: another
		// worker may take it at once, and must see it as kept-alive (a
		// failure there may be retried).
		ec.served.Add(1)
	}
	if err != nil || !keep {
		fc.hc.CloseConn(cc)
	} else {
		fc.hc.ReleaseConn(cc)
	}
	if err != nil {
		return reused, connErr(err, ec)
	}
	return reused, nil
}

// connErr returns the error that the connection met, when fasthttp
// reported err as an end of file.
func connErr(err error, ec *errConn) error {
	if ec != nil && ec.err != nil && ec.err != io.EOF && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, fasthttp.ErrConnectionClosed)) {
		return ec.err
	}
	return err
}

// readResponse reads a response from br: its headers into resp (after any
// interim ones) and its body, discarded. keep reports whether the
// connection may serve another request.
func (fc *fastClient) readResponse(br *bufio.Reader, req *fasthttp.Request, resp *fasthttp.Response, buf []byte) (keep bool, err error) {
	for n := 0; ; n++ {
		if err := resp.Header.Read(br); err != nil {
			if err == io.EOF {
				err = fasthttp.ErrConnectionClosed
			}
			return false, err
		}
		code := resp.Header.StatusCode()
		if code >= 200 || code == fasthttp.StatusSwitchingProtocols {
			break
		}
		if n >= maxInterim {
			return false, errors.New("more than 10 interim (1xx) responses")
		}
	}
	code := resp.Header.StatusCode()
	keep = !req.Header.ConnectionClose() && !resp.Header.ConnectionClose() && resp.Header.IsHTTP11()
	if req.Header.IsHead() || code == fasthttp.StatusNoContent || code == fasthttp.StatusNotModified {
		return keep, nil
	}
	if code == fasthttp.StatusSwitchingProtocols {
		return false, nil
	}
	limit := fc.t.cfg.MaxBody
	switch cl := resp.Header.ContentLength(); {
	case cl >= 0:
		if int64(cl) > limit {
			return false, errBodyTooLarge
		}
		if _, err := br.Discard(cl); err != nil {
			return false, unexpectedEOF(err)
		}
		return keep, nil
	case cl == -1:
		if err := discardChunked(br, limit); err != nil {
			return false, unexpectedEOF(err)
		}
		return keep, nil
	default:
		// No length: the body ends when the server closes the connection.
		return false, drainBody(br, buf, limit)
	}
}

// unexpectedEOF turns an end of file within a body into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// errBadChunk is a malformed chunked body.
var errBadChunk = errors.New("malformed chunked response body")

// discardChunked reads a chunked body (RFC 9112, section 7.1) from br,
// with its trailers, discarding it, and returns errBodyTooLarge as soon as
// its chunks announce more than limit bytes.
func discardChunked(br *bufio.Reader, limit int64) error {
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				return errBadChunk
			}
			return err
		}
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			break
		}
		if total += size; total > limit {
			return errBodyTooLarge
		}
		if _, err := br.Discard(int(size)); err != nil {
			return err
		}
		line, err = br.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				return errBadChunk
			}
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) != 0 {
			return errBadChunk
		}
	}
	// Trailers, to the empty line.
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				return errBadChunk
			}
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// chunkSize parses a chunk-size line: hexadecimal digits, then optional
// extensions after ";". A size past 2^40 is reported as too large.
func chunkSize(line []byte) (int64, error) {
	var n int64
	digits := 0
	for _, b := range line {
		var d byte
		switch {
		case b >= '0' && b <= '9':
			d = b - '0'
		case b >= 'a' && b <= 'f':
			d = b - 'a' + 10
		case b >= 'A' && b <= 'F':
			d = b - 'A' + 10
		case b == ';' || b == ' ' || b == '\t' || b == '\r' || b == '\n':
			if digits == 0 {
				return 0, errBadChunk
			}
			return n, nil
		default:
			return 0, errBadChunk
		}
		if n > 1<<40 {
			return 0, errBodyTooLarge
		}
		n = n<<4 | int64(d)
		digits++
	}
	return 0, errBadChunk
}

// setHeaders sets the op's headers (the target's and its own) and the
// connection's.
func (fc *fastClient) setHeaders(req *fasthttp.Request, op map[string]string) {
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	req.Header.SetUserAgent("perfplan")
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
	// buf receives response bodies, which are discarded.
	buf []byte
}

func (fc *fastClient) newWorker(id int, c *counters, _ *phaseRec) (targets.Worker, error) {
	w := &fastWorker{fc: fc, id: id, c: c, resp: &fasthttp.Response{}, buf: make([]byte, 32<<10)}
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
		var static []byte
		if static, op.dynBody = opBody(oc, &op.body, rng, id); static != nil {
			op.req.SetBodyRaw(static)
		}
		w.ops = append(w.ops, op)
	}
	return w, nil
}

// Do sends the op's request and reads its response to the end, or its
// body to max_body. A request in flight is not cut short when ctx is
// cancelled (fasthttp has no context): it ends with its response or at its
// timeout, which bounds the body too.
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
	if err := w.send(ctx, op, deadline); err != nil {
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

// maxStaleRetries bounds the retries of a request on kept-alive
// connections that the server had closed: each retry drops one such
// connection from the pool, so they end soon, with a fresh connection.
const maxStaleRetries = 64

// send makes the op's round trip. A request that failed on a kept-alive
// connection the server had closed, where it may be sent again (an
// idempotent method), is sent again, as net/http and browsers do; a
// failure on a fresh connection is the server's.
func (w *fastWorker) send(ctx context.Context, op *fastOp, deadline time.Time) error {
	for i := 0; ; i++ {
		reused, err := w.fc.roundTrip(op.req, w.resp, w.buf, deadline)
		if err == nil || !op.idempotent || !reused || !staleConn(err) || ctx.Err() != nil ||
			i >= maxStaleRetries || !time.Now().Before(deadline) {
			return err
		}
	}
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
