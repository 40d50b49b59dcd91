package adversarial_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group J: drops, timeouts, slow servers. A connection that dies after
// the final "." leaves the message's fate unknown: the server may have
// queued it. Reporting it as failed invites a resend and a duplicate;
// reporting it as sent may lose it. The client says "unknown" and never
// resends on its own. A server that stops answering, anywhere, including
// in the middle of a TLS handshake, must not hold the caller past its
// deadline. The tests use 100 ms timeouts and check only the error.

// TestJ_DropAfterFinalDot: Send returns an error that is not a server
// reply and a Result (the message went out); SendBatch says Unknown.
func TestJ_DropAfterFinalDot(t *testing.T) {
	t.Run("Send/DATA", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: hi", "C: .", "CLOSE"))
		c := dial(t, s, "mx.example.com")
		res, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n"))
		checkUnknown(t, res, err)
		if _, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n")); err == nil {
			t.Error("second Send succeeded on a dead connection")
		}
		s.Check(t)
	})
	t.Run("Send/BDAT", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("PIPELINING", "CHUNKING"),
			"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: BDAT 4 LAST", "C: hi", "CLOSE"))
		c := dial(t, s, "mx.example.com")
		res, err := c.Send(t.Context(), env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n"))
		checkUnknown(t, res, err)
		s.Check(t)
	})
	t.Run("SendBatch/lock-step", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: one", "C: .", "CLOSE"))
		c := dial(t, s, "mx.example.com")
		checkStatuses(t, c.SendBatch(t.Context(), twoMessages()), client.Unknown, client.NotSent)
		s.Check(t)
	})
	t.Run("SendBatch/pipelined, both in flight", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("PIPELINING", "CHUNKING"),
			"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: BDAT 5 LAST", "C: one",
			"C: RSET", "C: MAIL FROM:<c@example.org>", "C: RCPT TO:<d@example.net>", "C: BDAT 5 LAST", "C: two",
			"CLOSE"))
		c := dial(t, s, "mx.example.com")
		checkStatuses(t, c.SendBatch(t.Context(), twoMessages()), client.Unknown, client.Unknown)
		s.Check(t)
	})
	t.Run("SendBatch/pipelined, first answered", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("PIPELINING", "CHUNKING"),
			"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: BDAT 5 LAST", "C: one",
			"C: RSET", "C: MAIL FROM:<c@example.org>", "C: RCPT TO:<d@example.net>", "C: BDAT 5 LAST", "C: two",
			"S: 250 ok", "S: 250 ok", "S: 250 queued",
			"CLOSE"))
		c := dial(t, s, "mx.example.com")
		checkStatuses(t, c.SendBatch(t.Context(), twoMessages()), client.Delivered, client.Unknown)
		s.Check(t)
	})
}

func twoMessages() []client.Outgoing {
	return []client.Outgoing{
		{Envelope: *env("a@example.org", "b@example.net"), Body: strings.NewReader("one\r\n")},
		{Envelope: *env("c@example.org", "d@example.net"), Body: strings.NewReader("two\r\n")},
	}
}

func checkUnknown(t *testing.T, res *client.Result, err error) {
	t.Helper()
	var se *client.Error
	if err == nil || errors.As(err, &se) {
		t.Errorf("Send = %v, want a connection error, not a reply", err)
	}
	if res == nil {
		t.Error("Send returned no Result: the caller cannot tell the message went out")
	}
}

func checkStatuses(t *testing.T, res []client.BatchResult, want ...client.Status) {
	t.Helper()
	for i, r := range res {
		if r.Status != want[i] {
			t.Errorf("message %d: %v (%v), want %v", i, r.Status, r.Err, want[i])
		}
		if r.Status != client.Delivered && r.Err == nil {
			t.Errorf("message %d: %v without an error", i, r.Status)
		}
	}
}

// TestJ_DropBeforeData: the connection died before the message was
// whole: NotSent, safe to send again later.
func TestJ_DropBeforeData(t *testing.T) {
	t.Run("after RCPT", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), "C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<b@example.net>", "CLOSE"))
		c := dial(t, s, "mx.example.com")
		checkStatuses(t, c.SendBatch(t.Context(), twoMessages()), client.NotSent, client.NotSent)
		s.Check(t)
	})
	t.Run("pipelined, before the 354", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("PIPELINING"),
			"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: DATA", "CLOSE"))
		c := dial(t, s, "mx.example.com")
		checkStatuses(t, c.SendBatch(t.Context(), twoMessages()), client.NotSent, client.NotSent)
		s.Check(t)
	})
	t.Run("before the greeting", func(t *testing.T) {
		s := scripttest.New(t, "CLOSE")
		_, err := client.NewClient(s.Dial(t), "mx.example.com")
		if err == nil || errors.Is(err, client.ErrTimeout) {
			t.Errorf("NewClient = %v, want the drop", err)
		}
		s.Check(t)
	})
}

// TestJ_Stall: the server stops answering at each step in turn. Every
// wait ends at its timeout with ErrTimeout, and the connection is closed:
// nothing more is written to it.
func TestJ_Stall(t *testing.T) {
	trusting := &tls.Config{RootCAs: scripttest.Pool()}
	sendHi := func(c *client.Client) error {
		_, err := c.Send(context.Background(), env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n"))
		return err
	}
	for _, tc := range []struct {
		name   string
		script string
		steps  []scripttest.Step
		run    func(t *testing.T, s *scripttest.Server) error
	}{
		{"greeting", "HANG", nil, func(t *testing.T, s *scripttest.Server) error {
			d := client.Dialer{Timeouts: fast}
			_, err := d.DialContext(t.Context(), s.Addr)
			return err
		}},
		{"greeting, context deadline", "HANG", nil, func(t *testing.T, s *scripttest.Server) error {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := client.DialContext(ctx, s.Addr)
			return err
		}},
		{"implicit TLS handshake", "DISCARD", nil, func(t *testing.T, s *scripttest.Server) error {
			d := client.Dialer{ImplicitTLS: true, TLSConfig: trusting, Timeouts: fast}
			_, err := d.DialContext(t.Context(), s.Addr)
			return err
		}},
		{"implicit TLS handshake, context deadline", "DISCARD", nil, func(t *testing.T, s *scripttest.Server) error {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := client.DialTLSContext(ctx, s.Addr, trusting)
			return err
		}},
		{"EHLO", script(greet, "C: EHLO localhost", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).Noop()
		}},
		{"slow drip", script(greet, "STEP"), []scripttest.Step{drip}, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).Noop()
		}},
		{"STARTTLS reply", script(greet, ehlo("STARTTLS"), "C: STARTTLS", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).StartTLS(trusting)
		}},
		{"STARTTLS handshake", script(greet, ehlo("STARTTLS"), "C: STARTTLS", "S: 220 ready", "DISCARD"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).StartTLS(trusting)
		}},
		{"AUTH", script(greet, ehlo("AUTH PLAIN"), plainLine, "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).Auth(plain.New("", user, password, "localhost"))
		}},
		{"AUTH challenge answered", script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN", "S: 334 "+b64("Username:"), "C: "+b64(user), "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).Auth(login.New(user, password, "localhost"))
		}},
		{"MAIL", script(greet, ehlo(), "C: MAIL FROM:<a@example.org>", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return sendHi(fastClient(t, s))
		}},
		{"DATA", script(greet, ehlo(), envelope, "C: DATA", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return sendHi(fastClient(t, s))
		}},
		{"message data not read", script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "STEP", "DISCARD"), []scripttest.Step{pause}, func(t *testing.T, s *scripttest.Server) error {
			c := fastClient(t, s)
			_, err := c.Send(context.Background(), env("a@example.org", "b@example.net"), strings.NewReader(strings.Repeat("x", 64<<20)))
			return err
		}},
		{"final reply", script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: hi", "C: .", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return sendHi(fastClient(t, s))
		}},
		{"BDAT reply", script(greet, ehlo("PIPELINING", "CHUNKING"), "C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: BDAT 4 LAST", "C: hi", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return sendHi(fastClient(t, s))
		}},
		{"QUIT", script(greet, ehlo(), "C: QUIT", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			return fastClient(t, s).Quit()
		}},
		{"SetDeadline", script(greet, ehlo(), "C: NOOP", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			c := dial(t, s, "localhost")
			c.SetDeadline(time.Now().Add(100 * time.Millisecond))
			return c.Noop()
		}},
		{"Send, context deadline", script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: hi", "C: .", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			c := dial(t, s, "localhost")
			must(t, c.Hello("localhost"))
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := c.Send(ctx, env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n"))
			return err
		}},
		{"SendBatch, context deadline", script(greet, ehlo("PIPELINING", "CHUNKING"), "C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.net>", "C: BDAT 5 LAST", "C: one",
			"C: RSET", "C: MAIL FROM:<c@example.org>", "C: RCPT TO:<d@example.net>", "C: BDAT 5 LAST", "C: two", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			c := dial(t, s, "localhost")
			must(t, c.Hello("localhost"))
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			res := c.SendBatch(ctx, twoMessages())
			checkStatuses(t, res, client.Unknown, client.Unknown)
			return res[0].Err
		}},
		{"SendMailContext, context deadline", script(greet, ehlo(), "C: MAIL FROM:<a@example.org>", "HANG"), nil, func(t *testing.T, s *scripttest.Server) error {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			return client.SendMailContext(ctx, s.Addr, nil, "a@example.org", []string{"b@example.net"}, []byte("hi\r\n"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, tc.script, tc.steps...)
			wantTimeout(t, tc.name, tc.run(t, s))
			s.Check(t)
		})
	}
}

// fastClient is a client with 100 ms timeouts.
func fastClient(t *testing.T, s *scripttest.Server) *client.Client {
	c := dial(t, s, "localhost")
	c.Timeouts = fast
	return c
}

// drip sends a reply one octet at a time, never finishing it: progress
// must not extend the deadline.
func drip(c *scripttest.Conn) error {
	if err := c.Expect("EHLO localhost"); err != nil {
		return err
	}
	for range 200 {
		if c.Write("2") != nil {
			return nil // the client gave up and closed
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the client waited for 4 s of drip")
}

// pause stops reading for a while, so that the client's writes block.
func pause(*scripttest.Conn) error {
	time.Sleep(time.Second)
	return nil
}

// TestJ_Cancel: cancelling the context ends a blocked Send at once.
func TestJ_Cancel(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo(), envelope, "C: DATA", "S: 354 go", "C: hi", "C: .", "HANG"))
	c := dial(t, s, "localhost")
	must(t, c.Hello("localhost"))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Send(ctx, env("a@example.org", "b@example.net"), strings.NewReader("hi\r\n"))
	wantErr(t, "Send", err, context.Canceled)
	if err := c.Noop(); err == nil {
		t.Error("Noop succeeded after a cancelled Send")
	}
	s.Check(t)
}

// TestJ_StallAfterCancelStar: the server does not answer the client's
// "*". Auth still ends with the reason it cancelled, within the timeout.
func TestJ_StallAfterCancelStar(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH X-TEST"), "C: AUTH X-TEST", "S: 334 !!!!", "C: *", "HANG"))
	c := fastClient(t, s)
	wantErr(t, "Auth", c.Auth(&scriptedAuth{mech: "X-TEST"}), client.ErrProtocol)
	wantTimeout(t, "Noop", c.Noop())
	s.Check(t)
}
