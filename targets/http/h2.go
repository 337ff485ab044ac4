package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/http2/hpack"

	"github.com/perfplan/perfplan/targets"
)

// h2Client is perfplan's own HTTP/2 client (client = "h2", the default
// for protocol = "h2" and "h2c"), on golang.org/x/net/http2's Framer and
// hpack coder. Each worker owns a stream (h2Stream) and the header block
// of each op, built once when the op's path and body are static (HPACK
// literals that are never indexed, so the bytes do not depend on the
// connection), so a request allocates nothing; its frames go out batched
// with the other workers' (batchConn). One reader goroutine per connection
// decodes the responses and hands each to its worker through the stream's
// channel. Connections: one, until the workers exceed the server's
// SETTINGS_MAX_CONCURRENT_STREAMS (then more, bounded by the workers and
// max_connections, as the net/http client's are, through the dial gate).
type h2Client struct {
	t  *target
	tc *tls.Config // nil for h2c
	// gate bounds the connections by the workers and max_connections.
	gate *dialGate
	// maxStreamID is the last stream ID a connection opens (h2MaxStreamID;
	// lower in tests).
	maxStreamID uint32
	// certAsked is set when a server asked for a client certificate in a
	// TLS handshake and the target has none to give.
	certAsked atomic.Bool

	// cur is the connection that took the last stream, tried first.
	cur atomic.Pointer[h2Conn]
	// waiters counts the requests waiting for a stream, which a stream's
	// end wakes (changed).
	waiters atomic.Int32

	mu      sync.Mutex
	conns   []*h2Conn
	dial    *h2Dial // the dial under way, or nil
	changed chan struct{}
	closed  bool
}

// h2Dial is a connection being made; err is set when done is closed.
type h2Dial struct {
	done chan struct{}
	err  error
}

// maxH2Retries bounds the times a request is sent again (h2Retry).
const maxH2Retries = 8

func newH2Client(t *target) (*h2Client, error) {
	c := t.cfg
	hc := &h2Client{t: t, gate: newDialGate(c.MaxConnections), maxStreamID: h2MaxStreamID, changed: make(chan struct{})}
	if c.https() {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		tc.NextProtos = []string{"h2"}
		if len(tc.Certificates) == 0 {
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				hc.certAsked.Store(true)
				return &tls.Certificate{}, nil
			}
		}
		hc.tc = tc
	}
	return hc, nil
}

// newConn makes a connection: TCP (counted, through the gate, which the
// caller entered), TLS with ALPN "h2" over https, and HTTP/2's
// handshake, all within connect_timeout. Its errors are *dialError values
// or *Error values.
func (hc *h2Client) newConn() (*h2Conn, error) {
	cfg := hc.t.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ConnectTimeout)
	defer cancel()
	conn, err := hc.t.dial(ctx, cfg.hostPort(), hc.gate.leave)
	if err != nil {
		hc.gate.leave()
		return nil, err
	}
	var nc net.Conn = conn
	if hc.tc != nil {
		tlsc := tls.Client(conn, hc.tc)
		if err := tlsc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, &dialError{err: err}
		}
		if p := tlsc.ConnectionState().NegotiatedProtocol; p != "h2" {
			_ = tlsc.Close()
			if p == "" {
				p = "no protocol"
			}
			return nil, newError(ClassOther, nil, `the server chose %s by ALPN, not h2 (HTTP/2); protocol = "auto" or "http1" speaks HTTP/1.1 to it`, p)
		}
		nc = tlsc
	}
	cc := &h2Conn{c: hc, nc: nc, bc: newBatchConn(nc)}
	deadline, _ := ctx.Deadline()
	if err := cc.handshake(time.Until(deadline)); err != nil {
		_ = nc.Close()
		if hc.certAsked.Load() {
			if _, isTLS := tlsMessage(err); !isTLS {
				return nil, newError(ClassTLS, err, "the server asked for a client certificate and closed the connection before answering; the target has none (client_cert, client_key)")
			}
		}
		return nil, &dialError{err: err}
	}
	return cc, nil
}

// dialConn makes a connection for the waiting requests, and ends d.
func (hc *h2Client) dialConn(d *h2Dial) {
	cc, err := hc.newConn()
	hc.mu.Lock()
	hc.dial = nil
	if err == nil {
		if hc.closed {
			_ = cc.nc.Close()
		} else {
			hc.conns = append(hc.conns, cc)
		}
	}
	d.err = err
	close(d.done)
	hc.notifyLocked()
	hc.mu.Unlock()
}

// start opens st on a connection that has a free stream, making one when
// none has and the gate lets it, or waiting for a stream to end, within
// st's timer and ctx.
func (hc *h2Client) start(ctx context.Context, st *h2Stream) (*h2Conn, error) {
	if cc := hc.cur.Load(); cc != nil && cc.start(st) {
		return cc, nil
	}
	for {
		hc.mu.Lock()
		if hc.closed {
			hc.mu.Unlock()
			return nil, &dialError{err: errGateClosed}
		}
		// Counted before the connections are tried: a stream that ends
		// after this wakes the wait below.
		hc.waiters.Add(1)
		for _, cc := range hc.conns {
			if cc.start(st) {
				hc.waiters.Add(-1)
				hc.cur.Store(cc)
				hc.mu.Unlock()
				return cc, nil
			}
		}
		d := hc.dial
		if d == nil && hc.gate.tryEnter() {
			d = &h2Dial{done: make(chan struct{})}
			hc.dial = d
			go hc.dialConn(d)
		}
		changed := hc.changed
		hc.mu.Unlock()
		var dialed chan struct{}
		if d != nil {
			dialed = d.done
		}
		var err error
		select {
		case <-changed:
		case <-dialed:
			err = d.err
		case <-st.timer.C:
			err = context.DeadlineExceeded
		case <-ctx.Done():
			err = ctx.Err()
		}
		hc.waiters.Add(-1)
		if err != nil {
			return nil, err
		}
	}
}

// freed wakes the requests waiting for a stream, if any.
func (hc *h2Client) freed() {
	if hc.waiters.Load() > 0 {
		hc.mu.Lock()
		hc.notifyLocked()
		hc.mu.Unlock()
	}
}

func (hc *h2Client) notifyLocked() {
	close(hc.changed)
	hc.changed = make(chan struct{})
}

// remove forgets a connection that failed or closed.
func (hc *h2Client) remove(cc *h2Conn) {
	hc.mu.Lock()
	for i, c := range hc.conns {
		if c == cc {
			hc.conns = append(hc.conns[:i], hc.conns[i+1:]...)
			break
		}
	}
	hc.cur.CompareAndSwap(cc, nil)
	hc.notifyLocked()
	hc.mu.Unlock()
}

func (hc *h2Client) close() {
	hc.mu.Lock()
	hc.closed = true
	conns := append([]*h2Conn(nil), hc.conns...)
	hc.notifyLocked()
	hc.mu.Unlock()
	for _, cc := range conns {
		_ = cc.nc.Close()
	}
	hc.gate.close()
}

// roundTrip sends a request (its header block and body) on st and waits
// for its response, within timeout and ctx, and returns its status. A
// request that the server did not process (h2Retry) is sent again.
func (hc *h2Client) roundTrip(ctx context.Context, st *h2Stream, block, body []byte, hasBody, idempotent bool, timeout time.Duration) (int, error) {
	st.timer.Reset(timeout)
	defer st.timer.Stop()
	st.idempotent = idempotent
	for attempt := 0; ; attempt++ {
		st.block, st.pending, st.hasBody = block, body, hasBody
		cc, err := hc.start(ctx, st)
		if err != nil {
			return 0, err
		}
		select {
		case <-st.done:
		case <-st.timer.C:
			cc.cancel(st)
			return 0, context.DeadlineExceeded
		case <-ctx.Done():
			cc.cancel(st)
			return 0, ctx.Err()
		}
		err = st.err
		if r, ok := err.(*h2Retry); ok {
			if attempt < maxH2Retries {
				continue
			}
			err = r.err
		}
		return st.status, err
	}
}

// probe sends GET base_url and reads its body to max_body, within
// request_timeout.
func (hc *h2Client) probe(ctx context.Context) error {
	cfg := hc.t.cfg
	path := cfg.BaseURL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	pre, post := hc.blockParts(enc, &buf, "GET", mergeHeaders(cfg.Headers, nil))
	block := append(append(pre, hc.encode(enc, &buf, ":path", []byte(path))...), post...)
	st := newH2Stream(cfg.MaxBody)
	_, err := hc.roundTrip(ctx, st, block, nil, false, true, cfg.RequestTimeout)
	// A body longer than max_body is an answer: the probe passes.
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return classify(err, cfg, cfg.RequestTimeout)
	}
	return nil
}

// encode returns a header field's HPACK coding, a literal never indexed
// (so that it does not depend on, nor change, the connection's table),
// or the static table's index of a field it holds; buf is enc's output.
func (hc *h2Client) encode(enc *hpack.Encoder, buf *bytes.Buffer, name string, value []byte) []byte {
	buf.Reset()
	// The field's value is not kept: a field never indexed is not added
	// to the encoder's table.
	v := unsafe.String(unsafe.SliceData(value), len(value))
	_ = enc.WriteField(hpack.HeaderField{Name: name, Value: v, Sensitive: true})
	return buf.Bytes()
}

// h2Hop reports whether a header (its name in lower case) is
// connection-specific, which HTTP/2 does not carry: TE is sent only as
// "trailers".
func h2Hop(name, value string) bool {
	switch name {
	case "keep-alive", "proxy-connection", "upgrade":
		return true
	case "te":
		return value != "trailers"
	}
	return false
}

// blockParts returns the pieces of a request's header block before its
// :path (the pseudo-headers :method, :scheme and :authority) and after it
// (the headers, their names in lower case).
func (hc *h2Client) blockParts(enc *hpack.Encoder, buf *bytes.Buffer, method string, headers [][2]string) (pre, post []byte) {
	cfg := hc.t.cfg
	pre = append(pre, hc.encode(enc, buf, ":method", []byte(method))...)
	pre = append(pre, hc.encode(enc, buf, ":scheme", []byte(cfg.BaseURL.Scheme))...)
	pre = append(pre, hc.encode(enc, buf, ":authority", []byte(cfg.BaseURL.Host))...)
	post = []byte{}
	for _, h := range headers {
		name := strings.ToLower(h[0])
		if h2Hop(name, h[1]) {
			continue
		}
		post = append(post, hc.encode(enc, buf, name, []byte(h[1]))...)
	}
	return pre, post
}

// h2Op is a worker's prepared op.
type h2Op struct {
	cfg              *OpConfig
	path, body       tmpl
	dynPath, dynBody bool
	// pre and post are the header block's pieces around :path; block is
	// the whole block of a request whose path and body are static.
	pre, post, block []byte
	staticBody       []byte
	idempotent       bool
}

type h2Worker struct {
	hc  *h2Client
	id  int
	c   *counters
	ops []h2Op
	st  *h2Stream
	// enc codes the fields that vary per request into hbuf; block, path,
	// uri, body and numBuf are their buffers.
	enc    *hpack.Encoder
	hbuf   bytes.Buffer
	block  []byte
	path   []byte
	uri    []byte
	body   []byte
	numBuf []byte
}

func (hc *h2Client) newWorker(id int, c *counters, _ *phaseRec) (targets.Worker, error) {
	hc.gate.addWorker()
	cfg := hc.t.cfg
	w := &h2Worker{hc: hc, id: id, c: c, st: newH2Stream(cfg.MaxBody)}
	w.enc = hpack.NewEncoder(&w.hbuf)
	rng := rand.New(rand.NewChaCha8(seed(id)))
	for i := range cfg.Ops {
		oc := &cfg.Ops[i]
		op := h2Op{cfg: oc, path: compile(oc.Path), body: compile(oc.Body),
			idempotent: oc.Method != "POST" && oc.Method != "PATCH"}
		op.pre, op.post = hc.blockParts(w.enc, &w.hbuf, oc.Method, mergeHeaders(cfg.Headers, oc.Headers))
		op.dynPath = !op.path.literal()
		op.staticBody, op.dynBody = opBody(oc, &op.body, rng, id)
		if !op.dynPath && !op.dynBody {
			op.block = append([]byte(nil), w.appendBlock(nil, &op, op.path.appendTo(nil, 0, id, nil), len(op.staticBody))...)
		}
		w.ops = append(w.ops, op)
	}
	return w, nil
}

// appendBlock appends an op's header block for a request of path (after
// base_url's) and a body of bodyLen bytes to dst.
func (w *h2Worker) appendBlock(dst []byte, op *h2Op, path []byte, bodyLen int) []byte {
	w.uri = append(append(w.uri[:0], w.hc.t.cfg.BaseURL.EscapedPath()...), path...)
	dst = append(dst, op.pre...)
	dst = append(dst, w.hc.encode(w.enc, &w.hbuf, ":path", w.uri)...)
	dst = append(dst, op.post...)
	if op.cfg.HasBody {
		w.numBuf = strconv.AppendInt(w.numBuf[:0], int64(bodyLen), 10)
		dst = append(dst, w.hc.encode(w.enc, &w.hbuf, "content-length", w.numBuf)...)
	}
	return dst
}

// Do sends the op's request and reads its response to the end, or its
// body to max_body, within the op's timeout. A request in flight when ctx
// is cancelled is reset (RST_STREAM CANCEL).
func (w *h2Worker) Do(ctx context.Context, r *targets.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &w.ops[r.Op]
	block, body := op.block, op.staticBody
	if op.dynBody {
		w.body = op.body.appendTo(w.body[:0], r.Key, w.id, r.Value)
		body = w.body
	}
	if block == nil {
		w.path = op.path.appendTo(w.path[:0], r.Key, w.id, r.Value)
		w.block = w.appendBlock(w.block[:0], op, w.path, len(body))
		block = w.block
	}
	w.c.requests.Add(1)
	w.st.head = op.cfg.Method == "HEAD"
	status, err := w.hc.roundTrip(ctx, w.st, block, body, op.cfg.HasBody, op.idempotent, op.cfg.Timeout)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return w.c.fail(classify(err, w.hc.t.cfg, op.cfg.Timeout))
	}
	// Counted once the body is read, as the other clients do.
	w.c.status(status)
	if !op.cfg.Success.Has(status) {
		w.c.errs[ClassStatus].Add(1)
		return w.hc.t.statusErr(status)
	}
	return nil
}
