package http

import (
	"context"
	"math/rand/v2"
	"net"
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
	hc := &fasthttp.HostClient{
		Addr: c.hostPort(),
		Name: "perfplan",
		Dial: func(addr string) (net.Conn, error) {
			return t.dial(context.Background(), addr)
		},
		IsTLS:    c.https(),
		MaxConns: t.maxConns(),
		// With max_connections, a worker that finds every connection busy
		// waits for one, within its request's timeout.
		MaxConnWaitTimeout:            c.RequestTimeout,
		MaxIdleConnDuration:           90 * time.Second,
		ReadBufferSize:                fastReadBuffer,
		WriteBufferSize:               fastReadBuffer,
		MaxIdemponentCallAttempts:     2, // one retry, as net/http does on a dead idle connection
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		NoDefaultUserAgentHeader:      true,
	}
	if c.https() {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		tc.NextProtos = []string{"http/1.1"}
		hc.TLSConfig = tc
	}
	base := *c.BaseURL
	base.RawQuery, base.Fragment = "", ""
	return &fastClient{t: t, hc: hc, prefix: []byte(base.String())}, nil
}

func (fc *fastClient) close() { fc.hc.CloseIdleConnections() }

func (fc *fastClient) probe(context.Context) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(fc.t.probeURL())
	req.Header.SetMethod("GET")
	fc.setHeaders(req, nil)
	if err := fc.hc.DoTimeout(req, resp, fc.t.cfg.RequestTimeout); err != nil {
		return classify(err, fc.t.cfg, fc.t.cfg.RequestTimeout)
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
		op := fastOp{cfg: oc, req: &fasthttp.Request{}, path: compile(oc.Path), body: compile(oc.Body)}
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
	err := w.fc.hc.DoTimeout(req, w.resp, op.cfg.Timeout)
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
