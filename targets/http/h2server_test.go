package http

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// frameConn is the server side of an HTTP/2 connection of a test server
// that speaks frames itself (golang.org/x/net/http2's Framer), to behave as
// no real server would.
type frameConn struct {
	c  net.Conn
	r  *bufio.Reader
	fr *http2.Framer
	// bw gathers the server's frames; flush writes them.
	bw  *bufio.Writer
	dec *hpack.Decoder
	// fields are the last request's header fields.
	fields map[string]string
}

// frameRequest is a request a frameConn read.
type frameRequest struct {
	id     uint32
	method string
	path   string
	body   int
}

// frameServer serves each connection with serve after HTTP/2's preface
// and the server's SETTINGS (settings, which may be empty); it stops with
// the test. With decode false the request headers are not decoded (no
// allocation per request).
func frameServer(t testing.TB, settings []http2.Setting, decode bool, serve func(fc *frameConn)) (url string) {
	t.Helper()
	u, _ := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2.ClientPreface {
			return
		}
		bw := bufio.NewWriterSize(c, 64<<10)
		fc := &frameConn{c: c, r: r, fr: http2.NewFramer(bw, r), bw: bw, fields: map[string]string{}}
		fc.fr.SetReuseFrames()
		if decode {
			fc.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) { fc.fields[f.Name] = f.Value })
		}
		if fc.fr.WriteSettings(settings...) != nil || fc.flush() != nil {
			return
		}
		serve(fc)
	})
	return u
}

func (fc *frameConn) flush() error { return fc.bw.Flush() }

// next reads frames until a request has ended (END_STREAM), answering
// SETTINGS and PING, and returns it. The frames written so far go out
// before it waits for more: the responses to the requests of one read go
// out together.
func (fc *frameConn) next() (frameRequest, error) {
	bodies := map[uint32]int{}
	methods := map[uint32][2]string{}
	for {
		if fc.r.Buffered() == 0 {
			if err := fc.flush(); err != nil {
				return frameRequest{}, err
			}
		}
		f, err := fc.fr.ReadFrame()
		if err != nil {
			return frameRequest{}, err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fc.fr.WriteSettingsAck(); err != nil {
					return frameRequest{}, err
				}
				if err := fc.flush(); err != nil {
					return frameRequest{}, err
				}
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = fc.fr.WritePing(true, f.Data)
				_ = fc.flush()
			}
		case *http2.HeadersFrame:
			if fc.dec != nil {
				clear(fc.fields)
				if _, err := fc.dec.Write(f.HeaderBlockFragment()); err != nil {
					return frameRequest{}, err
				}
				methods[f.StreamID] = [2]string{fc.fields[":method"], fc.fields[":path"]}
			}
			if f.StreamEnded() {
				m := methods[f.StreamID]
				return frameRequest{id: f.StreamID, method: m[0], path: m[1]}, nil
			}
		case *http2.DataFrame:
			bodies[f.StreamID] += len(f.Data())
			if f.StreamEnded() {
				m := methods[f.StreamID]
				return frameRequest{id: f.StreamID, method: m[0], path: m[1], body: bodies[f.StreamID]}, nil
			}
		case *http2.RSTStreamFrame:
			if f.ErrCode != http2.ErrCodeCancel {
				return frameRequest{}, errors.New("client reset a stream: " + f.ErrCode.String())
			}
		}
	}
}

// headerBlock codes a response's header fields.
func headerBlock(fields ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return buf.Bytes()
}

// respond writes a whole response: HEADERS, and DATA when body is not
// empty.
func (fc *frameConn) respond(id uint32, block, body []byte) error {
	if err := fc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndHeaders: true, EndStream: len(body) == 0}); err != nil {
		return err
	}
	if len(body) > 0 {
		if err := fc.fr.WriteData(id, true, body); err != nil {
			return err
		}
	}
	return nil
}

// okBlock is a 200 response's header block with a 2-byte body.
var okBlock = headerBlock(":status", "200", "content-length", "2")

// serveOK answers every request with 200 "ok", a batch of responses a
// write (the requests that came in one read; see next).
func serveOK(fc *frameConn) {
	for {
		req, err := fc.next()
		if err != nil {
			return
		}
		if fc.respond(req.id, okBlock, []byte("ok")) != nil {
			return
		}
	}
}
