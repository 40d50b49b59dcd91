package client

import (
	"context"
	"errors"
	"io"
)

// batchWindow bounds the messages in flight in SendBatch: enough to hide
// the round trip of a long link behind the sending of the next messages,
// few enough that a failing connection leaves little in doubt.
const batchWindow = 32

// Outgoing is one message of a batch.
type Outgoing struct {
	Envelope
	Body io.Reader
}

// Status is what a batch knows of one message's fate.
type Status int

// The statuses of a BatchResult.
const (
	NotSent   Status = iota // the server never got the whole message; safe to send again
	Delivered               // the server accepted it, for Result.Accepted
	Refused                 // the server refused it, or every recipient
	Unknown                 // sent whole, but the connection failed before the verdict: it may or may not be delivered
)

var statusNames = [...]string{"not sent", "delivered", "refused", "unknown"}

// String returns the status in words.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(?)"
}

// BatchResult is the outcome of one message of a batch.
type BatchResult struct {
	Status Status
	Result *Result // recipients and the server's reply, when it got that far
	Err    error   // why the message is not Delivered to every recipient
}

// flight is a message whose commands are written and replies not yet read.
type flight struct {
	index int
	tx    transaction
	rset  bool // preceded by RSET
}

// SendBatch sends msgs over the connection, in order, and returns one
// result per message. With PIPELINING and CHUNKING it keeps up to 32
// messages in flight: the next messages' commands and data are written
// while earlier replies are on their way, so a long round trip is paid
// about once per batch rather than once per message. Each message after
// the first is preceded by RSET, so that a failed transaction cannot leak
// into the next. A message too large for one BDAT chunk waits for the
// messages before it and goes alone. Without those extensions, messages
// go one after another as Send sends them.
//
// A failure of one message never affects another's result. If the
// connection fails, messages written whole but without a verdict are
// Unknown, the rest NotSent, and nothing is sent twice.
func (c *Client) SendBatch(ctx context.Context, msgs []Outgoing) []BatchResult {
	results := make([]BatchResult, len(msgs))
	if err := c.hello(); err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer c.bind(ctx)()
	b := batch{c: c, msgs: msgs, results: results}
	b.run()
	return results
}

type batch struct {
	c        *Client
	msgs     []Outgoing
	results  []BatchResult
	inflight []flight
	started  bool // a transaction was written: the next needs RSET first
}

func (b *batch) run() {
	c := b.c
	fast := c.has("PIPELINING") && c.has("CHUNKING")
	for i := range b.msgs {
		if c.broken != nil {
			b.results[i].Err = c.broken
			continue
		}
		m := &b.msgs[i]
		if !fast {
			res, err := c.send(&m.Envelope, m.Body)
			b.settle(i, res, err)
			continue
		}
		if len(b.inflight) == batchWindow {
			b.readOldest()
		}
		var tx transaction
		err := c.prepare(&tx, &m.Envelope, m.Body)
		if err == nil {
			c.chunk.begin()
			err = c.chunk.fill(m.Body, tx.size)
		}
		if err != nil {
			b.results[i].Err = err
			continue
		}
		if !c.chunk.last {
			b.drain()
			b.sendAlone(i, &tx)
			continue
		}
		b.write(i, &tx)
	}
	b.drain()
}

// sendAlone sends a message larger than one chunk with no other in flight.
func (b *batch) sendAlone(i int, tx *transaction) {
	c := b.c
	if c.broken != nil {
		b.results[i].Err = c.broken
		return
	}
	rset := b.started
	b.started = true
	res, err := c.streamChunks(tx, b.msgs[i].Body, rset)
	if err == nil {
		err = res.partial()
	}
	b.settle(i, res, err)
}

// write sends one whole transaction, its data in one BDAT LAST chunk.
func (b *batch) write(i int, tx *transaction) {
	c := b.c
	if err := c.arm(c.Timeouts.withDefaults().DataBlock); err != nil {
		b.results[i].Err = err
		return
	}
	f := flight{index: i, tx: *tx, rset: b.started}
	if f.rset {
		c.queue("RSET")
	}
	c.queueTx(tx)
	c.queueChunk(&c.chunk)
	// One flush per message: once it returns, the message is whole in the
	// kernel's hands, which is what tells Unknown from NotSent.
	if err := c.Text.W.Flush(); err != nil {
		b.results[i].Err = c.fail(err)
		return
	}
	b.started = true
	b.inflight = append(b.inflight, f)
}

func (b *batch) drain() {
	for len(b.inflight) > 0 {
		b.readOldest()
	}
}

// readOldest reads the replies of the oldest message in flight.
func (b *batch) readOldest() {
	f := b.inflight[0]
	b.inflight = b.inflight[1:]
	res, err := b.readFlight(f)
	if b.c.broken == nil {
		b.settle(f.index, res, err)
		return
	}
	// The connection failed. A refusal read before it (a 421) settles
	// this message; the others were sent whole and their verdicts are lost.
	rest := b.inflight
	b.inflight = nil
	var serr *Error
	if errors.As(err, &serr) {
		b.settle(f.index, res, err)
	} else {
		rest = append([]flight{f}, rest...)
	}
	for _, g := range rest {
		b.results[g.index] = BatchResult{Status: Unknown, Err: b.c.broken}
	}
}

func (b *batch) readFlight(f flight) (*Result, error) {
	c := b.c
	t := c.Timeouts.withDefaults()
	closing, err := c.readRSET(f.rset)
	if err != nil {
		return nil, err
	}
	res := newResult(&f.tx)
	v := c.readEnvelope(f.tx.to, res, closing)
	if v.err != nil {
		return nil, v.err
	}
	final, err := c.readAfter(t.DataEnd, v.closing)
	if err != nil {
		return nil, err
	}
	switch {
	case v.mailErr != nil:
		return nil, v.mailErr
	case len(res.Accepted) == 0:
		return res, res.allRefused()
	}
	if err := res.finish(final); err != nil {
		return res, err
	}
	return res, res.partial()
}

// readRSET reads the reply to a pipelined RSET, if one was sent. Only a
// 421 matters: the refusal that may explain a connection the server then
// closes. Any other refusal leaves the next transaction to be judged by
// its own replies.
func (c *Client) readRSET(sent bool) (closing error, err error) {
	if !sent {
		return nil, nil
	}
	r, err := c.read(c.Timeouts.withDefaults().Command)
	if err != nil {
		return nil, err
	}
	if r.code == 421 {
		return r.check(250), nil
	}
	return nil, nil
}

// settle files the outcome of a message whose exchange has ended.
func (b *batch) settle(i int, res *Result, err error) {
	r := BatchResult{Result: res, Err: err}
	var serr *Error
	switch {
	case err == nil || errors.Is(err, ErrRecipientsRefused) && res != nil && len(res.Accepted) > 0:
		r.Status = Delivered
	case errors.As(err, &serr) || errors.Is(err, ErrRecipientsRefused):
		r.Status = Refused
	case res != nil && res.sent:
		r.Status = Unknown // the exchange died after the data went out
	default:
		r.Status = NotSent
	}
	b.results[i] = r
}
