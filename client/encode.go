package client

import (
	"bytes"
	"io"
)

// lineEncoder turns message data into canonical SMTP form: every line
// ends in CRLF, a bare CR or a bare LF included (RFC 5321 §2.3.8), and,
// for DATA, a line starting with "." gets another (§4.5.2). It keeps its
// state across calls, so the input may be split anywhere.
type lineEncoder struct {
	dotStuff  bool
	lineStart bool // the next byte starts a line
	cr        bool // a CR was seen and not yet written
}

func newLineEncoder(dotStuff bool) lineEncoder {
	return lineEncoder{dotStuff: dotStuff, lineStart: true}
}

type byteWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// encode works on runs between line-ending bytes rather than byte by byte:
// IndexByte is vectorised, and most message bytes are in long runs.
func (e *lineEncoder) encode(w byteWriter, p []byte) {
	for len(p) > 0 {
		if e.cr {
			e.cr = false
			e.endLine(w)
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
			if e.dotStuff && e.lineStart && run[0] == '.' {
				w.WriteByte('.')
			}
			w.Write(run)
			e.lineStart = false
		}
		if i < 0 {
			return
		}
		if p[i] == '\r' {
			e.cr = true
		} else {
			e.endLine(w)
		}
		p = p[i+1:]
	}
}

// unchanged reports whether encode, and finish if last, would pass p
// through as it is: no dot to stuff, every CR followed by LF and every LF
// preceded by CR, and the message ends with a line ending if last. It
// moves the state past p when it does.
func (e *lineEncoder) unchanged(p []byte, last bool) bool {
	if e.dotStuff || e.cr || len(p) == 0 {
		return false
	}
	if p[0] == '\n' || p[len(p)-1] == '\r' || last && p[len(p)-1] != '\n' {
		return false
	}
	// With as many CRs as LFs, every LF following a CR proves that every
	// CR precedes an LF too.
	n := bytes.Count(p, []byte{'\n'})
	if n != bytes.Count(p, []byte{'\r'}) || !lfsFollowCR(p, n, true) {
		return false
	}
	e.lineStart = p[len(p)-1] == '\n'
	return true
}

// lfsFollowCR reports whether each of the n LFs in p follows a CR. A
// search per line costs more than the line's bytes, and large messages are
// mostly base64 with lines of one length (RFC 2045 §6.8), so with guess it
// first looks for the next LF where the last line's length puts it. A guess
// can jump over an LF, which leaves LFs uncounted when the search runs out:
// then it looks again, searching every line.
func lfsFollowCR(p []byte, n int, guess bool) bool {
	for i, step, found := -1, 0, 0; found < n; found++ {
		j := i + step
		if !guess || step == 0 || j >= len(p) || p[j] != '\n' {
			k := bytes.IndexByte(p[i+1:], '\n')
			if k < 0 {
				return guess && lfsFollowCR(p, n, false)
			}
			j = i + 1 + k
		}
		if j == 0 || p[j-1] != '\r' {
			return false
		}
		step, i = j-i, j
	}
	return true
}

// finish ends the last line, if the input left one open.
func (e *lineEncoder) finish(w byteWriter) {
	if e.cr || !e.lineStart {
		e.cr = false
		e.endLine(w)
	}
}

func (e *lineEncoder) endLine(w byteWriter) {
	w.WriteString("\r\n")
	e.lineStart = true
}
