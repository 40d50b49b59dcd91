package client

import (
	"bufio"
	"bytes"
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
	return &dataWriter{c: c, w: c.Text.W, lineStart: true}, nil
}

// dataWriter encodes message data for DATA (RFC 5321 §4.1.1.4).
type dataWriter struct {
	c         *Client
	w         *bufio.Writer
	lineStart bool // the next byte starts a line
	cr        bool // a CR was seen and not yet written
	closed    bool
	n         int64 // bytes accepted, for the trace
}

var errWriterClosed = errors.New("smtp: write to closed DATA writer")

func (d *dataWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, errWriterClosed
	}
	if err := d.c.arm(d.c.Timeouts.withDefaults().DataBlock); err != nil {
		return 0, err
	}
	d.encode(p)
	// bufio.Writer keeps its first error; an empty write returns it.
	if _, err := d.w.Write(nil); err != nil {
		return 0, d.c.fail(err)
	}
	d.n += int64(len(p))
	return len(p), nil
}

// encode works on runs between line-ending bytes rather than byte by byte:
// IndexByte is vectorised, and most message bytes are in long runs.
func (d *dataWriter) encode(p []byte) {
	for len(p) > 0 {
		if d.cr {
			d.cr = false
			d.endLine()
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		i := bytes.IndexByte(p, '\n')
		search := p
		if i >= 0 {
			search = p[:i]
		}
		if j := bytes.IndexByte(search, '\r'); j >= 0 {
			i = j
		}
		run := p
		if i >= 0 {
			run = p[:i]
		}
		if len(run) > 0 {
			if d.lineStart && run[0] == '.' {
				d.w.WriteByte('.')
			}
			d.w.Write(run)
			d.lineStart = false
		}
		if i < 0 {
			return
		}
		if p[i] == '\r' {
			d.cr = true
		} else {
			d.endLine()
		}
		p = p[i+1:]
	}
}

func (d *dataWriter) endLine() {
	d.w.WriteString("\r\n")
	d.lineStart = true
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
	if d.cr || !d.lineStart {
		d.endLine()
	}
	d.w.WriteString(".\r\n")
	c.trace("send", "[message data, "+strconv.FormatInt(d.n, 10)+" bytes]")
	c.trace("send", ".")
	if err := d.w.Flush(); err != nil {
		return c.fail(err)
	}
	r, err := c.read(t.DataEnd)
	if err != nil {
		return err
	}
	return r.check(250)
}
