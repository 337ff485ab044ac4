package http

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 settings of the lean client (client = "h2").
const (
	// h2StreamWindow is the receive window of each stream, and
	// h2ConnWindow the connection's, as net/http's: a response body of up
	// to 4 MiB needs no WINDOW_UPDATE.
	h2StreamWindow = 4 << 20
	h2ConnWindow   = 1 << 30
	// h2HeaderTable is the HPACK dynamic table the server may use for
	// response headers (SETTINGS_HEADER_TABLE_SIZE).
	h2HeaderTable = 4096
	// h2MaxHeaderBlock bounds a response's header block (with its
	// CONTINUATION frames), and h2MaxString one header's name or value.
	h2MaxHeaderBlock = 1 << 20
	h2MaxString      = 64 << 10
	// h2ReadBuffer is the connection's read buffer: many frames a read
	// system call.
	h2ReadBuffer = 64 << 10
	// h2MaxStreamID is the last stream ID a connection opens: then a new
	// connection takes the next streams.
	h2MaxStreamID = 1<<31 - 1
)

// h2Stream is a worker's request in flight: one per worker, reused from
// request to request. While it is registered in its connection's streams,
// its response fields belong to the connection's reader (under the
// connection's lock); the worker reads them after done.
type h2Stream struct {
	id uint32
	// done receives one value when the stream ends, from the goroutine
	// that ended it (the reader, or a failing connection).
	done chan struct{}
	// timer bounds the request (the op's timeout).
	timer *time.Timer

	// The request: its header block and the body still to send (the
	// worker's buffers, unchanged until the stream ends).
	block, pending []byte
	hasBody        bool
	// idempotent: a request that met a connection closed under it before
	// any response frame may be sent again.
	idempotent bool
	// head: a HEAD request, whose response has no body whatever its
	// content-length.
	head bool

	// The response, set by the reader.
	status    int
	final     bool // the final (non-1xx) headers came
	gotFrame  bool // any frame of the response came
	interim   int
	body      int64
	recvUnack int64 // received bytes not yet granted back by WINDOW_UPDATE
	sendWin   int64
	blocked   bool // waiting for send window, in its connection's blocked list
	err       error
	maxBody   int64
}

func newH2Stream(maxBody int64) *h2Stream {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &h2Stream{done: make(chan struct{}, 1), timer: t, maxBody: maxBody}
}

// h2Retry marks a stream's failure after which the request may be sent
// again on another connection: the server refused it (REFUSED_STREAM, or
// above a GOAWAY's last stream), or an idempotent request's connection
// closed before any of its response came.
type h2Retry struct{ err error }

func (e *h2Retry) Error() string { return e.err.Error() }
func (e *h2Retry) Unwrap() error { return e.err }

// h2Conn is one HTTP/2 connection of the lean client. Workers open streams
// on it (start) and write their frames, batched (batchConn); one reader
// goroutine reads every frame, decodes the response headers (the HPACK
// decoder's state lives there only) and ends the streams.
type h2Conn struct {
	c  *h2Client
	nc net.Conn
	bc *batchConn
	br *bufio.Reader
	// rfr and dec are the reader's only.
	rfr *http2.Framer
	dec *hpack.Decoder
	// Header-block decoding state (the reader's).
	hStatus     int
	hContentLen int64
	hBad        string
	hBytes      int
	hStream     uint32
	hEnd        bool

	mu sync.Mutex
	// wfr writes frames into bc; frames are written under mu, so that
	// streams open in the order of their IDs.
	wfr        *http2.Framer
	streams    map[uint32]*h2Stream
	nextID     uint32
	active     int
	maxStreams uint32 // the server's SETTINGS_MAX_CONCURRENT_STREAMS
	maxFrame   int64  // the server's SETTINGS_MAX_FRAME_SIZE
	sendWin    int64  // the connection's send window
	initWin    int64  // the server's SETTINGS_INITIAL_WINDOW_SIZE
	recvUnack  int64
	goAway     bool // no new streams: GOAWAY came, or the IDs ran out
	dead       bool
	served     int64 // responses completed
	blocked    []*h2Stream
}

// errNotH2 is a server whose first bytes are not HTTP/2's SETTINGS.
var errNotH2 = errors.New("the server did not start HTTP/2 (its first frame is not SETTINGS); does it speak HTTP/2 here?")

// handshake sends the client's preface and settings and reads the
// server's SETTINGS, within connect_timeout; the connection is then ready
// for streams, and its reader started.
func (cc *h2Conn) handshake(timeout time.Duration) error {
	cc.br = bufio.NewReaderSize(cc.nc, h2ReadBuffer)
	cc.rfr = http2.NewFramer(nil, cc.br)
	cc.rfr.SetReuseFrames()
	// The client's SETTINGS_MAX_FRAME_SIZE, the default (the Framer's
	// own default is HTTP/2's largest, 16 MiB).
	cc.rfr.SetMaxReadFrameSize(16 << 10)
	cc.dec = hpack.NewDecoder(h2HeaderTable, cc.onField)
	cc.dec.SetMaxStringLength(h2MaxString)
	cc.wfr = http2.NewFramer(cc.bc, nil)
	cc.streams = make(map[uint32]*h2Stream)
	cc.nextID = 1
	cc.maxStreams = 100 // until the server's SETTINGS
	cc.maxFrame = 16 << 10
	cc.sendWin = 65535
	cc.initWin = 65535
	cc.mu.Lock()
	_, err := cc.bc.Write([]byte(http2.ClientPreface))
	if err == nil {
		err = cc.wfr.WriteSettings(
			http2.Setting{ID: http2.SettingEnablePush, Val: 0},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
			http2.Setting{ID: http2.SettingHeaderTableSize, Val: h2HeaderTable},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: h2MaxHeaderBlock},
		)
	}
	if err == nil {
		err = cc.wfr.WriteWindowUpdate(0, h2ConnWindow-65535)
	}
	cc.mu.Unlock()
	if err != nil {
		return err
	}
	if err := cc.nc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	f, err := cc.rfr.ReadFrame()
	if err != nil {
		if errors.Is(err, http2.ErrFrameTooLarge) {
			return errNotH2
		}
		return err
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return errNotH2
	}
	if err := cc.onSettings(sf); err != nil {
		return err
	}
	if err := cc.nc.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	go cc.readLoop()
	return nil
}

// start opens st on the connection and writes its HEADERS (and the body
// that the windows let through), or returns false when the connection
// takes no new stream now (full, going away, or dead).
func (cc *h2Conn) start(st *h2Stream) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.dead || cc.goAway || uint32(cc.active) >= cc.maxStreams {
		return false
	}
	if cc.nextID > cc.c.maxStreamID {
		cc.goAway = true
		cc.closeIfIdleLocked()
		return false
	}
	st.id = cc.nextID
	cc.nextID += 2
	cc.streams[st.id] = st
	cc.active++
	st.status, st.final, st.gotFrame, st.interim, st.body, st.recvUnack, st.err = 0, false, false, 0, 0, 0, nil
	st.sendWin = cc.initWin
	st.blocked = false
	if err := cc.writeHeadersLocked(st); err != nil {
		// The reader sees the connection fail, and ends the stream.
		_ = cc.nc.Close()
		return true
	}
	if st.hasBody {
		cc.sendBodyLocked(st)
	}
	return true
}

// writeHeadersLocked writes st's header block: HEADERS, and CONTINUATION
// frames when it is larger than a frame.
func (cc *h2Conn) writeHeadersLocked(st *h2Stream) error {
	block := st.block
	first := true
	for {
		n := min(int64(len(block)), cc.maxFrame)
		frag, rest := block[:n], block[n:]
		last := len(rest) == 0
		var err error
		if first {
			err = cc.wfr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: frag,
				EndStream: !st.hasBody, EndHeaders: last})
		} else {
			err = cc.wfr.WriteContinuation(st.id, last, frag)
		}
		if err != nil || last {
			return err
		}
		block, first = rest, false
	}
}

// sendBodyLocked writes as much of st's body as the send windows allow;
// a stream left with body to send waits in cc.blocked for a
// WINDOW_UPDATE. An empty body is an empty DATA frame that ends the
// stream.
func (cc *h2Conn) sendBodyLocked(st *h2Stream) {
	for {
		n := min(int64(len(st.pending)), cc.maxFrame, st.sendWin, cc.sendWin)
		if n <= 0 && len(st.pending) > 0 {
			if !st.blocked {
				st.blocked = true
				cc.blocked = append(cc.blocked, st)
			}
			return
		}
		data := st.pending[:n]
		st.pending = st.pending[n:]
		end := len(st.pending) == 0
		st.sendWin -= n
		cc.sendWin -= n
		if err := cc.wfr.WriteData(st.id, end, data); err != nil {
			_ = cc.nc.Close()
			return
		}
		if end {
			st.hasBody = false
			return
		}
	}
}

// unblockLocked sends what the windows now allow of the blocked streams'
// bodies.
func (cc *h2Conn) unblockLocked() {
	list := cc.blocked
	cc.blocked = cc.blocked[:0]
	for _, st := range list {
		st.blocked = false
		if cc.streams[st.id] == st && st.hasBody {
			cc.sendBodyLocked(st)
		}
	}
}

// endLocked removes st from the connection with err (nil: its response
// is complete); the caller signals st.done once it has unlocked.
func (cc *h2Conn) endLocked(st *h2Stream, err error) {
	delete(cc.streams, st.id)
	cc.active--
	st.err = err
	if st.blocked {
		for i, b := range cc.blocked {
			if b == st {
				cc.blocked = append(cc.blocked[:i], cc.blocked[i+1:]...)
				break
			}
		}
		st.blocked = false
	}
	if err == nil {
		cc.served++
	}
	cc.closeIfIdleLocked()
}

// endUnlock ends st with err when done, unlocks the connection, and then
// signals st's worker and the requests waiting for a stream.
func (cc *h2Conn) endUnlock(st *h2Stream, done bool, err error) {
	if done {
		cc.endLocked(st, err)
	}
	cc.mu.Unlock()
	if done {
		st.done <- struct{}{}
		cc.c.freed()
	}
}

// closeIfIdleLocked closes a connection that takes no new stream once its
// last stream ends.
func (cc *h2Conn) closeIfIdleLocked() {
	if cc.goAway && cc.active == 0 && !cc.dead {
		_ = cc.nc.Close()
	}
}

// cancel ends st from the worker's side (its timeout, or the run's end):
// RST_STREAM CANCEL, unless the reader ended it first.
func (cc *h2Conn) cancel(st *h2Stream) {
	cc.mu.Lock()
	if cc.streams[st.id] != st {
		cc.mu.Unlock()
		<-st.done // ended by the reader, which signals it
		return
	}
	cc.endLocked(st, context.Canceled)
	if !cc.dead {
		_ = cc.wfr.WriteRSTStream(st.id, http2.ErrCodeCancel)
	}
	cc.mu.Unlock()
	cc.c.freed()
}

// readLoop reads the connection's frames until it fails, then fails the
// streams left.
func (cc *h2Conn) readLoop() {
	var err error
	for err == nil {
		var f http2.Frame
		f, err = cc.rfr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				err = cc.streamError(se.StreamID, se)
			}
			continue
		}
		err = cc.onFrame(f)
	}
	cc.fail(err)
}

// onFrame handles one frame from the server.
func (cc *h2Conn) onFrame(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return cc.onData(f)
	case *http2.HeadersFrame:
		cc.hStatus, cc.hContentLen, cc.hBad, cc.hBytes, cc.hStream = 0, -1, "", 0, f.StreamID
		cc.hEnd = f.StreamEnded()
		cc.dec.SetEmitEnabled(true) // see onField
		return cc.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.ContinuationFrame:
		return cc.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.RSTStreamFrame:
		return cc.onReset(f)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		return cc.onSettings(f)
	case *http2.PingFrame:
		if f.IsAck() {
			return nil
		}
		cc.mu.Lock()
		err := cc.wfr.WritePing(true, f.Data)
		cc.mu.Unlock()
		return err
	case *http2.WindowUpdateFrame:
		return cc.onWindowUpdate(f)
	case *http2.GoAwayFrame:
		cc.onGoAway(f)
		return nil
	case *http2.PushPromiseFrame:
		return fmt.Errorf("the server sent PUSH_PROMISE, which the client disabled: %w", http2.ConnectionError(http2.ErrCodeProtocol))
	}
	// PRIORITY and unknown frame types are ignored.
	return nil
}

// streamLocked returns the open stream id, nil for a stream that ended
// (or was cancelled), and an error for one the client never opened.
func (cc *h2Conn) streamLocked(id uint32) (*h2Stream, error) {
	if id%2 == 0 || id >= cc.nextID {
		return nil, fmt.Errorf("a frame on stream %d, which the client did not open: %w", id, http2.ConnectionError(http2.ErrCodeProtocol))
	}
	return cc.streams[id], nil
}

// onData counts a DATA frame's bytes, grants them back (WINDOW_UPDATE)
// when half a window is used, and ends the stream at END_STREAM, or at
// max_body (RST_STREAM CANCEL).
func (cc *h2Conn) onData(f *http2.DataFrame) error {
	n := int64(f.Length) // padding included: it counts against the windows
	cc.mu.Lock()
	st, err := cc.streamLocked(f.StreamID)
	if err != nil {
		cc.mu.Unlock()
		return err
	}
	cc.recvUnack += n
	if cc.recvUnack >= h2ConnWindow/2 {
		if err := cc.wfr.WriteWindowUpdate(0, uint32(cc.recvUnack)); err != nil {
			cc.mu.Unlock()
			return err
		}
		cc.recvUnack = 0
	}
	if st == nil {
		cc.mu.Unlock()
		return nil
	}
	st.gotFrame = true
	var end error
	done := f.StreamEnded()
	st.body += int64(len(f.Data()))
	switch {
	case !st.final:
		end, done = errors.New("HTTP/2 DATA before the response's headers"), true
		_ = cc.wfr.WriteRSTStream(st.id, http2.ErrCodeProtocol)
	case st.body > st.maxBody:
		end, done = errBodyTooLarge, true
		_ = cc.wfr.WriteRSTStream(st.id, http2.ErrCodeCancel)
	case !done:
		st.recvUnack += n
		if st.recvUnack >= h2StreamWindow/2 {
			if err := cc.wfr.WriteWindowUpdate(st.id, uint32(st.recvUnack)); err != nil {
				cc.mu.Unlock()
				return err
			}
			st.recvUnack = 0
		}
	}
	cc.endUnlock(st, done, end)
	return nil
}

// onField is the HPACK decoder's: it keeps the fields the client reads.
func (cc *h2Conn) onField(f hpack.HeaderField) {
	switch f.Name {
	case ":status":
		code, err := strconv.Atoi(f.Value)
		if err != nil || code < 100 || code > 999 || cc.hStatus != 0 {
			cc.hBad = "a malformed :status"
			return
		}
		cc.hStatus = code
	case "content-length":
		n, err := strconv.ParseInt(f.Value, 10, 64)
		if err != nil || n < 0 {
			cc.hBad = "a malformed content-length"
			return
		}
		cc.hContentLen = n
	}
	if cc.hStatus != 0 && cc.hContentLen >= 0 {
		// The rest of the block is decoded for the dynamic table's
		// sake only: with emitting off, the decoder skips the literal
		// values it does not index rather than decompress them (nginx
		// Huffman-codes every response header, none indexed). 2.5 %
		// less CPU a request at 30,000/s over h2c against nginx.
		cc.dec.SetEmitEnabled(false)
	}
}

// onHeaderFragment decodes a piece of a header block, and at its end
// applies it to its stream. Every block is decoded, even a cancelled
// stream's: the decoder's table depends on it.
func (cc *h2Conn) onHeaderFragment(frag []byte, end bool) error {
	cc.hBytes += len(frag)
	if cc.hBytes > h2MaxHeaderBlock {
		return fmt.Errorf("a response header block over %d bytes: %w", h2MaxHeaderBlock, http2.ConnectionError(http2.ErrCodeProtocol))
	}
	if _, err := cc.dec.Write(frag); err != nil {
		return fmt.Errorf("HPACK: %v: %w", err, http2.ConnectionError(http2.ErrCodeCompression))
	}
	if !end {
		return nil
	}
	if err := cc.dec.Close(); err != nil {
		return fmt.Errorf("HPACK: %v: %w", err, http2.ConnectionError(http2.ErrCodeCompression))
	}
	return cc.onHeaders()
}

// onHeaders applies a decoded header block to its stream: interim (1xx)
// headers are skipped, the final ones give the status, and trailers end
// the stream.
func (cc *h2Conn) onHeaders() error {
	cc.mu.Lock()
	st, err := cc.streamLocked(cc.hStream)
	if err != nil || st == nil {
		cc.mu.Unlock()
		return err
	}
	st.gotFrame = true
	var end error
	done := cc.hEnd
	switch {
	case st.final: // trailers
		if !cc.hEnd {
			end, done = errors.New("HTTP/2 trailers without END_STREAM"), true
		}
	case cc.hBad != "" || cc.hStatus == 0:
		bad := cc.hBad
		if bad == "" {
			bad = "no :status"
		}
		end, done = fmt.Errorf("a malformed HTTP/2 response: %s", bad), true
	case cc.hStatus < 200 && cc.hStatus != 101:
		st.interim++
		if cc.hEnd || st.interim > maxInterim {
			end, done = errors.New("a malformed HTTP/2 response: interim (1xx) headers only"), true
		}
	default:
		st.final, st.status = true, cc.hStatus
		// A content-length without a body to follow (HEAD, 304) is not
		// a body.
		if !cc.hEnd && !st.head && cc.hStatus != 304 && cc.hContentLen > st.maxBody {
			end, done = errBodyTooLarge, true
		}
	}
	if done && !cc.hEnd {
		code := http2.ErrCodeCancel
		if end != nil && !errors.Is(end, errBodyTooLarge) {
			code = http2.ErrCodeProtocol
		}
		_ = cc.wfr.WriteRSTStream(st.id, code)
	}
	cc.endUnlock(st, done, end)
	return nil
}

// streamError resets a stream that sent a malformed frame, and fails it.
func (cc *h2Conn) streamError(id uint32, se http2.StreamError) error {
	cc.mu.Lock()
	st, err := cc.streamLocked(id)
	if err != nil {
		cc.mu.Unlock()
		return err
	}
	werr := cc.wfr.WriteRSTStream(id, se.Code)
	if st != nil {
		cc.endLocked(st, fmt.Errorf("a malformed HTTP/2 frame: %v", se))
	}
	cc.mu.Unlock()
	if st != nil {
		st.done <- struct{}{}
		cc.c.freed()
	}
	return werr
}

// onReset ends a stream the server reset: REFUSED_STREAM (the server did
// not process it) may be sent again.
func (cc *h2Conn) onReset(f *http2.RSTStreamFrame) error {
	cc.mu.Lock()
	st, err := cc.streamLocked(f.StreamID)
	if err != nil || st == nil {
		cc.mu.Unlock()
		return err
	}
	var e error = newError(ClassReset, nil, "the server reset the HTTP/2 stream (%v)", f.ErrCode)
	if f.ErrCode == http2.ErrCodeRefusedStream {
		e = &h2Retry{err: e}
	}
	cc.endUnlock(st, true, e)
	return nil
}

// onSettings applies the server's settings and acknowledges them.
func (cc *h2Conn) onSettings(f *http2.SettingsFrame) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingMaxConcurrentStreams:
			cc.maxStreams = s.Val
		case http2.SettingMaxFrameSize:
			cc.maxFrame = int64(s.Val)
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - cc.initWin
			cc.initWin = int64(s.Val)
			for _, st := range cc.streams {
				st.sendWin += delta
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := cc.wfr.WriteSettingsAck(); err != nil {
		return err
	}
	cc.unblockLocked()
	return nil
}

// onWindowUpdate opens a send window, and sends the bodies it lets
// through.
func (cc *h2Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		if cc.sendWin+inc > 1<<31-1 {
			return fmt.Errorf("the connection's send window overflows: %w", http2.ConnectionError(http2.ErrCodeFlowControl))
		}
		cc.sendWin += inc
		cc.unblockLocked()
		return nil
	}
	st, err := cc.streamLocked(f.StreamID)
	if err != nil || st == nil {
		return err
	}
	st.sendWin += inc
	if st.hasBody && st.blocked {
		cc.unblockLocked()
	}
	return nil
}

// onGoAway stops new streams on the connection; the streams above the
// last one the server processes are sent again on another connection.
func (cc *h2Conn) onGoAway(f *http2.GoAwayFrame) {
	cc.mu.Lock()
	cc.goAway = true
	var refused []*h2Stream
	for id, st := range cc.streams {
		if id > f.LastStreamID {
			refused = append(refused, st)
		}
	}
	for _, st := range refused {
		cc.endLocked(st, &h2Retry{err: newError(ClassReset, nil, "the server sent GOAWAY (%v) before processing the request", f.ErrCode)})
	}
	cc.closeIfIdleLocked()
	cc.mu.Unlock()
	for _, st := range refused {
		st.done <- struct{}{}
	}
	cc.c.freed()
}

// fail ends the connection and every stream left on it with err.
func (cc *h2Conn) fail(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	cc.mu.Lock()
	cc.dead = true
	left := make([]*h2Stream, 0, len(cc.streams))
	for _, st := range cc.streams {
		left = append(left, st)
	}
	reused := cc.served > 0
	for _, st := range left {
		var e error = err
		if st.idempotent && reused && !st.gotFrame {
			e = &h2Retry{err: err}
		}
		cc.endLocked(st, e)
	}
	cc.mu.Unlock()
	_ = cc.nc.Close()
	for _, st := range left {
		st.done <- struct{}{}
	}
	cc.c.remove(cc)
}
