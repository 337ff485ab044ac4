// Package http provides the http target: a load generator for HTTP services
// over HTTP/1.1, HTTP/2 over TLS (ALPN) and HTTP/2 without TLS (h2c), whose
// operations a plan declares in its workload, each with a method, a path
// template over the iteration's key, headers, a body and the statuses that
// count as success.
//
// # Clients
//
// HTTP/1.1 goes through valyala/fasthttp, which reuses its requests,
// responses and buffers and so allocates nothing per request; HTTP/2
// (protocol "h2" and "h2c") through perfplan's own client (h2.go, on
// golang.org/x/net/http2's Framer and hpack coder), and ALPN over https,
// phase timing and HTTP/2 without keep-alive through net/http (fasthttp
// speaks HTTP/1.1 only, neither has httptrace). The client attribute forces
// one. Each keeps one connection pool per target, sized by the workers: a
// worker waits for its response, so at most one connection per worker is
// busy (max_connections caps it), and idle connections are kept alive.
//
// # Statistics
//
// requests counts the requests sent; responses those that got a complete
// response (status and body); status_1xx to status_5xx count them by class
// and status_NNN by code (listed once counted). A body is read as it
// streams, into a small buffer, and discarded; one longer than max_body
// (10 MiB by default) fails the request (errors_body) and its connection is
// closed without reading the rest. bytes_sent and bytes_received count bytes on the
// wire (TLS records included). connections_opened counts connections made
// and connections_reused the requests that did not make one. Failures are
// classified: timeouts, errors_refused, errors_reset, errors_tls (their sum
// with the refused and reset ones is connection_errors), errors_status (a
// response whose status is not a success), errors_body (longer than
// max_body) and errors_other. Each failure's
// message starts with its class ("timeout: ", "refused: ", "reset: ",
// "tls: ", "status: ", "error: "), so the run's error samples show it.
//
// With phase_timing = true, each request is traced (net/http/httptrace):
// connect_*, tls_* and ttfb_* give the mean (over the scenario), p50, p99
// and max (over the target's life) of the TCP connect, the TLS handshake and
// the time to the response's first byte, in milliseconds.
package http

import (
	"fmt"
	nethttp "net/http"
	"slices"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// Protocols accepted by the protocol attribute.
const (
	// ProtoAuto is HTTP/1.1 for http:// and ALPN (HTTP/2 or HTTP/1.1) for
	// https://.
	ProtoAuto = "auto"
	// ProtoHTTP1 is HTTP/1.1 only.
	ProtoHTTP1 = "http1"
	// ProtoH2 is HTTP/2 over TLS only.
	ProtoH2 = "h2"
	// ProtoH2C is HTTP/2 without TLS, with prior knowledge.
	ProtoH2C = "h2c"
)

// Clients accepted by the client attribute.
const (
	ClientAuto     = "auto"
	ClientFastHTTP = "fasthttp"
	ClientNetHTTP  = "net/http"
	// ClientH2 is perfplan's own HTTP/2 client (h2.go).
	ClientH2 = "h2"
)

// Defaults.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxBody bounds the response bodies read: 10 MiB.
	DefaultMaxBody = 10 << 20
)

// Template fields.
const (
	FieldKey    = "key"
	FieldWorker = "worker"
	FieldValue  = "value"
)

// Methods lists the methods an op may use.
var Methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

var (
	protocols = []string{ProtoAuto, ProtoHTTP1, ProtoH2, ProtoH2C}
	clients   = []string{ClientAuto, ClientFastHTTP, ClientNetHTTP, ClientH2}
)

func ptr(f float64) *float64 { return &f }

func schema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "base_url", Type: targets.String, Required: true, Example: "http://127.0.0.1:8080",
			Doc: `the service's URL, "http://host:port" or "https://host:port", with an optional path prefix`},
		{Name: "headers", Type: targets.StringMap, Sensitive: true,
			Doc: `headers sent with every request, { "Name" = "value" }; an op's headers add to them (their values are never shown)`},
		{Name: "connect_timeout", Type: targets.Duration, Default: DefaultConnectTimeout, Min: ptr(1),
			Doc: "bound on making a connection (TCP and TLS)"},
		{Name: "request_timeout", Type: targets.Duration, Default: DefaultRequestTimeout, Min: ptr(1),
			Doc: "bound on a request, from sending it to reading its body to the end (an op's timeout overrides it)"},
		{Name: "max_body", Type: targets.Int, Default: int64(DefaultMaxBody), Min: ptr(0),
			Doc: "most bytes of a response body read (and discarded); a longer body fails the request (errors_body) without being read further"},
		{Name: "max_connections", Type: targets.Int, Default: int64(0), Min: ptr(0),
			Doc: "most connections open at once; 0 (the default) allows one per worker"},
		{Name: "keep_alive", Type: targets.Bool, Default: true,
			Doc: "reuse connections; false opens a connection per request"},
		{Name: "protocol", Type: targets.String, Default: ProtoAuto, OneOf: protocols,
			Doc: `"auto" (HTTP/1.1, or ALPN between HTTP/2 and HTTP/1.1 over https), "http1", "h2" (https) or "h2c" (http)`},
		{Name: "client", Type: targets.String, Default: ClientAuto, OneOf: clients,
			Doc: `"auto" (fasthttp for HTTP/1.1, perfplan's own "h2" for protocol "h2" and "h2c", net/http for phase timing and ALPN over https), "fasthttp", "net/http" or "h2"`},
		{Name: "insecure_skip_verify", Type: targets.Bool, Default: false,
			Doc: "https: accept any server certificate (verification is on unless this is written)"},
		{Name: "ca_file", Type: targets.String,
			Doc: "https: PEM file of the certificate authorities to trust instead of the system's"},
		{Name: "client_cert", Type: targets.String,
			Doc: "https: PEM file of the client certificate (with client_key)"},
		{Name: "client_key", Type: targets.String,
			Doc: "https: PEM file of the client certificate's key"},
		{Name: "phase_timing", Type: targets.Bool, Default: false,
			Doc: "trace each request's connect, TLS handshake and time to first byte (costs CPU; uses net/http)"},
		{Name: "probe", Type: targets.Bool, Default: true,
			Doc: "send GET base_url before the load starts; a connection failure stops the run (exit 4)"},
		{Name: "pprof_url", Type: targets.String,
			Doc: `the service's net/http/pprof endpoint, "http://127.0.0.1:6060/debug/pprof": perfplan run --profile fetches its CPU profile over each scenario (loopback hosts only, unless listed in pprof_hosts)`},
		{Name: "pprof_hosts", Type: targets.StringList,
			Doc: "hosts other than loopback that pprof_url may name"},
	}}
}

func opSchema() targets.Schema {
	return targets.Schema{Attrs: []targets.Attr{
		{Name: "method", Type: targets.String, Default: "GET", OneOf: Methods,
			Doc: "the request's method"},
		{Name: "path", Type: targets.Template, Default: targets.Literal("/"), Fields: []string{FieldKey, FieldWorker},
			Doc: `path and query after base_url's, a template over ${key} (the key index) and ${worker}, as "/items/${key}"`},
		{Name: "headers", Type: targets.StringMap, Sensitive: true,
			Doc: "headers of this op, added to (or replacing) the target's (their values are never shown)"},
		{Name: "body", Type: targets.Template, Fields: []string{FieldKey, FieldWorker, FieldValue},
			Doc: `request body, a template over ${key}, ${worker} and ${value} (the workload's value_size bytes)`},
		{Name: "body_size", Type: targets.Int, Min: ptr(0),
			Doc: "a body of this many random bytes (drawn once per worker) instead of body"},
		{Name: "success", Type: targets.StringList, Default: []string{"2xx", "3xx"},
			Doc: `statuses that count as success: codes (404), classes ("2xx") or ranges ("200-299")`},
		{Name: "timeout", Type: targets.Duration, Min: ptr(1),
			Doc: "this op's request_timeout"},
	}}
}

// Statistic names.
const (
	statRequests         = "requests"
	statResponses        = "responses"
	statBytesSent        = "bytes_sent"
	statBytesReceived    = "bytes_received"
	statConnsOpened      = "connections_opened"
	statConnsReused      = "connections_reused"
	statReuseRatio       = "connection_reuse_ratio"
	statTimeouts         = "timeouts"
	statConnectionErrors = "connection_errors"
	statErrorsRefused    = "errors_refused"
	statErrorsReset      = "errors_reset"
	statErrorsTLS        = "errors_tls"
	statErrorsStatus     = "errors_status"
	statErrorsOther      = "errors_other"
	statErrorsBody       = "errors_body"
	// statusPrefix starts the statistics per class (status_2xx) and per
	// code (status_200).
	statusPrefix     = "status_"
	phaseTotalSuffix = "_total_ms"
	phaseCountSuffix = "_count"
	phaseMeanSuffix  = "_mean"
)

// phases are the traced phases, in statistic order.
var phases = []string{"connect", "tls", "ttfb"}

// phaseQuantiles are the percentiles reported per phase, with their names.
var phaseQuantiles = []struct {
	name string
	q    float64
}{{"p50", 50}, {"p99", 99}, {"max", 100}}

// statusCodes are the codes with a status_NNN statistic: those net/http
// names. A response with another code counts in its class only.
func statusCodes() []int {
	var codes []int
	for c := 100; c < 600; c++ {
		if nethttp.StatusText(c) != "" {
			codes = append(codes, c)
		}
	}
	return codes
}

func codeStat(code int) string { return fmt.Sprintf("%s%d", statusPrefix, code) }

// statNames returns the kind's statistics, its sparse ones (per code) and
// its gauges and ratios.
func statNames() (stats, sparse, gauges []string, ratios map[string]targets.Ratio) {
	stats = []string{statRequests, statResponses}
	for c := 1; c <= 5; c++ {
		stats = append(stats, fmt.Sprintf("%s%dxx", statusPrefix, c))
	}
	stats = append(stats, statBytesSent, statBytesReceived, statConnsOpened, statConnsReused, statReuseRatio,
		statTimeouts, statConnectionErrors, statErrorsRefused, statErrorsReset, statErrorsTLS, statErrorsStatus, statErrorsOther, statErrorsBody)
	ratios = map[string]targets.Ratio{
		statReuseRatio: {Num: []string{statConnsReused}, Den: []string{statConnsReused, statConnsOpened}},
	}
	for _, p := range phases {
		stats = append(stats, p+phaseTotalSuffix, p+phaseCountSuffix, p+phaseMeanSuffix)
		ratios[p+phaseMeanSuffix] = targets.Ratio{Num: []string{p + phaseTotalSuffix}, Den: []string{p + phaseCountSuffix}}
		for _, q := range phaseQuantiles {
			stats = append(stats, p+"_"+q.name)
			gauges = append(gauges, p+"_"+q.name)
		}
	}
	for _, c := range statusCodes() {
		stats = append(stats, codeStat(c))
		sparse = append(sparse, codeStat(c))
	}
	return stats, sparse, gauges, ratios
}

// Kind is the http target kind.
//
// Plan blocks:
//
//	target "http" "api" {
//	  base_url        = var.base_url        # required: http(s)://host:port[/prefix]
//	  headers         = { "Accept" = "application/json" }
//	  connect_timeout = "5s"
//	  request_timeout = "10s"
//	  max_connections = 0                   # 0: one per worker
//	  max_body        = 10485760            # bytes of a response body
//	  keep_alive      = true
//	  protocol        = "auto"              # http1, h2, h2c
//	  client          = "auto"              # fasthttp, net/http, h2
//	  # https: insecure_skip_verify, ca_file, client_cert, client_key
//	  phase_timing    = false
//	  probe           = true
//	}
//
//	workload "browse" {
//	  target = target.http.api
//	  op "get_item" {
//	    weight  = 9
//	    path    = "/items/${key}"
//	    success = ["2xx", 404]
//	  }
//	  op "put_item" {
//	    method  = "PUT"
//	    path    = "/items/${key}"
//	    headers = { "Content-Type" = "application/json" }
//	    body    = "{\"id\": ${key}, \"data\": \"${value}\"}"
//	  }
//	  value_size = 64
//	}
func Kind() targets.Kind {
	stats, sparse, gauges, ratios := statNames()
	ops := opSchema()
	return targets.Kind{
		Name:       "http",
		Doc:        "an HTTP service: HTTP/1.1 (fasthttp), HTTP/2 over TLS and h2c (perfplan's own client, or net/http); ops declared in the workload",
		Schema:     schema(),
		OpSchema:   &ops,
		Stats:      stats,
		Sparse:     sparse,
		Gauges:     gauges,
		Ratios:     ratios,
		Validate:   func(cfg targets.Config) error { _, err := parseConfig(cfg); return err },
		ValidateOp: validateOp,
		New: func(cfg targets.Config) (targets.Target, error) {
			c, err := parseConfig(cfg)
			if err != nil {
				return nil, fmt.Errorf("http: %w", err)
			}
			for _, op := range cfg.Ops {
				oc, err := parseOp(c, op)
				if err != nil {
					return nil, fmt.Errorf("http: op %q: %w", op.Name, err)
				}
				c.Ops = append(c.Ops, oc)
			}
			return newTarget(c), nil
		},
	}
}

// validateOp checks an op block against its target's configuration.
func validateOp(target targets.Config, op targets.OpConfig) error {
	c, err := parseConfig(target)
	if err != nil {
		// Reported on the target block.
		return nil
	}
	_, err = parseOp(c, op)
	return err
}

// isMethod reports whether m is one of Methods.
func isMethod(m string) bool { return slices.Contains(Methods, m) }
