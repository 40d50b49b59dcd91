package client

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// Data issues a DATA command to the server and returns a writer that
// can be used to write the mail headers and body. The caller should
// close the writer before calling any more methods on c. A call to
// Data must be preceded by one or more calls to Rcpt.
//
// The writer sends every line ending as CRLF: a bare CR or a bare LF in the
// message becomes CRLF, as RFC 5321 §2.3.8 requires, so that no server or
// relay can read a different message than the one written ("SMTP
// smuggling"). Lines starting with "." are dot-stuffed (§4.5.2), and a
// missing final line ending is added.
func (c *Client) Data() (io.WriteCloser, error) {
	t := c.Timeouts.withDefaults()
	if err := c.writeLine(t.DataStart, "DATA", "DATA"); err != nil {
		return nil, err
	}
	r, err := c.read(t.DataStart)
	if err != nil {
		return nil, err
	}
	if err := r.check(354); err != nil {
		return nil, err
	}
	return &dataWriter{c: c, w: c.Text.W, enc: newLineEncoder(true)}, nil
}

// dataWriter encodes message data for DATA (RFC 5321 §4.1.1.4).
type dataWriter struct {
	c        *Client
	w        *bufio.Writer
	enc      lineEncoder
	closed   bool
	n        int64  // bytes accepted, for the trace
	response string // the text of the final reply
	flushed  bool   // the final "." left the client
}

var errWriterClosed = errors.New("smtp: write to closed DATA writer")

func (d *dataWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, errWriterClosed
	}
	if err := d.c.arm(d.c.Timeouts.withDefaults().DataBlock); err != nil {
		return 0, err
	}
	d.enc.encode(d.w, p)
	// bufio.Writer keeps its first error; an empty write returns it.
	if _, err := d.w.Write(nil); err != nil {
		return 0, d.c.fail(err)
	}
	d.n += int64(len(p))
	return len(p), nil
}

// Close ends the data with CRLF "." CRLF and waits for the server's verdict
// on the message, at most Timeouts.DataEnd.
func (d *dataWriter) Close() error {
	if d.closed {
		return errWriterClosed
	}
	d.closed = true
	c := d.c
	t := c.Timeouts.withDefaults()
	if err := c.arm(t.DataBlock); err != nil {
		return err
	}
	d.enc.finish(d.w)
	d.w.WriteString(".\r\n")
	if c.Logger != nil {
		c.trace("send", "[message data, "+strconv.FormatInt(d.n, 10)+" bytes]")
		c.trace("send", ".")
	}
	if err := d.w.Flush(); err != nil {
		return c.fail(err)
	}
	d.flushed = true
	r, err := c.read(t.DataEnd)
	if err != nil {
		return err
	}
	d.response = r.text()
	return r.check(250)
}
