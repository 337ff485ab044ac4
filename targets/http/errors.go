package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// Class is the kind of a request's failure.
type Class int

// Failure classes. Each failure's message starts with its class's name and
// a colon.
const (
	// ClassTimeout: no connection within connect_timeout, or no complete
	// response within the request's timeout.
	ClassTimeout Class = iota
	// ClassRefused: the server refused the connection (nothing listens).
	ClassRefused
	// ClassReset: the server reset or closed the connection before the
	// response ended.
	ClassReset
	// ClassTLS: the TLS handshake failed (an unverified certificate, say).
	ClassTLS
	// ClassStatus: a response whose status is not one of the op's success
	// statuses.
	ClassStatus
	// ClassOther: anything else (a malformed response, a name that does not
	// resolve).
	ClassOther
	// ClassBody: a response body longer than max_body, which is not read
	// past the limit.
	ClassBody
	numClasses
)

var classNames = [numClasses]string{"timeout", "refused", "reset", "tls", "status", "error", "body"}

// String returns the class's name, as its messages start.
func (c Class) String() string {
	if c >= 0 && c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Error is a failed request. Its message is the class, a colon and a
// description that does not vary from request to request (no key, no
// local port), so that a run's error samples group alike failures.
type Error struct {
	Class Class
	// Status is the response's status code, for ClassStatus.
	Status int
	msg    string
	err    error
}

// Error implements error.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the client's error, if any.
func (e *Error) Unwrap() error { return e.err }

func newError(c Class, err error, format string, args ...any) *Error {
	return &Error{Class: c, err: err, msg: c.String() + ": " + fmt.Sprintf(format, args...)}
}

func statusError(code int) *Error {
	msg := fmt.Sprintf("status: %d", code)
	if text := nethttp.StatusText(code); text != "" {
		msg += " " + text
	}
	return &Error{Class: ClassStatus, Status: code, msg: msg}
}

// errBodyTooLarge is a response body longer than max_body.
var errBodyTooLarge = errors.New("response body too large")

// bodyError is the error of a body longer than max_body.
func bodyError(c *Config) *Error {
	return newError(ClassBody, errBodyTooLarge, "response body longer than max_body (%d bytes); the rest is not read", c.MaxBody)
}

// drainBody reads r to its end into buf, which it discards, and returns
// errBodyTooLarge as soon as more than limit bytes came.
func drainBody(r io.Reader, buf []byte, limit int64) error {
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if n > limit {
			return errBodyTooLarge
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// dialError marks an error of making a connection.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// classify turns a client's error into an *Error. timeout is the request's
// timeout and c its target's configuration, for the messages.
func classify(err error, c *Config, timeout time.Duration) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	if errors.Is(err, errBodyTooLarge) {
		return bodyError(c)
	}
	var de *dialError
	dial := errors.As(err, &de)
	if isTimeout(err) {
		switch {
		case dial:
			return newError(ClassTimeout, err, "no connection within %s (connect_timeout)", c.ConnectTimeout)
		case errors.Is(err, fasthttp.ErrNoFreeConns):
			return newError(ClassTimeout, err, "no free connection within %s (max_connections = %d)", timeout, c.MaxConnections)
		case strings.Contains(err.Error(), "TLS handshake timeout"):
			return newError(ClassTimeout, err, "no TLS handshake within %s (connect_timeout)", c.ConnectTimeout)
		}
		return newError(ClassTimeout, err, "no complete response within %s", timeout)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return newError(ClassRefused, err, "connection refused by %s", c.hostPort())
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return newError(ClassReset, err, "connection reset by the server")
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, fasthttp.ErrConnectionClosed) ||
		strings.Contains(err.Error(), "server closed") {
		return newError(ClassReset, err, "the server closed the connection before the response ended")
	}
	if msg, ok := tlsMessage(err); ok {
		return newError(ClassTLS, err, "%s", msg)
	}
	if dial {
		return newError(ClassOther, err, "connect to %s: %v", c.hostPort(), unwrapOp(de.err))
	}
	return newError(ClassOther, err, "%v", unwrapOp(unwrapURLError(err)))
}

// isTimeout reports whether err is a deadline or timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, fasthttp.ErrTimeout) ||
		errors.Is(err, fasthttp.ErrDialTimeout) || errors.Is(err, fasthttp.ErrNoFreeConns) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tlsMessage describes a TLS failure, without Go's "tls: " prefix.
func tlsMessage(err error) (string, bool) {
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		rh  tls.RecordHeaderError
		al  tls.AlertError
		ech *tls.ECHRejectionError
	)
	var inner error
	switch {
	case errors.As(err, &cv):
		inner = cv
	case errors.As(err, &ua):
		inner = ua
	case errors.As(err, &hn):
		inner = hn
	case errors.As(err, &ci):
		inner = ci
	case errors.As(err, &rh):
		inner = rh
	case errors.As(err, &al):
		inner = al
	case errors.As(err, &ech):
		inner = ech
	default:
		// Handshake failures that the tls package reports as plain
		// errors, such as a server that asks for a client certificate.
		s := unwrapOp(unwrapURLError(err)).Error()
		if i := strings.Index(s, "tls: "); i >= 0 {
			return s[i+len("tls: "):], true
		}
		return "", false
	}
	return strings.TrimPrefix(inner.Error(), "tls: "), true
}

// unwrapOp drops a *net.OpError's addresses, which hold the local port.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return fmt.Errorf("%s: %w", oe.Op, oe.Err)
	}
	return err
}
