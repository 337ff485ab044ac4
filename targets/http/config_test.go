package http

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/perfplan/perfplan/targets"
)

func TestParseStatusSet(t *testing.T) {
	t.Parallel()
	s, err := ParseStatusSet([]string{"2xx", "404", "500-502", " 3XX "})
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[int]bool{199: false, 200: true, 299: true, 300: true, 399: true, 403: false, 404: true, 499: false, 500: true, 502: true, 503: false, 99: false, 600: false, 1000: false} {
		if s.Has(code) != want {
			t.Errorf("Has(%d) = %v", code, !want)
		}
	}
	for _, bad := range [][]string{nil, {"abc"}, {"2x"}, {"6xx"}, {"0xx"}, {"600"}, {"99"}, {"200-"}, {"300-200"}, {"20x-299"}, {"2000"}} {
		if _, err := ParseStatusSet(bad); err == nil {
			t.Errorf("ParseStatusSet(%q) passed", bad)
		}
	}
}

// attrErrors returns the attributes that err's *targets.AttrError values
// name, joined with their messages.
func attrErrors(err error) string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ae *targets.AttrError
		if errors.As(err, &ae) {
			out = append(out, ae.Attr+": "+ae.Err.Error())
			return
		}
		if err != nil {
			out = append(out, err.Error())
		}
	}
	walk(err)
	return strings.Join(out, "\n")
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	k := Kind()
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"base_url": "127.0.0.1:8080"}, "base_url: must start with http:// or https://"},
		{map[string]any{"base_url": "http://"}, "base_url: has no host"},
		{map[string]any{"base_url": "http://127.0.0.1:99999"}, `base_url: has an invalid port "99999"`},
		{map[string]any{"base_url": "http://u:p@127.0.0.1"}, "base_url: must not hold credentials"},
		{map[string]any{"base_url": "http://127.0.0.1/?q=1"}, "base_url: must not hold a query"},
		{map[string]any{"base_url": "http://[::1"}, "base_url: is not a valid URL"},
		{map[string]any{"base_url": "http://127.0.0.1", "protocol": ProtoH2}, `protocol: "h2" is HTTP/2 over TLS and needs an https base_url`},
		{map[string]any{"base_url": "https://127.0.0.1", "protocol": ProtoH2C}, `protocol: "h2c" is HTTP/2 without TLS`},
		{map[string]any{"base_url": "https://127.0.0.1", "client": ClientFastHTTP}, "client: fasthttp speaks HTTP/1.1 only"},
		{map[string]any{"base_url": "http://127.0.0.1", "client": ClientFastHTTP, "phase_timing": true}, "phase_timing: needs the net/http client"},
		{map[string]any{"base_url": "http://127.0.0.1", "insecure_skip_verify": true}, "insecure_skip_verify: applies to an https base_url only"},
		{map[string]any{"base_url": "https://127.0.0.1", "client_cert": "c.pem"}, "client_key: is required with client_cert"},
		{map[string]any{"base_url": "https://127.0.0.1", "ca_file": "/nonexistent/ca.pem"}, "ca_file: open /nonexistent/ca.pem"},
		{map[string]any{"base_url": "http://127.0.0.1", "headers": map[string]string{"Bad Name": "x"}}, `headers: "Bad Name" is not a valid header name`},
		{map[string]any{"base_url": "http://127.0.0.1", "headers": map[string]string{"Host": "x"}}, `headers: "Host" is set by the client`},
	} {
		err := k.Validate(targets.Config{Attrs: tc.attrs})
		if got := attrErrors(err); !strings.Contains(got, tc.want) {
			t.Errorf("%v: errors %q, want %q", tc.attrs, got, tc.want)
		}
	}
	if err := k.Validate(targets.Config{Attrs: map[string]any{"base_url": "https://[::1]:8443/api/"}}); err != nil {
		t.Errorf("valid: %v", err)
	}
	target := targets.Config{Attrs: map[string]any{"base_url": "http://127.0.0.1/api"}}
	for _, tc := range []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"method": "FETCH"}, `method: must be one of`},
		{map[string]any{"path": tmplOf("items/${key}")}, `path: must start with "/"`},
		{map[string]any{"path": tmplOf("${key}")}, `path: must start with "/"`},
		{map[string]any{"path": tmplOf("/a b")}, "path: \"/a b\" holds white space"},
		{map[string]any{"path": tmplOf("/a#b")}, "holds a fragment"},
		{map[string]any{"success": []string{"2xx", "ok"}}, `success: "ok" is not a status code`},
		{map[string]any{"body": tmplOf("x")}, "body: a GET request is sent without a body"},
		{map[string]any{"method": "POST", "body": tmplOf("x"), "body_size": int64(3)}, "body_size: a body is either body or body_size"},
		{map[string]any{"headers": map[string]string{"X": "a\nb"}}, `headers: the value of "X" holds a line break`},
	} {
		err := k.ValidateOp(target, targets.OpConfig{Name: "o", Config: targets.Config{Attrs: tc.attrs}})
		if got := attrErrors(err); !strings.Contains(got, tc.want) {
			t.Errorf("op %v: errors %q, want %q", tc.attrs, got, tc.want)
		}
	}
	// An op of a broken target is not checked again.
	if err := k.ValidateOp(targets.Config{Attrs: map[string]any{"base_url": "x"}}, targets.OpConfig{Name: "o", Config: targets.Config{Attrs: map[string]any{"method": "FETCH"}}}); err != nil {
		t.Errorf("op of a broken target: %v", err)
	}
}

// TestNoAllocations checks that the fasthttp client's Do allocates nothing,
// against a server that allocates nothing either (it answers each request
// from a fixed buffer), so the process's allocation count is the client's.
func TestNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool, which fasthttp relies on, drop items")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go rawServe(c)
		}
	}()
	tg := mustOpen(t, map[string]any{"base_url": "http://" + ln.Addr().String()},
		op("get", map[string]any{"path": tmplOf("/items/${key}")}),
		op("put", map[string]any{"method": "PUT", "path": tmplOf("/items/${key}"), "body": tmplOf(`{"v": "${value}"}`)}))
	w := worker(t, tg, 0)
	value := []byte("0123456789")
	for i := range 100 { // warm the buffers up
		if err := do(w, i%2, uint64(i), value); err != nil {
			t.Fatal(err)
		}
	}
	// As the executor does: one request per worker, reused.
	req := &targets.Request{Value: value}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		req.Key++
		req.Op = int(req.Key % 2)
		if err := w.Do(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.05 {
		t.Errorf("%.2f allocations per request, want none", allocs)
	}
}

// rawServe answers each request on c with a fixed response, reading
// headers and a Content-Length body, without allocating per request.
func rawServe(c net.Conn) {
	defer c.Close()
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	r := bufio.NewReaderSize(c, 64<<10)
	clen := []byte("content-length:")
	for {
		n := 0
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
			if len(line) > len(clen) && bytes.EqualFold(line[:len(clen)], clen) {
				for _, b := range bytes.TrimSpace(line[len(clen):]) {
					n = n*10 + int(b-'0')
				}
			}
		}
		if _, err := r.Discard(n); err != nil {
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}
