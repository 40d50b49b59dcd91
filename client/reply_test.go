package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// readString runs readReply over s with the buffer size the Client uses.
func readString(s string) (*reply, error) {
	return readReply(bufio.NewReaderSize(strings.NewReader(s), maxLineLength))
}

// multiline builds a reply from line texts: multiline(250, "a", "b") is
// "250-a\r\n250 b\r\n".
func multiline(code int, texts ...string) string {
	var b strings.Builder
	for i, text := range texts {
		sep := "-"
		if i == len(texts)-1 {
			sep = " "
		}
		fmt.Fprintf(&b, "%03d%s%s\r\n", code, sep, text)
	}
	return b.String()
}

// textsOfSize returns line texts that, each with its 4-byte "250-" prefix
// and without line endings, add up to n bytes (n > 4).
func textsOfSize(n int) []string {
	var texts []string
	for ; n > 4000; n -= 4000 {
		texts = append(texts, strings.Repeat("a", 3996))
	}
	return append(texts, strings.Repeat("a", n-4))
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		code  int
		lines []string
	}{
		{"single line", "250 OK\r\n", 250, []string{"OK"}},
		{"multi-line", "250-mail.example.com Hello\r\n250-PIPELINING\r\n250 SIZE 35882577\r\n", 250,
			[]string{"mail.example.com Hello", "PIPELINING", "SIZE 35882577"}},
		{"bare code", "250\r\n", 250, []string{""}},
		{"code and space", "250 \r\n", 250, []string{""}},
		{"empty continuation", "250-\r\n250 last\r\n", 250, []string{"", "last"}},
		{"LF endings", "250-a\n250 b\n", 250, []string{"a", "b"}},
		{"mixed endings", "250-a\r\n250 b\n", 250, []string{"a", "b"}},
		{"lowest code", "200 x\r\n", 200, []string{"x"}},
		{"highest code", "599 x\r\n", 599, []string{"x"}},
		{"spaces and tab kept", "550 5.1.1  No\tsuch user \r\n", 550, []string{"5.1.1  No\tsuch user "}},
		{"non-ASCII kept", "250 h\u00e9llo\r\n", 250, []string{"h\u00e9llo"}},
		{"ANSI colour", "550 \x1b[31mred\x1b[0m\r\n", 550, []string{"?[31mred?[0m"}},
		{"OSC title in continuation", "250-\x1b]0;pwned\x07\r\n250 ok\r\n", 250, []string{"?]0;pwned?", "ok"}},
		{"NUL BEL BS DEL", "250 a\x00b\x07c\x08d\x7fe\r\n", 250, []string{"a?b?c?d?e"}},
		{"bare CR inside", "250 a\rb\r\n", 250, []string{"a?b"}},
		{"CR CR LF", "250 a\r\r\n", 250, []string{"a?"}},
		{"C1 CSI", "550 \u009b31mred\u009b0m\r\n", 550, []string{"?31mred?0m"}},
		{"C1 NEL", "250 a\u0085250 forged\r\n", 250, []string{"a?250 forged"}},
		{"C1 range ends", "250 \u0080\u009f\u00a0\r\n", 250, []string{"??\u00a0"}},
		{"C0 next to non-ASCII", "250 \x1b\u00e9\r\n", 250, []string{"?\u00e9"}},
		{"invalid UTF-8", "250 a\xffb\xc3\r\n", 250, []string{"a?b?"}},
		{"encoded surrogate", "250 \xed\xa0\x80\r\n", 250, []string{"???"}},
		{"U+FFFD kept", "250 \ufffd\r\n", 250, []string{"\ufffd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readString(tt.in)
			if err != nil {
				t.Fatalf("readReply(%q): %v", tt.in, err)
			}
			if r.code != tt.code || !slices.Equal(r.lines(), tt.lines) {
				t.Errorf("readReply(%q) = %d %q, want %d %q", tt.in, r.code, r.lines(), tt.code, tt.lines)
			}
			if want := strings.Join(tt.lines, "\n"); r.text() != want {
				t.Errorf("text() = %q, want %q", r.text(), want)
			}
		})
	}
}

// TestReadReplyTextMatchesTextproto checks code and text against
// net/textproto on replies both accept.
func TestReadReplyTextMatchesTextproto(t *testing.T) {
	for _, in := range []string{
		"250 OK\r\n",
		"250 \r\n",
		"250-a\n250 b\n",
		"550-5.1.1 first\r\n550-\r\n550 5.1.1 last\r\n",
		"250-mail.example.com\r\n250-PIPELINING\r\n250 SIZE 35882577\r\n",
	} {
		r, err := readString(in)
		if err != nil {
			t.Fatalf("readReply(%q): %v", in, err)
		}
		code, msg, err := textproto.NewReader(bufio.NewReader(strings.NewReader(in))).ReadResponse(0)
		if err != nil {
			t.Fatalf("textproto ReadResponse(%q): %v", in, err)
		}
		if r.code != code || r.text() != msg {
			t.Errorf("readReply(%q) = %d %q, textproto %d %q", in, r.code, r.text(), code, msg)
		}
	}
}

func TestReadReplyProtocolErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"mixed codes", "250-a\r\n251 b\r\n"},
		{"mixed classes", "250-a\r\n550 b\r\n"},
		{"code 099", "099 x\r\n"},
		{"code 199", "199 x\r\n"},
		{"code 600", "600 x\r\n"},
		{"letter in code", "2x0 x\r\n"},
		{"two digits", "25\r\n"},
		{"two digits and text", "25 x\r\n"},
		{"no separator", "250x\r\n"},
		{"tab separator", "250\tx\r\n"},
		{"leading space", " 250 x\r\n"},
		{"empty line", "\r\n"},
		{"continuation without code", "250-a\r\nb\r\n"},
		{"malformed last line", "250-a\r\n25\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readString(tt.in)
			if !errors.Is(err, ErrProtocol) || r != nil {
				t.Errorf("readReply(%q) = %v, %v; want nil, ErrProtocol", tt.in, r, err)
			}
		})
	}
}

func TestReadReplyLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	lines := func(n int) []string { return slices.Repeat([]string{"a"}, n) }
	tests := []struct {
		name  string
		in    string
		lines []string // nil: ErrProtocol
	}{
		// maxLineLength counts the line ending.
		{"maxLineLength-1 bytes", multiline(250, long(maxLineLength-7)), []string{long(maxLineLength - 7)}},
		{"maxLineLength bytes", multiline(250, long(maxLineLength-6)), []string{long(maxLineLength - 6)}},
		{"maxLineLength bytes with LF", "250 " + long(maxLineLength-5) + "\n", []string{long(maxLineLength - 5)}},
		{"maxLineLength+1 bytes", multiline(250, long(maxLineLength-5)), nil},
		{"maxLineLength+1 bytes with LF", "250 " + long(maxLineLength-4) + "\n", nil},
		{"long continuation line", multiline(250, long(maxLineLength-5), "a"), nil},
		{"maxReplyLines lines", multiline(250, lines(maxReplyLines)...), lines(maxReplyLines)},
		{"maxReplyLines+1 lines", multiline(250, lines(maxReplyLines+1)...), nil},
		// maxReplyBytes counts the lines without their endings.
		{"maxReplyBytes bytes", multiline(250, textsOfSize(maxReplyBytes)...), textsOfSize(maxReplyBytes)},
		{"maxReplyBytes+1 bytes", multiline(250, textsOfSize(maxReplyBytes+1)...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readString(tt.in)
			if tt.lines == nil {
				if !errors.Is(err, ErrProtocol) || r != nil {
					t.Errorf("readReply = %v, %v; want nil, ErrProtocol", r, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("readReply: %v", err)
			}
			if r.code != 250 || !slices.Equal(r.lines(), tt.lines) {
				t.Errorf("readReply = %d with %d lines, want 250 with %d lines", r.code, len(r.lines()), len(tt.lines))
			}
		})
	}
}

// TestReadReplyEOF documents that a stream ending before a reply is
// complete gives io.EOF itself, not io.ErrUnexpectedEOF, even mid-reply.
func TestReadReplyEOF(t *testing.T) {
	tests := []struct{ name, in string }{
		{"no data", ""},
		{"partial code", "25"},
		{"last line without line ending", "250 OK"},
		{"after a continuation line", "250-a\r\n"},
		{"inside the last line", "250-a\r\n250 b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readString(tt.in)
			if err != io.EOF || r != nil {
				t.Errorf("readReply(%q) = %v, %v; want nil, io.EOF", tt.in, r, err)
			}
		})
	}
}

func TestReadReplyReadsOneReply(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader("250-a\r\n250 b\r\n354 go\r\n"), maxLineLength)
	for _, want := range []struct {
		code  int
		lines []string
	}{{250, []string{"a", "b"}}, {354, []string{"go"}}} {
		r, err := readReply(br)
		if err != nil {
			t.Fatal(err)
		}
		if r.code != want.code || !slices.Equal(r.lines(), want.lines) {
			t.Errorf("readReply = %d %q, want %d %q", r.code, r.lines(), want.code, want.lines)
		}
	}
	if r, err := readReply(br); err != io.EOF {
		t.Errorf("third readReply = %v, %v; want io.EOF", r, err)
	}
}

// repeatReader yields prefix, then unit over and over until left bytes of
// it have been read, without ever holding more than one unit.
type repeatReader struct {
	prefix, unit string
	left         int64 // bytes of unit repetitions still to yield
	pos          int   // offset in unit
	read         int64 // bytes yielded in all
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.prefix != "" {
			c := copy(p[n:], r.prefix)
			r.prefix = r.prefix[c:]
			n += c
			continue
		}
		if r.left == 0 {
			break
		}
		chunk := r.unit[r.pos:]
		if int64(len(chunk)) > r.left {
			chunk = chunk[:r.left]
		}
		c := copy(p[n:], chunk)
		r.pos = (r.pos + c) % len(r.unit)
		r.left -= int64(c)
		n += c
	}
	r.read += int64(n)
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestReadReplyMemoryBound feeds 64 MiB replies that never end and checks
// that readReply gives up having allocated, and read, a bounded amount.
// It asserts on memory, not time.
func TestReadReplyMemoryBound(t *testing.T) {
	const size = 64 << 20
	tests := []struct {
		name         string
		prefix, unit string
		maxRead      int64
	}{
		{"one endless line", "250-", "a", maxLineLength},
		{"endless short lines", "", "250-a\r\n", maxReplyLines*7 + maxLineLength},
		{"endless long lines", "", "250-" + strings.Repeat("a", maxLineLength-6) + "\r\n", maxReplyBytes + 3*maxLineLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &repeatReader{prefix: tt.prefix, unit: tt.unit, left: size}
			br := bufio.NewReaderSize(src, maxLineLength)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := readReply(br)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrProtocol) || r != nil {
				t.Errorf("readReply = %v, %v; want nil, ErrProtocol", r, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew >= 4<<20 {
				t.Errorf("readReply allocated %d bytes, want < 4 MiB", grew)
			}
			if src.read > tt.maxRead {
				t.Errorf("readReply read %d bytes, want at most %d", src.read, tt.maxRead)
			}
		})
	}
}

func TestParseReplyLine(t *testing.T) {
	tests := []struct {
		in   string
		code int
		more bool
		text string
		ok   bool
	}{
		{"250 OK", 250, false, "OK", true},
		{"250-OK", 250, true, "OK", true},
		{"250", 250, false, "", true},
		{"250 ", 250, false, "", true},
		{"250-", 250, true, "", true},
		{"354 Start mail input; end with <CRLF>.<CRLF>", 354, false, "Start mail input; end with <CRLF>.<CRLF>", true},
		{"550 5.1.1 a-b  c ", 550, false, "5.1.1 a-b  c ", true},
		{"250 a\x1b[2Jb", 250, false, "a?[2Jb", true},
		{"200 x", 200, false, "x", true},
		{"599 x", 599, false, "x", true},
		{in: ""},
		{in: "25"},
		{in: "099 x"},
		{in: "199 x"},
		{in: "600 x"},
		{in: "2x0 x"},
		{in: "25x x"},
		{in: "250x"},
		{in: "250\tx"},
		{in: "250_x"},
		{in: " 250 x"},
		{in: "x250 x"},
	}
	for _, tt := range tests {
		code, more, out, err := parseReplyLine(nil, []byte(tt.in))
		text := string(out)
		if !tt.ok {
			if !errors.Is(err, ErrProtocol) || code != 0 || more || text != "" {
				t.Errorf("parseReplyLine(%q) = %d, %t, %q, %v; want ErrProtocol", tt.in, code, more, text, err)
			}
			continue
		}
		if err != nil || code != tt.code || more != tt.more || text != tt.text {
			t.Errorf("parseReplyLine(%q) = %d, %t, %q, %v; want %d, %t, %q", tt.in, code, more, text, err, tt.code, tt.more, tt.text)
		}
	}
}

// TestParseReplyLineErrorIsShort checks that a malformed line is quoted in
// the error only up to 64 bytes.
func TestParseReplyLineErrorIsShort(t *testing.T) {
	_, _, _, err := parseReplyLine(nil, []byte(strings.Repeat("x", 1000)))
	if err == nil {
		t.Fatal("parseReplyLine accepted 1000 x")
	}
	if msg := err.Error(); !strings.Contains(msg, strings.Repeat("x", 64)) || strings.Contains(msg, strings.Repeat("x", 65)) {
		t.Errorf("error %q should quote exactly the first 64 bytes", msg)
	}
}

// checkError checks that err is the *Error net/smtp callers expect for a
// reply with this code and text.
func checkError(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != code || e.Msg != msg {
		t.Errorf("*Error = %d %q, want %d %q", e.Code, e.Msg, code, msg)
	}
	var tp *textproto.Error
	if !errors.As(err, &tp) {
		t.Fatalf("errors.As finds no *textproto.Error in %v", err)
	}
	if tp.Code != code || tp.Msg != msg {
		t.Errorf("*textproto.Error = %d %q, want %d %q", tp.Code, tp.Msg, code, msg)
	}
	// Error's text is whatever net/textproto's is on this Go version:
	// "%03d %s" until the CVE-2026-42507 fix, "%03d %q" since.
	if want := tp.Error(); err.Error() != want {
		t.Errorf("Error() = %q, want net/textproto's %q", err.Error(), want)
	}
}

func TestReplyCheck(t *testing.T) {
	tests := []struct {
		code, expect int
		ok           bool
	}{
		{250, 0, true},
		{550, 0, true},
		{250, -1, true},
		{250, 2, true},
		{251, 2, true},
		{354, 2, false},
		{550, 2, false},
		{354, 3, true},
		{421, 4, true},
		{450, 5, false},
		{250, 25, true},
		{251, 25, true},
		{220, 25, false},
		{550, 25, false},
		{250, 250, true},
		{251, 250, false},
		{550, 250, false},
		{220, 220, true},
		{354, 354, true},
		{221, 221, true},
	}
	for _, tt := range tests {
		const msg = "5.1.1 No such user\nsecond line"
		r := &reply{code: tt.code, buf: []byte(msg + "\n"), n: 2}
		err := r.check(tt.expect)

		// net/textproto's own ReadCodeLine is the reference.
		in := fmt.Sprintf("%03d x\r\n", tt.code)
		_, _, tpErr := textproto.NewReader(bufio.NewReader(strings.NewReader(in))).ReadCodeLine(tt.expect)
		if (tpErr == nil) != tt.ok {
			t.Fatalf("test table disagrees with textproto for %d, expect %d", tt.code, tt.expect)
		}

		if tt.ok {
			if err != nil {
				t.Errorf("check(%d) on %d = %v, want nil", tt.expect, tt.code, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("check(%d) on %d = nil, want *Error", tt.expect, tt.code)
			continue
		}
		checkError(t, err, tt.code, msg)
	}
}

// TestErrorMatchesTextproto compares the error for a refused multi-line
// reply with the one net/textproto returns for the same bytes.
func TestErrorMatchesTextproto(t *testing.T) {
	const in = "550-5.1.1 No such user\r\n550 5.1.1 Try another\r\n"
	r, err := readString(in)
	if err != nil {
		t.Fatal(err)
	}
	err = r.check(250)
	checkError(t, err, 550, "5.1.1 No such user\n5.1.1 Try another")
	_, _, tpErr := textproto.NewReader(bufio.NewReader(strings.NewReader(in))).ReadResponse(250)
	var want *textproto.Error
	if !errors.As(tpErr, &want) {
		t.Fatalf("textproto ReadResponse: %v", tpErr)
	}
	var got *textproto.Error
	if errors.As(err, &got) && *got != *want {
		t.Errorf("*textproto.Error = %+v, textproto's own %+v", *got, *want)
	}
	var e *Error
	if errors.As(err, &e) && e.EnhancedCode != (EnhancedCode{5, 1, 1}) {
		t.Errorf("EnhancedCode = %v, want 5.1.1", e.EnhancedCode)
	}
}

func TestParseEnhancedCode(t *testing.T) {
	tests := []struct {
		code int
		msg  string
		want EnhancedCode
	}{
		{550, "5.1.1 User unknown", EnhancedCode{5, 1, 1}},
		{250, "2.0.0 OK", EnhancedCode{2, 0, 0}},
		{421, "4.7.0 Try again later", EnhancedCode{4, 7, 0}},
		{535, "5.7.8 Authentication credentials invalid", EnhancedCode{5, 7, 8}},
		{550, "5.1.1", EnhancedCode{5, 1, 1}},
		{550, "5.999.999 x", EnhancedCode{5, 999, 999}},
		{550, "5.1.1 first\n5.1.1 second", EnhancedCode{5, 1, 1}},
		// Leading zeros are accepted: RFC 3463 does not forbid them.
		{550, "5.01.1 x", EnhancedCode{5, 1, 1}},
		{550, "5.001.001 x", EnhancedCode{5, 1, 1}},

		{550, "2.0.0 x", EnhancedCode{}},   // class must match the reply
		{250, "5.0.0 x", EnhancedCode{}},   // class must match the reply
		{354, "3.0.0 x", EnhancedCode{}},   // class is 2, 4 or 5
		{550, "5.1 x", EnhancedCode{}},     // two parts
		{550, "5.1.1.1 x", EnhancedCode{}}, // four parts
		{550, "5.1000.1 x", EnhancedCode{}},
		{550, "5.1.1000 x", EnhancedCode{}},
		{550, "55.1.1 x", EnhancedCode{}},
		{550, "05.1.1 x", EnhancedCode{}},
		{550, "5..1 x", EnhancedCode{}},
		{550, "5.1. x", EnhancedCode{}},
		{550, ".1.1 x", EnhancedCode{}},
		{550, "5.1.1x y", EnhancedCode{}},
		{550, "5.a.1 x", EnhancedCode{}},
		{550, "5.+1.1 x", EnhancedCode{}},
		{550, "5.-1.1 x", EnhancedCode{}},
		{550, "5.-0.1 x", EnhancedCode{}}, // RFC 3463 §2: 1*3digit, no sign
		{550, "5.+0.1 x", EnhancedCode{}},
		{550, "5.1.-0 x", EnhancedCode{}},
		{550, "5.1.1\tx", EnhancedCode{}},
		{550, " 5.1.1 x", EnhancedCode{}},
		{550, "User unknown", EnhancedCode{}},
		{550, "", EnhancedCode{}},
	}
	for _, tt := range tests {
		if got := parseEnhancedCode(tt.code, tt.msg); got != tt.want {
			t.Errorf("parseEnhancedCode(%d, %q) = %v, want %v", tt.code, tt.msg, got, tt.want)
		}
	}
}

func TestEnhancedCodeString(t *testing.T) {
	tests := []struct {
		c    EnhancedCode
		want string
	}{
		{EnhancedCode{5, 7, 8}, "5.7.8"},
		{EnhancedCode{2, 0, 0}, "2.0.0"},
		{EnhancedCode{4, 999, 10}, "4.999.10"},
		{EnhancedCode{}, ""},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("EnhancedCode%v.String() = %q, want %q", [3]int(tt.c), got, tt.want)
		}
	}
}

func TestErrorTemporary(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{250, false},
		{354, false},
		{400, true},
		{421, true},
		{450, true},
		{499, true},
		{500, false},
		{550, false},
	}
	for _, tt := range tests {
		if got := newError(tt.code, "x").Temporary(); got != tt.want {
			t.Errorf("Error{Code: %d}.Temporary() = %t, want %t", tt.code, got, tt.want)
		}
	}
}
