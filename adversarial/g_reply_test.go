package adversarial_test

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group G: reply parsing, line length, memory. A malicious server controls
// every byte of every reply: it must not make the client buffer without
// bound, accept a malformed reply as a valid one, or carry terminal
// control sequences into error texts and logs.

// TestG_Greeting: the greeting is the first thing a server can abuse;
// NewClient must fail cleanly, having sent nothing.
func TestG_Greeting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines string
		want  error // nil: a server refusal
	}{
		{"endless line", "S! " + strings.Repeat("x", 10000) + "\nHANG", client.ErrProtocol},
		{"554 refusal", "S: 554 5.3.2 go away", nil},
		{"mixed codes", "S: 220-mx.example.com\nS: 554 no", client.ErrProtocol},
		{"not SMTP", "S: SSH-2.0-OpenSSH_9.6", client.ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, tc.lines)
			_, err := client.NewClient(s.Dial(t), "mx.example.com")
			if tc.want == nil {
				wantCode(t, "NewClient", err, 554)
			} else {
				wantErr(t, "NewClient", err, tc.want)
			}
			s.Check(t)
			wantWire(t, s, "")
		})
	}
}

// replyLines builds a multi-line 250 reply of n lines of the given text.
func replyLines(n int, text string) string {
	parts := make([]string, n)
	for i := range parts {
		sep := "-"
		if i == n-1 {
			sep = " "
		}
		parts[i] = "S: 250" + sep + text
	}
	return script(parts...)
}

// noop runs NOOP against reply and returns its error; the script ends
// with QUIT when the reply is acceptable, and with nothing otherwise: a
// broken stream is closed without a word.
func noop(t *testing.T, reply string, ok bool) (*client.Client, *scripttest.Server, error) {
	t.Helper()
	rest := quit
	if !ok {
		rest = ""
	}
	s := scripttest.New(t, script(greet, ehlo(), "C: NOOP", reply, rest))
	c := dial(t, s, "mx.example.com")
	return c, s, c.Noop()
}

// TestG_ReplyBounds: one reply line is at most 4096 octets with its CRLF,
// one reply at most 256 lines and 64 KiB. Beyond, the stream is broken:
// ErrProtocol, and the connection is closed.
func TestG_ReplyBounds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply string
		ok    bool
	}{
		{"line at the limit", "S: 250 " + strings.Repeat("x", 4096-6), true},
		{"line over the limit", "S: 250 " + strings.Repeat("x", 4096-5), false},
		{"endless line", "S! 250 " + strings.Repeat("x", 100000) + "\nHANG", false},
		{"256 lines", replyLines(256, "X"), true},
		{"257 lines", replyLines(257, "X"), false},
		{"over 64 KiB in 20 lines", replyLines(20, strings.Repeat("x", 4000)), false},
		{"endless continuation", replyLines(5000, "X"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, err := noop(t, tc.reply, tc.ok)
			if tc.ok {
				must(t, err)
				must(t, c.Quit())
			} else {
				wantErr(t, "Noop", err, client.ErrProtocol)
				if err2 := c.Noop(); !errors.Is(err2, client.ErrProtocol) {
					t.Errorf("second Noop = %v, want the same error without I/O", err2)
				}
			}
			s.Check(t)
		})
	}
}

// TestG_MalformedReply: RFC 5321 §4.2 syntax or nothing.
func TestG_MalformedReply(t *testing.T) {
	for name, reply := range map[string]string{
		"four-digit code":         "S: 2500 ok",
		"two-digit code":          "S: 25 ok",
		"letters":                 "S: abc ok",
		"code 600":                "S: 600 ok",
		"code 199":                "S: 199 ok",
		"no separator":            "S: 250ok",
		"bad separator":           "S: 250_ok",
		"empty line":              "S: ",
		"leading space":           "S:  250 ok",
		"mixed codes":             "S: 250-ok\nS: 251 ok",
		"continuation code drift": "S: 250-ok\nS: 250-ok\nS: 550 no",
	} {
		t.Run(name, func(t *testing.T) {
			_, s, err := noop(t, reply, false)
			wantErr(t, "Noop", err, client.ErrProtocol)
			s.Check(t)
		})
	}
}

// TestG_ReplyTextSanitised: control characters (C0, DEL, C1), ANSI escape
// sequences and invalid UTF-8 in a reply become '?' in Error(), so that
// printing or logging an error cannot move a cursor, recolour a terminal
// or forge a line.
func TestG_ReplyTextSanitised(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"ANSI colour", "\x1b[31mred\x1b[0m", "?[31mred?[0m"},
		{"clear screen", "\x1b[2J\x1b[H", "?[2J?[H"},
		{"C1 CSI", "a\u009b31mb", "a?31mb"},
		{"NUL", "a\x00b", "a?b"},
		{"bare CR", "a\rforged line", "a?forged line"},
		{"DEL", "a\x7fb", "a?b"},
		{"backspace", "ok\b\b\bno", "ok???no"},
		{"invalid UTF-8", "a\xff\xfeb", "a??b"},
		{"tab kept", "a\tb", "a\tb"},
		{"UTF-8 kept", "refusé", "refusé"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, err := noop(t, "S: 550 "+tc.text, true)
			var se *client.Error
			if !errors.As(err, &se) || se.Msg != tc.want {
				t.Fatalf("Noop = %#v, want a 550 with text %q", err, tc.want)
			}
			if got, want := err.Error(), (&textproto.Error{Code: 550, Msg: tc.want}).Error(); got != want {
				t.Errorf("Error() = %q, want net/textproto's %q", got, want)
			}
			must(t, c.Quit())
			s.Check(t)
		})
	}
}

// TestG_EnhancedCode: an RFC 3463 code is read only when well formed and
// of the reply's class: the text cannot pass a 5xx off as 2.x.x.
func TestG_EnhancedCode(t *testing.T) {
	for _, tc := range []struct {
		text string
		want client.EnhancedCode
	}{
		{"5.7.8 invalid", client.EnhancedCode{5, 7, 8}},
		{"2.0.0 looks fine", client.EnhancedCode{}},
		{"5.9999.1 x", client.EnhancedCode{}},
		{"5.1 x", client.EnhancedCode{}},
		{"5.1.1.1 x", client.EnhancedCode{}},
		{"-5.1.1 x", client.EnhancedCode{}},
		{"55.1.1 x", client.EnhancedCode{}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			c, s, err := noop(t, "S: 550 "+tc.text, true)
			var se *client.Error
			if !errors.As(err, &se) || se.EnhancedCode != tc.want {
				t.Errorf("Noop = %#v, want enhanced code %v", err, tc.want)
			}
			must(t, c.Quit())
			s.Check(t)
		})
	}
}

// TestG_EHLOKeywords: keywords that break RFC 5321 §4.1.1.1 syntax are
// ignored rather than guessed at.
func TestG_EHLOKeywords(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("8BIT\x1bMIME", "PIPE LINING", "-SIZE 10", "SIZE=10", "DSN\x00", "CHUNKING"), quit))
	c := dial(t, s, "mx.example.com")
	for _, ext := range []string{"8BITMIME", "PIPELINING", "SIZE", "DSN"} {
		if ok, p := c.Extension(ext); ok {
			t.Errorf("Extension(%s) = true, %q", ext, p)
		}
	}
	if ok, _ := c.Extension("CHUNKING"); !ok {
		t.Error("CHUNKING lost")
	}
	must(t, c.Quit())
	s.Check(t)
}

// TestG_AbsurdSize: a SIZE parameter that is not a usable number must not
// break Send: no limit is assumed and the message's own size is declared.
func TestG_AbsurdSize(t *testing.T) {
	for _, param := range []string{
		"99999999999999999999", "18446744073709551616", "-1", "0", "0x10", "1e3", "10 junk", "",
	} {
		t.Run("SIZE "+param, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("SIZE "+param),
				"C: MAIL FROM:<a@example.org> SIZE=20", "S: 250 ok",
				"C: RCPT TO:<b@example.net>", "S: 250 ok",
				"C: DATA", "S: 354 go", "C: 0123456789abcdefgh", "C: .", "S: 250 ok", quit))
			c := dial(t, s, "mx.example.com")
			_, err := c.Send(t.Context(), &client.Envelope{From: "a@example.org", To: []string{"b@example.net"}},
				strings.NewReader("0123456789abcdefgh\r\n"))
			must(t, err)
			must(t, c.Quit())
			s.Check(t)
		})
	}
	t.Run("over the limit", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("SIZE 19"), quit))
		c := dial(t, s, "mx.example.com")
		_, err := c.Send(t.Context(), &client.Envelope{From: "a@example.org", To: []string{"b@example.net"}},
			strings.NewReader("0123456789abcdefgh\r\n"))
		wantErr(t, "Send", err, client.ErrMessageTooLarge)
		must(t, c.Quit())
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
}
