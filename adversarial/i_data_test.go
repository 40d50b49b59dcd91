package adversarial_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group I: message data. A body is the caller's (or the caller's users')
// text. With DATA, a line holding only "." ends the message (RFC 5321
// §4.5.2); a bare CR or LF that one server reads as a line ending and
// another does not lets a message hide a second one ("SMTP smuggling",
// 2023). The client sends every line ending as CRLF and dot-stuffs, so
// the wire never holds a terminator before the real one.

const envelope = "C: MAIL FROM:<a@example.org>\nS: 250 ok\nC: RCPT TO:<b@example.net>\nS: 250 ok"

func dataLines(ls []string) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = "C: " + l
	}
	return script(parts...)
}

func sendBody(t *testing.T, c *client.Client, body string) error {
	t.Helper()
	_, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), strings.NewReader(body))
	return err
}

// smuggling lists bodies with every spelling of an early end of data, and
// the lines the wire must hold instead (before the final ".").
var smuggling = []struct {
	name, body string
	data       []string // as sent with DATA: dot-stuffed
	bdat       []string // as sent with BDAT: not stuffed
}{
	{"LF . LF", "a\n.\nMAIL FROM:<evil@example.org>", []string{"a", "..", "MAIL FROM:<evil@example.org>"}, []string{"a", ".", "MAIL FROM:<evil@example.org>"}},
	{"CR . CR", "a\r.\rb", []string{"a", "..", "b"}, []string{"a", ".", "b"}},
	{"CRLF . LF", "a\r\n.\nb", []string{"a", "..", "b"}, []string{"a", ".", "b"}},
	{"LF . CRLF", "a\n.\r\nb", []string{"a", "..", "b"}, []string{"a", ".", "b"}},
	{"CRLF . CR", "a\r\n.\rb", []string{"a", "..", "b"}, []string{"a", ".", "b"}},
	{"CRLF . CR CRLF", "a\r\n.\r\r\nb", []string{"a", "..", "", "b"}, []string{"a", ".", "", "b"}},
	{"CRLF . CRLF", "a\r\n.\r\nRCPT TO:<evil@example.org>\r\n", []string{"a", "..", "RCPT TO:<evil@example.org>"}, []string{"a", ".", "RCPT TO:<evil@example.org>"}},
	{"leading . CRLF", ".\r\nb", []string{"..", "b"}, []string{".", "b"}},
	{"leading LF .", "\n.\n", []string{"", ".."}, []string{"", "."}},
	{"dot at the end", "a\r\n.", []string{"a", ".."}, []string{"a", "."}},
	{"dots", "..\r\n.a\r\na.\r\n", []string{"...", "..a", "a."}, []string{"..", ".a", "a."}},
	{"lone CR LF", "a\rb\nc", []string{"a", "b", "c"}, []string{"a", "b", "c"}},
	{"LF CR", "a\n\rb", []string{"a", "", "b"}, []string{"a", "", "b"}},
}

// TestI_SmugglingDATA: every spelling reaches the wire normalised and
// stuffed, through the lock-step and the pipelined DATA paths.
func TestI_SmugglingDATA(t *testing.T) {
	for _, tc := range smuggling {
		t.Run("lock-step/"+tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go",
				dataLines(tc.data), "C: .", "S: 250 ok", quit))
			c := dial(t, s, "mx.example.com")
			must(t, sendBody(t, c, tc.body))
			must(t, c.Quit())
			s.Check(t)
		})
		t.Run("pipelined/"+tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("PIPELINING"),
				"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: DATA",
				"S: 250 ok", "S: 250 ok", "S: 354 go",
				dataLines(tc.data), "C: .", "S: 250 ok", quit))
			c := dial(t, s, "mx.example.com")
			must(t, sendBody(t, c, tc.body))
			must(t, c.Quit())
			s.Check(t)
		})
	}
}

// TestI_SmugglingBDAT: BDAT counts octets, so "." means nothing there and
// is not stuffed; line endings are still normalised, and the count is the
// normalised length, so a relay that turns BDAT into DATA sees CRLF only.
func TestI_SmugglingBDAT(t *testing.T) {
	for _, tc := range smuggling {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for _, l := range tc.bdat {
				n += len(l) + 2
			}
			s := scripttest.New(t, script(greet, ehlo("CHUNKING"), envelope,
				"C: BDAT "+itoa(n)+" LAST", dataLines(tc.bdat), "S: 250 ok", quit))
			c := dial(t, s, "mx.example.com")
			must(t, sendBody(t, c, tc.body))
			must(t, c.Quit())
			s.Check(t)
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestI_DataEdges: an empty body, a missing final line ending, and the
// Data writer used after Close.
func TestI_DataEdges(t *testing.T) {
	t.Run("empty body", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, sendBody(t, c, ""))
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("no final line ending", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: abc", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, sendBody(t, c, "abc"))
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("write after Close", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: hi", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, c.Mail("a@example.org"))
		must(t, c.Rcpt("b@example.net"))
		w, err := c.Data()
		must(t, err)
		_, err = io.WriteString(w, "hi")
		must(t, err)
		must(t, w.Close())
		if _, err := io.WriteString(w, "\r\n.\r\nRSET\r\n"); err == nil {
			t.Error("Write after Close succeeded")
		}
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestI_NoDataWithoutRecipient: the body is never sent when the server
// refused DATA or every recipient; with PIPELINING a 354 that came anyway
// gets a bare "." (RFC 2920 §3.1).
func TestI_NoDataWithoutRecipient(t *testing.T) {
	t.Run("DATA refused", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 554 5.5.1 no valid recipients", quit))
		c := dial(t, s, "mx.example.com")
		wantCode(t, "Send", sendBody(t, c, "secret body\r\n"), 554)
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("pipelined, recipient refused, 354 anyway", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("PIPELINING"),
			"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: DATA",
			"S: 250 ok", "S: 550 5.1.1 no such user", "S: 354 go",
			"C: .", "S: 554 5.5.1 no valid recipients", "C: RSET", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		wantErr(t, "Send", sendBody(t, c, "secret body\r\n"), client.ErrRecipientsRefused)
		must(t, c.Quit())
		s.Check(t)
	})
}

// failingBody yields some data, then fails, as a file on a dying disk or
// a network stream would.
func failingBody(first string) io.Reader {
	return io.MultiReader(strings.NewReader(first), errReader{})
}

var errBodyRead = errors.New("disk on fire")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBodyRead }

// TestI_BodyReadErrorMidDATA: DATA has no way to abort a message but
// closing the connection. After a body read error the client must write
// nothing more on it: the next command, or the next message of a batch,
// would be written into the half-sent message as its text, and then wait
// for a reply that cannot come.
func TestI_BodyReadErrorMidDATA(t *testing.T) {
	t.Run("Send then Noop", func(t *testing.T) {
		// The part already read never leaves the client: it closes the
		// connection at once, so the server sees no end of data.
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go"))
		c := dial(t, s, "mx.example.com")
		c.Timeouts = fast
		_, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), failingBody("part one\r\n"))
		wantErr(t, "Send", err, errBodyRead)
		if err := c.Noop(); err == nil {
			t.Error("Noop succeeded inside a half-sent message")
		}
		s.Check(t)
	})
	t.Run("SendBatch", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go"))
		c := dial(t, s, "mx.example.com")
		c.Timeouts = fast
		res := c.SendBatch(t.Context(), []client.Outgoing{
			{Envelope: *env("a@example.org", "b@example.net"), Body: failingBody("part one\r\n")},
			{Envelope: *env("c@example.org", "d@example.net"), Body: strings.NewReader("for d only\r\n")},
		})
		for i, r := range res {
			if r.Status != client.NotSent {
				t.Errorf("message %d: %v (%v), want NotSent", i, r.Status, r.Err)
			}
		}
		s.Check(t)
	})
	t.Run("BDAT", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("CHUNKING"), envelope))
		c := dial(t, s, "mx.example.com")
		_, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), failingBody("part one\r\n"))
		wantErr(t, "Send", err, errBodyRead)
		if err := c.Noop(); err == nil {
			t.Error("Noop succeeded inside a half-sent message")
		}
		s.Check(t)
	})
}

// TestI_EightBit documents what the client does with 8-bit data: with
// 8BITMIME it declares BODY=8BITMIME; without it, it sends the body as it
// is (RFC 6152 §3 says a client should not; converting to 7 bits would
// need MIME rewriting, which is the caller's business).
func TestI_EightBit(t *testing.T) {
	t.Run("with 8BITMIME", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("8BITMIME"), "C: MAIL FROM:<a@example.org> BODY=8BITMIME", "S: 250 ok",
			"C: RCPT TO:<b@example.net>", "S: 250 ok", "C: DATA", "S: 354 go", "C: café", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, sendBody(t, c, "café\r\n"))
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("without 8BITMIME", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: café", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, sendBody(t, c, "café\r\n"))
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestI_SMTPUTF8: a non-ASCII envelope needs SMTPUTF8 (RFC 6531 §3.4);
// without it nothing is sent.
func TestI_SMTPUTF8(t *testing.T) {
	for name, e := range map[string]*client.Envelope{
		"From": env("jörg@example.org", "b@example.net"),
		"To":   env("a@example.org", "用户@例子.广告"),
	} {
		t.Run("Send/"+name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("8BITMIME"), quit))
			c := dial(t, s, "mx.example.com")
			_, err := c.Send(t.Context(), e, strings.NewReader("hi\r\n"))
			wantErr(t, "Send", err, client.ErrNotSupported)
			must(t, c.Quit())
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "QUIT"))
		})
		t.Run("SendBatch/"+name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("8BITMIME", "PIPELINING", "CHUNKING"), quit))
			c := dial(t, s, "mx.example.com")
			r := c.SendBatch(t.Context(), []client.Outgoing{{Envelope: *e, Body: strings.NewReader("hi\r\n")}})[0]
			if r.Status != client.NotSent || !errors.Is(r.Err, client.ErrNotSupported) {
				t.Errorf("SendBatch = %v, %v; want NotSent, ErrNotSupported", r.Status, r.Err)
			}
			must(t, c.Quit())
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "QUIT"))
		})
	}
	t.Run("Mail", func(t *testing.T) {
		// The seed's Mail reports the same refusal.
		s := scripttest.New(t, script(greet, ehlo("8BITMIME"), quit))
		c := dial(t, s, "mx.example.com")
		wantErr(t, "Mail", c.Mail("jörg@example.org"), client.ErrNotSupported)
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("with SMTPUTF8", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("SMTPUTF8"), "C: MAIL FROM:<jörg@example.org> SMTPUTF8", "S: 250 ok",
			"C: RCPT TO:<用户@例子.广告>", "S: 250 ok", "C: DATA", "S: 354 go", "C: hi", "C: .", "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		_, err := c.Send(t.Context(), env("jörg@example.org", "用户@例子.广告"), strings.NewReader("hi\r\n"))
		must(t, err)
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestI_LongLine documents that a line over RFC 5321's 1000 octets is
// sent whole: the client does not rewrite the message (folding would
// change signed content); a server may refuse it.
func TestI_LongLine(t *testing.T) {
	long := strings.Repeat("x", 1500)
	s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: "+long, "C: .", "S: 250 ok", quit))
	c := dial(t, s, "mx.example.com")
	must(t, sendBody(t, c, long))
	must(t, c.Quit())
	s.Check(t)
}

// TestI_Size: the declared size is the body's length; at the server's
// limit the message goes, one octet over it does not
// (TestG_AbsurdSize/over_the_limit).
func TestI_Size(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("SIZE 20"), "C: MAIL FROM:<a@example.org> SIZE=20", "S: 250 ok",
		"C: RCPT TO:<b@example.net>", "S: 250 ok", "C: DATA", "S: 354 go", "C: 0123456789abcdefgh", "C: .", "S: 250 ok", quit))
	c := dial(t, s, "mx.example.com")
	must(t, sendBody(t, c, "0123456789abcdefgh\r\n"))
	must(t, c.Quit())
	s.Check(t)
}
