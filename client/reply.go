package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what the client accepts from a server. RFC 5321 §4.5.3.1.5
// caps a reply line at 512 octets; the margin tolerates verbose servers
// while keeping a hostile one from making the client buffer without end.
const (
	maxLineLength = 4096      // one reply line, CRLF included
	maxReplyLines = 256       // lines in one multi-line reply
	maxReplyBytes = 64 * 1024 // all lines of one reply
)

// reply is one complete server reply. The Client reuses one for every
// read, so that a successful exchange allocates nothing for its replies; a
// *reply is valid until the next read.
type reply struct {
	code int
	buf  []byte // the lines' texts, sanitised, each followed by '\n'
	n    int    // lines
}

// text joins the lines as net/textproto does, so that error texts match.
func (r *reply) text() string {
	if len(r.buf) == 0 {
		return ""
	}
	return string(r.buf[:len(r.buf)-1])
}

// lines returns the text of each line.
func (r *reply) lines() []string { return strings.Split(r.text(), "\n") }

// firstLine returns the text of the first line, in r's buffer.
func (r *reply) firstLine() []byte {
	i := bytes.IndexByte(r.buf, '\n')
	return r.buf[:i]
}

// check returns an *Error unless r's code matches expectCode, which follows
// net/textproto's convention: 2 means 2xx, 25 means 25x, 250 means 250, and
// 0 accepts any code.
func (r *reply) check(expectCode int) error {
	ok := true
	switch {
	case expectCode <= 0:
	case expectCode < 10:
		ok = r.code/100 == expectCode
	case expectCode < 100:
		ok = r.code/10 == expectCode
	default:
		ok = r.code == expectCode
	}
	if ok {
		return nil
	}
	return newError(r.code, r.text())
}

// readReply reads one reply into a new reply; see readReplyInto.
func readReply(br *bufio.Reader) (*reply, error) {
	r := new(reply)
	if err := readReplyInto(br, r); err != nil {
		return nil, err
	}
	return r, nil
}

// readReplyInto reads one reply into r, reusing its buffer, and enforcing
// the limits above. Any error leaves the stream out of step; the caller
// must not reuse it.
func readReplyInto(br *bufio.Reader, r *reply) error {
	r.code, r.buf, r.n = 0, r.buf[:0], 0
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("%w: reply line longer than %d bytes", ErrProtocol, maxLineLength)
		}
		if err != nil {
			return err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		total += len(line)
		if total > maxReplyBytes || r.n == maxReplyLines {
			return fmt.Errorf("%w: reply longer than %d lines or %d bytes", ErrProtocol, maxReplyLines, maxReplyBytes)
		}
		code, more, buf, err := parseReplyLine(r.buf, line)
		if err != nil {
			return err
		}
		if r.n > 0 && code != r.code {
			return fmt.Errorf("%w: reply mixes codes %d and %d", ErrProtocol, r.code, code)
		}
		r.code, r.buf, r.n = code, append(buf, '\n'), r.n+1
		if !more {
			return nil
		}
	}
}

// parseReplyLine splits one line of RFC 5321 §4.2 syntax:
// Reply-code [ SP textstring ] for the last line, Reply-code "-" text before.
// It appends the text, sanitised, to dst.
func parseReplyLine(dst, line []byte) (code int, more bool, text []byte, err error) {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
		return 0, false, dst, fmt.Errorf("%w: malformed reply line %q", ErrProtocol, truncate(line))
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) > 3 {
		switch line[3] {
		case '-':
			more = true
		case ' ':
		default:
			return 0, false, dst, fmt.Errorf("%w: malformed reply line %q", ErrProtocol, truncate(line))
		}
		line = line[4:]
	} else {
		line = nil
	}
	return code, more, appendSanitized(dst, line), nil
}

// appendSanitized appends b to dst with control characters (C0, DEL, C1),
// bidirectional overrides, line separators and invalid UTF-8 replaced by
// '?', so that reply text cannot move a terminal's cursor, reorder what a
// reader sees, or forge lines when it is printed or logged.
func appendSanitized(dst, b []byte) []byte {
	for len(b) > 0 {
		if c := b[0]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' || c == 0x7f {
				c = '?'
			}
			dst = append(dst, c)
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r <= 0x9f || r == utf8.RuneError && n == 1 || invisible(r) {
			dst = append(dst, '?')
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// invisible reports format characters that change how text around them
// reads: bidirectional marks, embeddings, overrides and isolates, and the
// Unicode line and paragraph separators.
func invisible(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || 0x2028 <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// Error is a reply from the server that the client did not expect, usually
// a 4xx or 5xx refusal. Its text is net/textproto's, and errors.As finds a
// *textproto.Error in it, so code written for net/smtp keeps working.
type Error struct {
	Code int    // three-digit reply code
	Msg  string // reply text, lines joined by "\n", enhanced code included

	// EnhancedCode is the RFC 3463 status code that RFC 2034 servers put
	// at the start of the text, or the zero value if there is none.
	EnhancedCode EnhancedCode
}

func newError(code int, msg string) *Error {
	return &Error{Code: code, Msg: msg, EnhancedCode: parseEnhancedCode(code, msg)}
}

// Error returns the text net/textproto's Error of the running Go version
// would, so that code matching net/smtp's error texts keeps matching.
func (e *Error) Error() string { return e.Unwrap().Error() }

// Unwrap exposes the error as the *textproto.Error net/smtp would return.
func (e *Error) Unwrap() error { return &textproto.Error{Code: e.Code, Msg: e.Msg} }

// Temporary reports whether the server called the failure transient (4xx),
// so that the same command may succeed later.
func (e *Error) Temporary() bool { return e.Code/100 == 4 }

// EnhancedCode is an RFC 3463 status code class.subject.detail, such as
// 5.7.8 (authentication credentials invalid).
type EnhancedCode [3]int

// String formats the code as "5.7.8", or "" for the zero value.
func (c EnhancedCode) String() string {
	if c == (EnhancedCode{}) {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

// parseEnhancedCode reads the RFC 3463 §2 code at the start of msg. RFC 2034
// §3 requires its class to match the reply's first digit; a mismatch means
// the text only looks like a code.
func parseEnhancedCode(code int, msg string) EnhancedCode {
	word, _, _ := strings.Cut(msg, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 {
		return EnhancedCode{}
	}
	var ec EnhancedCode
	for i, p := range parts {
		// class is one digit, subject and detail one to three.
		if p == "" || len(p) > 3 || (i == 0 && len(p) != 1) || strings.Trim(p, "0123456789") != "" {
			return EnhancedCode{}
		}
		ec[i], _ = strconv.Atoi(p)
	}
	if ec[0] != code/100 || (ec[0] != 2 && ec[0] != 4 && ec[0] != 5) {
		return EnhancedCode{}
	}
	return ec
}
