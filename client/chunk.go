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
