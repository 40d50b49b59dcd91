package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/internal/scripttest"
)

const ehloFast = `C: EHLO localhost
S: 250-mx.example.com
S: 250-PIPELINING
S: 250-CHUNKING
S: 250-8BITMIME
S: 250-SIZE 1000
S: 250-DSN
S: 250 SMTPUTF8`

// TestSendOneFlight: with PIPELINING and CHUNKING, the whole transaction
// is written before the server says anything: the script server reads
// every line before it sends the first reply.
func TestSendOneFlight(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloFast+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=14
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: BDAT 18 LAST
C: Subject: x
C: 
C: hi
S: 250 2.1.0 ok
S: 250 2.1.5 ok
S: 550 5.1.1 no such user
S: 250 2.0.0 queued as 42
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	res, err := c.Send(context.Background(), &Envelope{From: "a@example.org", To: []string{"b@example.net", "c@example.net"}},
		strings.NewReader("Subject: x\n\nhi"))
	if !errors.Is(err, ErrRecipientsRefused) {
		t.Fatalf("Send = %v, want ErrRecipientsRefused", err)
	}
	if len(res.Accepted) != 1 || res.Accepted[0] != "b@example.net" || len(res.Refused) != 1 ||
		res.Refused[0].Addr != "c@example.net" || res.Refused[0].Err.Code != 550 || res.Response != "2.0.0 queued as 42" {
		t.Errorf("Result = %+v", res)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestSendPipelinedData(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
C: ..dot
C: .
S: 250 queued
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.SendMail("a@example.org", []string{"b@example.net"}, strings.NewReader(".dot\r\n")))
	must(t, c.Quit())
	s.check(t)
}

// TestSendAllRefused: no recipient, no message; RSET clears the sender.
func TestSendAllRefused(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: DATA
S: 250 ok
S: 550 5.1.1 no
S: 554 5.5.1 no valid recipients
C: RSET
S: 250 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	res, err := c.Send(context.Background(), &Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("x"))
	if !errors.Is(err, ErrRecipientsRefused) || len(res.Refused) != 1 || len(res.Accepted) != 0 {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	must(t, c.Quit())
	s.check(t)
}

// TestSend354WithoutRecipients: a server that answers DATA with 354 after
// refusing every recipient gets an empty message, never the body.
func TestSend354WithoutRecipients(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 PIPELINING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: DATA
S: 250 ok
S: 550 5.1.1 no
S: 354 go ahead anyway
C: .
S: 554 no recipients
C: RSET
S: 250 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	if err := c.SendMail("a@example.org", []string{"b@example.net"}, strings.NewReader("secret body")); !errors.Is(err, ErrRecipientsRefused) {
		t.Fatalf("SendMail = %v", err)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestSendMailRefused(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloFast+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=3
C: RCPT TO:<b@example.net>
C: BDAT 5 LAST
C: abc
S: 451 4.3.0 try later
S: 503 5.5.1 need MAIL
S: 503 5.5.1 need MAIL
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	_, err := c.Send(context.Background(), &Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("abc"))
	var se *Error
	if !errors.As(err, &se) || se.Code != 451 || !se.Temporary() {
		t.Fatalf("Send = %v, want the 451", err)
	}
	must(t, c.Quit())
	s.check(t)
}

// TestSendLockStepChunking: CHUNKING without PIPELINING waits for each
// reply, and stops at the first refusal of MAIL.
func TestSendLockStepChunking(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: BDAT 4 LAST
C: hi
S: 250 queued
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.SendMail("a@example.org", []string{"b@example.net"}, strings.NewReader("hi")))
	must(t, c.Quit())
	s.check(t)
}

func TestSendRefusedBeforeWriting(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloFast+`
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	for _, tc := range []struct {
		name string
		env  Envelope
		body string
		want error
	}{
		{"over SIZE", Envelope{From: "a@b", To: []string{"c@d"}}, strings.Repeat("x", 1001), ErrMessageTooLarge},
		{"declared over SIZE", Envelope{From: "a@b", To: []string{"c@d"}, Size: 5000}, "x", ErrMessageTooLarge},
		{"REQUIRETLS without TLS", Envelope{From: "a@b", To: []string{"c@d"}, RequireTLS: true}, "x", ErrNotSupported},
		{"no recipients", Envelope{From: "a@b"}, "x", ErrInvalidArgument},
		{"smuggled parameter", Envelope{From: "a@b", To: []string{"c@d> NOTIFY=NEVER"}}, "x", ErrInvalidArgument},
		{"bad DSN return", Envelope{From: "a@b", To: []string{"c@d"}, DSN: &DSN{Return: "ALL"}}, "x", ErrInvalidArgument},
		{"NEVER with others", Envelope{From: "a@b", To: []string{"c@d"}, DSN: &DSN{Notify: []string{"never", "delay"}}}, "x", ErrInvalidArgument},
	} {
		if _, err := c.Send(context.Background(), &tc.env, strings.NewReader(tc.body)); !errors.Is(err, tc.want) {
			t.Errorf("%s: Send = %v, want %v", tc.name, err, tc.want)
		}
	}
	must(t, c.Quit())
	s.check(t)
}

func TestSendUTF8NotOffered(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	if err := c.SendMail("jörg@example.org", []string{"b@example.net"}, strings.NewReader("x")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("SendMail = %v, want ErrNotSupported", err)
	}
	must(t, c.Quit())
	s.check(t)
}

// TestSendParameters: SMTPUTF8 only when the envelope needs it, and the
// DSN parameters xtext-encoded (RFC 3461 §4).
func TestSendParameters(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloFast+`
C: MAIL FROM:<jörg@example.org> BODY=8BITMIME SIZE=1 SMTPUTF8 RET=HDRS ENVID=id+2B1+3Dx
C: RCPT TO:<b+x@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.net
C: RCPT TO:<ü@example.net> NOTIFY=SUCCESS,FAILURE
C: BDAT 3 LAST
C: x
S: 250 ok
S: 250 ok
S: 250 ok
S: 250 queued
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	env := &Envelope{From: "jörg@example.org", To: []string{"b+x@example.net", "ü@example.net"},
		DSN: &DSN{Return: "hdrs", EnvelopeID: "id+1=x", Notify: []string{"success", "FAILURE"}}}
	_, err := c.Send(context.Background(), env, strings.NewReader("x"))
	must(t, err)
	must(t, c.Quit())
	s.check(t)
}

// TestSendPipelined421: a server that answers MAIL with 421 and hangs up
// is reported by its reply, not by the EOF that follows.
func TestSendPipelined421(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloFast+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=1
C: RCPT TO:<b@example.net>
C: BDAT 3 LAST
C: x
S: 421 4.4.0 Failed to connect to relay server
CLOSE`)
	c := s.dial(t, "mx.example.com")
	_, err := c.Send(context.Background(), &Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("x"))
	var se *Error
	if !errors.As(err, &se) || se.Code != 421 {
		t.Fatalf("Send = %v, want the 421", err)
	}
	s.check(t)
}

// TestStreamStopsForNobody: a message larger than one chunk streams right
// behind MAIL and RCPT; when the replies say no recipient was accepted,
// the client stops at a chunk boundary, reads a reply for every BDAT it
// sent, and resets the transaction.
func TestStreamStopsForNobody(t *testing.T) {
	line := strings.Repeat("x", 1022) + "\r\n" // 1024 lines make one chunk
	body := strings.Repeat(line, 8*1024)       // 8 chunks
	var chunks int
	var last bool
	ehlo := strings.Replace(ehloFast, "SIZE 1000", "SIZE", 1)
	s := scripttest.New(t, greet+"\n"+ehlo+"\nSTEP\nC: QUIT\nS: 221 bye", func(c *scripttest.Conn) error {
		if err := c.Expect("MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=8388608"); err != nil {
			return err
		}
		if err := c.Expect("RCPT TO:<b@example.net>"); err != nil {
			return err
		}
		// Refuse the recipient at once, before reading any data.
		if err := c.WriteLine("250 ok\r\n550 5.1.1 no such user"); err != nil {
			return err
		}
		for {
			cmd, err := c.ReadLine()
			if err != nil {
				return err
			}
			if cmd == "RSET\r\n" {
				return c.WriteLine("250 reset")
			}
			var n int
			if _, err := fmt.Sscanf(cmd, "BDAT %d", &n); err != nil {
				return fmt.Errorf("client sent %q, want BDAT or RSET", cmd)
			}
			last = strings.HasSuffix(cmd, " LAST\r\n")
			for n > 0 {
				l, err := c.ReadLine()
				if err != nil {
					return err
				}
				n -= len(l)
			}
			chunks++
			if err := c.WriteLine("554 5.5.1 no valid recipients"); err != nil {
				return err
			}
		}
	})
	conn := s.Dial(t)
	c, err := NewClient(conn, "mx.example.com")
	must(t, err)
	res, err := c.Send(context.Background(), &Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(body))
	if !errors.Is(err, ErrRecipientsRefused) || len(res.Refused) != 1 {
		t.Fatalf("Send = %+v, %v; want the recipient refused", res, err)
	}
	must(t, c.Quit())
	s.Check(t)
	t.Logf("the client sent %d of 8 chunks before it knew (last: %v)", chunks, last)
	if chunks < 1 || chunks > 8 {
		t.Errorf("%d chunks", chunks)
	}
}
