package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/smtpauth/smtpauth/auth"
)

// hasControl reports whether s holds a control character other than tab:
// C0, DEL, or a C1 control (U+0080 to U+009F, such as U+009B CSI).
func hasControl(s string) bool {
	for _, r := range s {
		if r != '\t' && unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// FuzzReadReply: readReply never panics, fails only with io.EOF or
// ErrProtocol, and what it accepts is within the limits and printable.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250 OK\r\n",
		"250-mail.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
		"250\n",
		"250-\r\n250 \r\n",
		"550 5.1.1 \x1b[31mNo\x00 such\x7f user\r\n",
		"250 \u009b31m\u0085\xff\xc3\r\n",
		"250-a\r\n251 b\r\n",
		"600 x\r\n",
		"250-a\r\n",
		"",
		"250 " + strings.Repeat("a", maxLineLength) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readReply(bufio.NewReaderSize(bytes.NewReader(data), maxLineLength))
		if err != nil {
			if r != nil {
				t.Errorf("reply %+v returned with error %v", r, err)
			}
			if err != io.EOF && !errors.Is(err, ErrProtocol) {
				t.Errorf("error %v is neither io.EOF nor ErrProtocol", err)
			}
			return
		}
		if r.code < 200 || r.code > 599 {
			t.Errorf("code %d outside 200..599", r.code)
		}
		if len(r.lines()) == 0 || len(r.lines()) > maxReplyLines {
			t.Errorf("%d lines, want 1..%d", len(r.lines()), maxReplyLines)
		}
		total := 0
		for _, line := range r.lines() {
			if hasControl(line) || !utf8.ValidString(line) {
				t.Errorf("line %q holds a control character or invalid UTF-8", line)
			}
			total += len(line)
		}
		if total > maxReplyBytes {
			t.Errorf("%d bytes of text, want at most %d", total, maxReplyBytes)
		}
	})
}

// FuzzParseEHLO: every mechanism is valid, upper case, listed once, and
// sent by the server; every keyword is valid and sent by the server.
func FuzzParseEHLO(f *testing.F) {
	for _, s := range []string{
		"PIPELINING\nSIZE 35882577\n8bitmime\nSTARTTLS",
		"AUTH PLAIN LOGIN\nAUTH=LOGIN CRAM-MD5\nauth plain xoauth2",
		"AUTH PL@IN ABCDEFGHIJKLMNOPQRSTU LO\x01GIN",
		"AUTH\nAUTH=",
		"-FOO\nFO O\n\n SIZE 1",
		"AUTH pla\u0131n LOGIN\nSTARTTL\u017f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ext, mechs := parseEHLO(strings.Split(text, "\n"))
		// What the server sent, ASCII letters upper-cased, computed
		// independently of upperASCII.
		sent := strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, text)
		seen := make(map[string]bool)
		for _, m := range mechs {
			if c, ok := auth.CanonicalMechanism(m); !ok || c != m {
				t.Errorf("invalid mechanism %q", m)
			}
			if seen[m] {
				t.Errorf("mechanism %q listed twice in %q", m, mechs)
			}
			seen[m] = true
			if !strings.Contains(sent, m) {
				t.Errorf("mechanism %q was not sent", m)
			}
		}
		for k := range ext {
			if !validKeyword(k) || !strings.Contains(sent, k) {
				t.Errorf("keyword %q is invalid or was not sent", k)
			}
		}
		auth, ok := ext["AUTH"]
		if len(mechs) > 0 && !ok {
			t.Errorf("mechanisms %q but no AUTH keyword", mechs)
		}
		if want := strings.Join(mechs, " "); ok && auth != want {
			t.Errorf(`ext["AUTH"] = %q, want %q`, auth, want)
		}
	})
}

// FuzzDataWriter: the receiver reads back the normalized message, the
// wire is canonical, and splitting the message into two writes at any
// point changes nothing.
func FuzzDataWriter(f *testing.F) {
	for _, tt := range dataTests {
		f.Add([]byte(tt.in), uint(len(tt.in)/2))
	}
	f.Fuzz(func(t *testing.T, msg []byte, split uint) {
		k := int(split % uint(len(msg)+1))
		wire := sendData(t, string(msg))
		if err := dataWireError(string(msg), wire); err != nil {
			t.Errorf("data %q sent as %q: %v", msg, wire, err)
		}
		if got := sendData(t, string(msg[:k]), string(msg[k:])); got != wire {
			t.Errorf("data %q written as %q + %q sent as %q, in one write %q", msg, msg[:k], msg[k:], got, wire)
		}
	})
}
