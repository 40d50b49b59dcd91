package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// SendMail sends one message on the open connection: MAIL, RCPT for each
// address in to, then the body read from r. It returns an error wrapping
// ErrRecipientsRefused if any recipient was refused, even when the message
// went to the others; use Send to learn which.
func (c *Client) SendMail(from string, to []string, r io.Reader) error {
	_, err := c.Send(context.Background(), &Envelope{From: from, To: to}, r)
	return err
}

// Send sends one message on the open connection, bounded by ctx.
//
// When the server offers PIPELINING (RFC 2920) the commands go in one
// flight and their replies are read after: with CHUNKING (RFC 3030) and a
// message that fits one chunk, MAIL, every RCPT and "BDAT n LAST" with the
// message cost one round trip. Without PIPELINING it goes command by
// command. The body is streamed: DATA never holds it, BDAT holds one chunk.
//
// The Result lists accepted and refused recipients. The error is nil only
// if every recipient was accepted and the server took the message.
func (c *Client) Send(ctx context.Context, env *Envelope, body io.Reader) (*Result, error) {
	if err := c.hello(); err != nil {
		return nil, err
	}
	defer c.bind(ctx)()
	return c.send(env, body)
}

func (c *Client) send(env *Envelope, body io.Reader) (*Result, error) {
	var tx transaction
	if err := c.prepare(&tx, env, body); err != nil {
		return nil, err
	}
	var res *Result
	var err error
	if c.has("PIPELINING") {
		res, err = c.sendPipelined(&tx, body)
	} else {
		res, err = c.sendLockStep(&tx, body)
	}
	switch {
	case err == nil:
		err = res.partial()
	case c.broken != nil && res != nil && res.sent:
		err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return res, err
}

// partial reports the recipients refused when the message went to others.
func (res *Result) partial() error {
	if len(res.Refused) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d of %d, first %s: %w", ErrRecipientsRefused, len(res.Refused), len(res.Refused)+len(res.Accepted), res.Refused[0].Addr, res.Refused[0].Err)
}

// sendLockStep waits for each reply before the next command, so it can
// stop early: no RCPT after a refused MAIL, no data without a recipient.
func (c *Client) sendLockStep(tx *transaction, body io.Reader) (*Result, error) {
	if _, err := c.cmd(250, string(tx.appendMail(nil))); err != nil {
		return nil, err
	}
	res := newResult(tx)
	for i, rcpt := range tx.to {
		_, err := c.cmd(25, string(tx.appendRcpt(nil, i)))
		if err := res.record(rcpt, err); err != nil {
			return res, err
		}
	}
	if len(res.Accepted) == 0 {
		return res, c.abandon(res)
	}
	if c.has("CHUNKING") {
		c.chunk.begin()
		if err := c.chunk.fill(body, tx.size); err != nil {
			return res, c.fail(err) // the server waits for data that will not come
		}
		return res, c.sendChunks(res, body, tx.size)
	}
	w, err := c.Data()
	if err != nil {
		return res, err
	}
	return res, c.finishData(res, w.(*dataWriter), body)
}

// sendPipelined writes the whole transaction before reading a reply. A
// message that fits one chunk travels with its commands; a larger one
// streams behind them (streamChunks).
func (c *Client) sendPipelined(tx *transaction, body io.Reader) (*Result, error) {
	chunking := c.has("CHUNKING")
	if chunking {
		// Read before writing anything: a body that fails to read then
		// costs nothing on the wire.
		c.chunk.begin()
		if err := c.chunk.fill(body, tx.size); err != nil {
			return nil, err
		}
	}
	return c.sendFilled(tx, body, chunking)
}

// sendFilled is sendPipelined once c.chunk holds the first chunk of the
// message, if the server offers CHUNKING.
func (c *Client) sendFilled(tx *transaction, body io.Reader, chunking bool) (*Result, error) {
	ch := &c.chunk
	if chunking && !ch.last {
		return c.streamChunks(tx, body, false)
	}
	t := c.Timeouts.withDefaults()
	if err := c.arm(t.Command); err != nil {
		return nil, err
	}
	c.queueTx(tx)
	withData := chunking && ch.last
	switch {
	case withData:
		c.queueChunk(ch)
	case !chunking:
		c.queue("DATA")
	}
	if err := c.Text.W.Flush(); err != nil {
		return nil, c.fail(err)
	}

	// Every command sent has a reply to read, whatever the earlier ones
	// said.
	res := newResult(tx)
	res.sent = withData
	v := c.readEnvelope(tx.to, res, nil)
	if v.err != nil {
		return res, v.err
	}
	mailErr, closing := v.mailErr, v.closing
	switch {
	case withData:
		r, err := c.readAfter(t.DataEnd, closing)
		if err != nil {
			return res, err
		}
		if mailErr != nil {
			return nil, mailErr
		}
		if len(res.Accepted) == 0 {
			return res, c.abandon(res)
		}
		return res, res.finish(r)
	}
	r, err := c.readAfter(t.DataStart, closing)
	if err != nil {
		return res, err
	}
	if r.code == 354 && (mailErr != nil || len(res.Accepted) == 0) {
		// RFC 2920 §3.1: a 354 with no valid recipient still needs "."
		if _, err := c.roundTrip(t.DataEnd, "."); err != nil {
			return res, err
		}
	}
	if mailErr != nil {
		return nil, mailErr
	}
	if len(res.Accepted) == 0 {
		return res, c.abandon(res)
	}
	if err := r.check(354); err != nil {
		return res, err
	}
	return res, c.finishData(res, &dataWriter{c: c, w: c.Text.W, enc: newLineEncoder(true)}, body)
}

// newResult makes room for every recipient at once: usually all accepted.
func newResult(tx *transaction) *Result {
	return &Result{Accepted: make([]string, 0, len(tx.to))}
}

// record files a RCPT reply; only a failure of the connection is returned.
func (res *Result) record(rcpt string, err error) error {
	var serr *Error
	switch {
	case err == nil:
		res.Accepted = append(res.Accepted, rcpt)
	case errors.As(err, &serr):
		res.Refused = append(res.Refused, RefusedRecipient{Addr: rcpt, Err: serr})
	default:
		return err
	}
	return nil
}

// readAfter reads the next reply of a pipeline. If the connection fails
// and an earlier reply refused the transaction, that refusal is the better
// explanation: a server closing with 421 (RFC 5321 §3.8) drops the rest.
func (c *Client) readAfter(timeout time.Duration, earlier error) (*reply, error) {
	r, err := c.read(timeout)
	if err != nil && earlier != nil {
		return nil, earlier
	}
	return r, err
}

// finish reads the verdict on the message.
func (res *Result) finish(r *reply) error {
	if err := r.check(250); err != nil {
		return err
	}
	res.Response = r.text()
	return nil
}

// abandon ends a transaction no recipient was accepted for: RSET, so that
// the next MAIL starts clean on servers that keep the sender.
func (c *Client) abandon(res *Result) error {
	if _, err := c.cmd(250, "RSET"); err != nil {
		var serr *Error
		if !errors.As(err, &serr) {
			return err
		}
	}
	return res.allRefused()
}

func (res *Result) allRefused() error {
	return fmt.Errorf("%w: all %d, first %s: %w", ErrRecipientsRefused, len(res.Refused), res.Refused[0].Addr, res.Refused[0].Err)
}

func (c *Client) finishData(res *Result, w *dataWriter, body io.Reader) error {
	if _, err := io.Copy(w, body); err != nil {
		// The server is inside DATA: any later command would become part of
		// the message. The connection cannot be used again.
		return c.fail(fmt.Errorf("smtp: sending the message: %w", err))
	}
	// Close reads the verdict; keep its text for the Result.
	err := w.Close()
	res.sent = w.flushed
	if err != nil {
		return err
	}
	res.Response = w.response
	return nil
}

// queue writes a command line to the buffer without flushing it.
func (c *Client) queue(line string) {
	c.trace("send", line)
	c.Text.W.WriteString(line)
	c.Text.W.WriteString("\r\n")
}

// queueLine is queue for a line built in c.line.
func (c *Client) queueLine(line []byte) {
	if c.Logger != nil {
		c.trace("send", string(line))
	}
	c.Text.W.Write(line)
	c.Text.W.WriteString("\r\n")
	c.line = line[:0]
}

// queueTx writes MAIL and every RCPT of tx without flushing them.
func (c *Client) queueTx(tx *transaction) {
	c.queueLine(tx.appendMail(c.line[:0]))
	for i := range tx.to {
		c.queueLine(tx.appendRcpt(c.line[:0], i))
	}
}
