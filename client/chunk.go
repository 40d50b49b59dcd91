package client

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// maxChunk bounds the message data held in memory at once: BDAT sends the
// message in chunks of at most this many octets before encoding.
const maxChunk = 1 << 20

// chunker reads a message into bounded chunks, encoded for BDAT.
type chunker struct {
	raw  []byte       // the last read
	out  bytes.Buffer // raw encoded, when it needed encoding
	data []byte       // what to send: raw itself, or out's bytes
	enc  lineEncoder
	last bool
}

// begin prepares ch for a new message.
func (ch *chunker) begin() {
	ch.enc = newLineEncoder(false)
	ch.last = false
}

// fill reads the next chunk of at most maxChunk octets; size, if known,
// lets a small message be read in one go with its end detected.
func (ch *chunker) fill(body io.Reader, size int64) error {
	n := maxChunk
	if size >= 0 && size < maxChunk {
		n = int(size) + 1 // one more, to see the end in the same read
	}
	if cap(ch.raw) < n {
		ch.raw = make([]byte, n)
	}
	n, err := io.ReadFull(body, ch.raw[:n])
	ch.raw = ch.raw[:n]
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		ch.last = true
	default:
		return fmt.Errorf("smtp: reading the message: %w", err)
	}
	if ch.enc.unchanged(ch.raw, ch.last) {
		// Most messages already end every line with CRLF: send them as
		// they were read, without a copy.
		ch.data = ch.raw
		return nil
	}
	ch.out.Reset()
	ch.enc.encode(&ch.out, ch.raw)
	if ch.last {
		ch.enc.finish(&ch.out)
	}
	ch.data = ch.out.Bytes()
	return nil
}

// release drops buffers grown for a large message, so that an idle Client
// does not hold megabytes.
func (ch *chunker) release() {
	if cap(ch.raw) > 64<<10 {
		*ch = chunker{}
	}
}

// queueChunk writes one BDAT command (RFC 3030 §2) and its data.
func (c *Client) queueChunk(ch *chunker) {
	line := strconv.AppendInt(append(c.line[:0], "BDAT "...), int64(len(ch.data)), 10)
	if ch.last {
		line = append(line, " LAST"...)
	}
	c.queueLine(line)
	if c.Logger != nil {
		c.trace("send", "[message data, "+strconv.Itoa(len(ch.data))+" bytes]")
	}
	c.Text.W.Write(ch.data)
}

// sendChunks sends the message in BDAT chunks, starting with the one
// c.chunk holds and reading the rest from body, of size octets if known.
// The chunks are pipelined when the server allows; the replies come
// after: one per chunk, the last one the verdict.
func (c *Client) sendChunks(res *Result, body io.Reader, size int64) error {
	ch := &c.chunk
	defer ch.release()
	t := c.Timeouts.withDefaults()
	pipelined := c.has("PIPELINING")
	for sent := 0; ; {
		if err := c.arm(t.DataBlock); err != nil {
			return err
		}
		c.queueChunk(ch)
		if err := c.Text.W.Flush(); err != nil {
			return c.fail(err)
		}
		res.sent = ch.last
		sent++
		if !pipelined || ch.last {
			for ; sent > 0; sent-- {
				r, err := c.read(t.DataEnd)
				if err != nil {
					return err
				}
				if sent == 1 && ch.last {
					return res.finish(r)
				}
				if err := r.check(250); err != nil {
					return err
				}
			}
		}
		if err := ch.fill(body, size); err != nil {
			return c.fail(err) // the server waits for data that will not come
		}
	}
}

// envelopeVerdict is what the replies to MAIL and RCPT said.
type envelopeVerdict struct {
	mailErr error // MAIL refused
	closing error // a refusal that explains a connection the server closed
	err     error // the connection failed
}

// readEnvelope reads the replies to MAIL and a RCPT for each of to into res.
// earlier is a refusal read before, such as a 421 to RSET, that would
// explain the connection closing.
func (c *Client) readEnvelope(to []string, res *Result, earlier error) (v envelopeVerdict) {
	t := c.Timeouts.withDefaults()
	r, err := c.readAfter(t.Command, earlier)
	if err != nil {
		return envelopeVerdict{err: err}
	}
	v.mailErr = r.check(250)
	v.closing = earlier
	if v.closing == nil {
		v.closing = v.mailErr
	}
	for _, rcpt := range to {
		r, err := c.readAfter(t.Command, v.closing)
		if err != nil {
			v.err = err
			return v
		}
		if v.mailErr == nil {
			res.record(rcpt, r.check(25))
		}
		if v.closing == nil && r.code == 421 {
			v.closing = r.check(250)
		}
	}
	return v
}

// streamChunks sends a message larger than one chunk right behind MAIL
// and RCPT, while a second goroutine reads their replies: the round trip
// is hidden behind the data instead of added to it. If the server accepts
// no recipient, sending stops at the next chunk boundary, so at most about
// one bandwidth-delay product of data goes out for nobody. Only the other
// goroutine reads and only this one writes until it has the verdict. With
// rset, RSET goes first in the same flight, for a batch.
func (c *Client) streamChunks(tx *transaction, body io.Reader, rset bool) (*Result, error) {
	ch := &c.chunk
	defer ch.release()
	t := c.Timeouts.withDefaults()
	if err := c.arm(t.DataBlock); err != nil {
		return nil, err
	}
	if rset {
		c.queue("RSET")
	}
	c.queueTx(tx)
	c.queueChunk(ch)
	if err := c.Text.W.Flush(); err != nil {
		return nil, c.fail(err)
	}
	res := newResult(tx)
	verdict := make(chan envelopeVerdict, 1)
	to := tx.to // not tx: it would escape to the heap on every send
	go func() {
		closing, err := c.readRSET(rset)
		if err != nil {
			verdict <- envelopeVerdict{err: err}
			return
		}
		verdict <- c.readEnvelope(to, res, closing)
	}()

	var v envelopeVerdict
	known, sent := false, 1
	var werr error
	for !ch.last {
		if !known {
			select {
			case v = <-verdict:
				known = true
			default:
			}
		}
		if known && (v.err != nil || v.mailErr != nil || len(res.Accepted) == 0) {
			break
		}
		if werr = ch.fill(body, tx.size); werr != nil {
			c.fail(werr) // the server waits for data that will not come
			break
		}
		if werr = c.arm(t.DataBlock); werr != nil {
			break
		}
		c.queueChunk(ch)
		if err := c.Text.W.Flush(); err != nil {
			werr = c.fail(err)
			break
		}
		sent++
	}
	if !known {
		v = <-verdict
	}
	res.sent = werr == nil && ch.last
	switch {
	case werr != nil:
		return res, werr
	case v.err != nil:
		return res, v.err
	}
	// Every BDAT has its reply; the last one, after LAST, is the verdict.
	// The first refusal explains the rest: a server that refuses a chunk
	// drops the transaction and refuses every later one as out of order.
	var refusal error
	for i := 0; i < sent; i++ {
		r, err := c.readAfter(t.DataEnd, v.closing)
		if err != nil {
			return res, err
		}
		if i < sent-1 && refusal == nil {
			refusal = r.check(250)
		}
		if i == sent-1 && refusal == nil && v.mailErr == nil && len(res.Accepted) > 0 {
			refusal = res.finish(r)
		}
	}
	switch {
	case v.mailErr != nil:
		return nil, v.mailErr
	case len(res.Accepted) == 0:
		return res, c.abandon(res)
	}
	return res, refusal
}
