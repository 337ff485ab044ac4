package http

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/perfplan/perfplan/targets"
)

// Config is a decoded http target block.
type Config struct {
	// BaseURL is the service's URL without a trailing slash.
	BaseURL *url.URL
	// Headers are sent with every request.
	Headers        map[string]string
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	// MaxConnections caps the open connections; 0 means no cap.
	MaxConnections int
	// MaxBody is the most bytes of a response body read.
	MaxBody   int64
	KeepAlive bool
	Protocol  string
	// Client is the resolved client: ClientFastHTTP, ClientNetHTTP or
	// ClientH2.
	Client             string
	InsecureSkipVerify bool
	CAFile             string
	ClientCert         string
	ClientKey          string
	PhaseTiming        bool
	Probe              bool
	// PprofURL is the system under test's net/http/pprof endpoint
	// (pprof_url), nil when unset; PprofHosts the non-loopback hosts it
	// may name (see pprof.go).
	PprofURL   *url.URL
	PprofHosts []string
	// Ops are the plan's operations against the target, indexed by
	// targets.Request.Op.
	Ops []OpConfig
}

// OpConfig is one decoded op block.
type OpConfig struct {
	Name    string
	Method  string
	Path    targets.TemplateValue
	Headers map[string]string
	Body    targets.TemplateValue
	// HasBody is set when the op sends Body or BodySize random bytes.
	HasBody  bool
	BodySize int
	Success  StatusSet
	Timeout  time.Duration
}

// https reports whether the base URL is https.
func (c *Config) https() bool { return c.BaseURL.Scheme == "https" }

// http2 reports whether the target may speak HTTP/2.
func (c *Config) http2() bool {
	return c.Protocol == ProtoH2 || c.Protocol == ProtoH2C || (c.Protocol == ProtoAuto && c.https())
}

// parseConfig decodes and checks a target block. Its errors are
// *targets.AttrError values, joined.
func parseConfig(cfg targets.Config) (*Config, error) {
	c := &Config{
		Headers:            cfg.StringMap("headers"),
		ConnectTimeout:     cfg.Duration("connect_timeout"),
		RequestTimeout:     cfg.Duration("request_timeout"),
		MaxConnections:     int(cfg.Int("max_connections")),
		MaxBody:            DefaultMaxBody,
		KeepAlive:          true,
		Protocol:           cfg.String("protocol"),
		Client:             cfg.String("client"),
		InsecureSkipVerify: cfg.Bool("insecure_skip_verify"),
		CAFile:             cfg.String("ca_file"),
		ClientCert:         cfg.String("client_cert"),
		ClientKey:          cfg.String("client_key"),
		PhaseTiming:        cfg.Bool("phase_timing"),
		Probe:              true,
	}
	if cfg.Has("keep_alive") {
		c.KeepAlive = cfg.Bool("keep_alive")
	}
	if cfg.Has("max_body") {
		c.MaxBody = cfg.Int("max_body")
	}
	if cfg.Has("probe") {
		c.Probe = cfg.Bool("probe")
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Protocol == "" {
		c.Protocol = ProtoAuto
	}
	if c.Client == "" {
		c.Client = ClientAuto
	}
	var errs []error
	u, err := parseBaseURL(cfg.String("base_url"))
	if err != nil {
		return c, targets.Errorf("base_url", "%v", err)
	}
	c.BaseURL = u
	if err := checkHeaders(c.Headers); err != nil {
		errs = append(errs, targets.Errorf("headers", "%v", err))
	}
	if c.MaxBody < 0 {
		errs = append(errs, targets.Errorf("max_body", "must not be negative"))
	}
	if c.MaxConnections < 0 {
		errs = append(errs, targets.Errorf("max_connections", "must not be negative"))
	}
	switch c.Protocol {
	case ProtoAuto, ProtoHTTP1:
	case ProtoH2:
		if !c.https() {
			errs = append(errs, targets.Errorf("protocol", `"h2" is HTTP/2 over TLS and needs an https base_url; use "h2c" for HTTP/2 without TLS`))
		}
	case ProtoH2C:
		if c.https() {
			errs = append(errs, targets.Errorf("protocol", `"h2c" is HTTP/2 without TLS and needs an http base_url; use "h2" over https`))
		}
	default:
		errs = append(errs, targets.Errorf("protocol", "must be one of %q, got %q", protocols, c.Protocol))
	}
	switch c.Client {
	case ClientAuto:
		c.Client = ClientFastHTTP
		switch {
		case c.PhaseTiming:
			c.Client = ClientNetHTTP
		case c.http2() && (!c.KeepAlive || c.Protocol == ProtoAuto):
			// A connection per request, or ALPN that may pick HTTP/1.1:
			// net/http's.
			c.Client = ClientNetHTTP
		case c.http2():
			c.Client = ClientH2
		}
	case ClientNetHTTP:
	case ClientH2:
		if c.Protocol != ProtoH2 && c.Protocol != ProtoH2C {
			errs = append(errs, targets.Errorf("client", `"h2" speaks HTTP/2 only; set protocol = "h2" (https) or "h2c" (http), or use "net/http"`))
		}
		if c.PhaseTiming {
			errs = append(errs, targets.Errorf("phase_timing", "needs the net/http client (the h2 client has no request tracing)"))
		}
		if !c.KeepAlive {
			errs = append(errs, targets.Errorf("keep_alive", `false needs the net/http client (the h2 client keeps its connections)`))
		}
	case ClientFastHTTP:
		if c.http2() {
			errs = append(errs, targets.Errorf("client", `fasthttp speaks HTTP/1.1 only; set protocol = "http1" to use it, or use "net/http" for HTTP/2`))
		}
		if c.PhaseTiming {
			errs = append(errs, targets.Errorf("phase_timing", "needs the net/http client (fasthttp has no request tracing)"))
		}
	default:
		errs = append(errs, targets.Errorf("client", "must be one of %q, got %q", clients, c.Client))
	}
	if !c.https() {
		for _, a := range []string{"insecure_skip_verify", "ca_file", "client_cert", "client_key"} {
			if cfg.Has(a) && cfg.Attrs[a] != false {
				errs = append(errs, targets.Errorf(a, "applies to an https base_url only"))
			}
		}
	} else if _, err := c.tlsConfig(); err != nil {
		errs = append(errs, err)
	}
	if err := c.parsePprof(cfg); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// parseBaseURL checks a base URL and returns it without a trailing slash.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("must not be empty")
	}
	if l := strings.ToLower(s); !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return nil, fmt.Errorf("must start with http:// or https://, got %q", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("is not a valid URL: %v", unwrapURLError(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("must start with http:// or https://, got %q", s)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("has no host: %q", s)
	case u.User != nil:
		return nil, errors.New("must not hold credentials; send them in headers (Authorization)")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("must not hold a query; put it in the op's path")
	case u.Fragment != "":
		return nil, errors.New("must not hold a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("has an invalid port %q", p)
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// hostPort returns the base URL's host:port, with the scheme's default port.
func (c *Config) hostPort() string {
	if c.BaseURL.Port() != "" {
		return c.BaseURL.Host
	}
	port := "80"
	if c.https() {
		port = "443"
	}
	host := c.BaseURL.Hostname()
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// tlsConfig builds the TLS configuration of an https target. Its errors are
// *targets.AttrError values.
func (c *Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{
		ServerName:         c.BaseURL.Hostname(),
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // only when the plan writes it
		MinVersion:         tls.VersionTLS12,
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, targets.Errorf("ca_file", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, targets.Errorf("ca_file", "%s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	switch {
	case c.ClientCert != "" && c.ClientKey != "":
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, targets.Errorf("client_cert", "%v", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case c.ClientCert != "":
		return nil, targets.Errorf("client_key", "is required with client_cert")
	case c.ClientKey != "":
		return nil, targets.Errorf("client_cert", "is required with client_key")
	}
	return tc, nil
}

// checkHeaders checks header names (tokens) and values (no line breaks).
func checkHeaders(h map[string]string) error {
	for name, v := range h {
		if name == "" {
			return errors.New("a header name must not be empty")
		}
		for i := 0; i < len(name); i++ {
			if !isTokenChar(name[i]) {
				return fmt.Errorf("%q is not a valid header name", name)
			}
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("the value of %q holds a line break or NUL", name)
		}
		if strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") ||
			strings.EqualFold(name, "Transfer-Encoding") || strings.EqualFold(name, "Connection") {
			return fmt.Errorf("%q is set by the client; it cannot be sent as a header", name)
		}
	}
	return nil
}

// isTokenChar reports whether b may appear in an HTTP token (RFC 9110).
func isTokenChar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// parseOp decodes and checks an op block against its target. Its errors
// are *targets.AttrError values, joined.
func parseOp(c *Config, op targets.OpConfig) (OpConfig, error) {
	cfg := op.Config
	o := OpConfig{
		Name:     op.Name,
		Method:   cfg.String("method"),
		Path:     cfg.Template("path"),
		Headers:  cfg.StringMap("headers"),
		Body:     cfg.Template("body"),
		BodySize: int(cfg.Int("body_size")),
		Timeout:  cfg.Duration("timeout"),
	}
	if o.Method == "" {
		o.Method = "GET"
	}
	if !cfg.Has("path") {
		o.Path = targets.Literal("/")
	}
	if o.Timeout <= 0 {
		o.Timeout = c.RequestTimeout
	}
	var errs []error
	if !isMethod(o.Method) {
		errs = append(errs, targets.Errorf("method", "must be one of %q, got %q", Methods, o.Method))
	}
	if err := checkPath(c, o.Path); err != nil {
		errs = append(errs, targets.Errorf("path", "%v", err))
	}
	if err := checkHeaders(o.Headers); err != nil {
		errs = append(errs, targets.Errorf("headers", "%v", err))
	}
	success := []string{"2xx", "3xx"}
	if cfg.Has("success") {
		success = cfg.Strings("success")
	}
	set, err := ParseStatusSet(success)
	if err != nil {
		errs = append(errs, targets.Errorf("success", "%v", err))
	}
	o.Success = set
	switch {
	case cfg.Has("body") && cfg.Has("body_size"):
		errs = append(errs, targets.Errorf("body_size", "a body is either body or body_size random bytes, not both"))
	case cfg.Has("body_size") && o.BodySize < 0:
		errs = append(errs, targets.Errorf("body_size", "must not be negative"))
	}
	o.HasBody = cfg.Has("body") || cfg.Has("body_size")
	if o.HasBody && (o.Method == "GET" || o.Method == "HEAD") {
		attr := "body"
		if cfg.Has("body_size") {
			attr = "body_size"
		}
		errs = append(errs, targets.Errorf(attr, "a %s request is sent without a body; use POST, PUT or PATCH", o.Method))
	}
	if cfg.Has("timeout") && o.Timeout <= 0 {
		errs = append(errs, targets.Errorf("timeout", "must be positive"))
	}
	return o, errors.Join(errs...)
}

// checkPath checks that a path template starts with "/" and makes a valid
// request URI after the base URL's path whatever the key.
func checkPath(c *Config, p targets.TemplateValue) error {
	if len(p.Parts) == 0 || p.Parts[0].Field != "" || !strings.HasPrefix(p.Parts[0].Text, "/") {
		return fmt.Errorf("must start with \"/\", as \"/items/${key}\", got %q", p.String())
	}
	s := c.BaseURL.EscapedPath() + p.Expand(func(string) string { return "0" })
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return fmt.Errorf("%q holds white space or a control character; escape it (%%20)", p.String())
	}
	if strings.Contains(s, "#") {
		return fmt.Errorf("%q holds a fragment (#), which is never sent", p.String())
	}
	if _, err := url.ParseRequestURI(s); err != nil {
		return fmt.Errorf("%q is not a valid path: %v", p.String(), unwrapURLError(err))
	}
	return nil
}

// StatusSet is a set of HTTP status codes.
type StatusSet [10]uint64 // bit c-100 for code c in [100, 740)

// ParseStatusSet parses a success list: codes ("404"), classes ("2xx") and
// ranges ("200-299"), all within 100 to 599.
func ParseStatusSet(list []string) (StatusSet, error) {
	var s StatusSet
	if len(list) == 0 {
		return s, errors.New(`must list at least one status, as ["2xx"]`)
	}
	for _, item := range list {
		lo, hi, err := parseStatusItem(strings.TrimSpace(item))
		if err != nil {
			return s, err
		}
		for c := lo; c <= hi; c++ {
			s.add(c)
		}
	}
	return s, nil
}

func parseStatusItem(item string) (lo, hi int, err error) {
	bad := fmt.Errorf("%q is not a status code (100 to 599), a class (\"2xx\") or a range (\"200-299\")", item)
	code := func(s string) (int, bool) {
		if len(s) != 3 {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 100 && n <= 599
	}
	if len(item) == 3 && (item[1:] == "xx" || item[1:] == "XX") {
		if item[0] < '1' || item[0] > '5' {
			return 0, 0, bad
		}
		c := int(item[0]-'0') * 100
		return c, c + 99, nil
	}
	if a, b, ok := strings.Cut(item, "-"); ok {
		l, ok1 := code(strings.TrimSpace(a))
		h, ok2 := code(strings.TrimSpace(b))
		if !ok1 || !ok2 {
			return 0, 0, bad
		}
		if l > h {
			return 0, 0, fmt.Errorf("the range %q is empty (its start is above its end)", item)
		}
		return l, h, nil
	}
	c, ok := code(item)
	if !ok {
		return 0, 0, bad
	}
	return c, c, nil
}

func (s *StatusSet) add(c int) {
	i := c - 100
	s[i/64] |= 1 << (i % 64)
}

// Has reports whether code c is in the set.
func (s *StatusSet) Has(c int) bool {
	i := c - 100
	if i < 0 || i >= len(s)*64 {
		return false
	}
	return s[i/64]&(1<<(i%64)) != 0
}
