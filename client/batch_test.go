package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/internal/scripttest"
)

func outgoing(from string, to ...string) Outgoing {
	return Outgoing{Envelope: Envelope{From: from, To: to}, Body: strings.NewReader("hi " + from + "\r\n")}
}

const batchScript = greet + `
C: EHLO localhost
S: 250-mx.example.com
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<x@example.net>
C: BDAT 18 LAST
C: hi a@example.org
C: RSET
C: MAIL FROM:<b@example.org>
C: RCPT TO:<x@example.net>
C: BDAT 18 LAST
C: hi b@example.org
C: RSET
C: MAIL FROM:<c@example.org>
C: RCPT TO:<x@example.net>
C: RCPT TO:<y@example.net>
C: BDAT 18 LAST
C: hi c@example.org
S: 250 ok
S: 250 ok
S: 250 queued 1`

// TestBatchPipelinesAcrossMessages: the server reads all three messages
// before it answers the first; one failure does not touch the others.
func TestBatchPipelinesAcrossMessages(t *testing.T) {
	s := newScriptServer(t, batchScript+`
S: 250 reset
S: 550 5.7.1 sender refused
S: 503 need MAIL
S: 503 need MAIL
S: 250 reset
S: 250 ok
S: 250 ok
S: 550 5.1.1 no y
S: 250 queued 3
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("a@example.org", "x@example.net"),
		outgoing("b@example.org", "x@example.net"),
		outgoing("c@example.org", "x@example.net", "y@example.net"),
	})
	want := []Status{Delivered, Refused, Delivered}
	for i, r := range results {
		if r.Status != want[i] {
			t.Errorf("message %d: %v (%v), want %v", i, r.Status, r.Err, want[i])
		}
	}
	if results[0].Err != nil || results[0].Result.Response != "queued 1" {
		t.Errorf("message 0 = %+v", results[0])
	}
	var se *Error
	if !errors.As(results[1].Err, &se) || se.Code != 550 {
		t.Errorf("message 1 error = %v, want the 550", results[1].Err)
	}
	if r := results[2]; !errors.Is(r.Err, ErrRecipientsRefused) || len(r.Result.Accepted) != 1 || r.Result.Refused[0].Addr != "y@example.net" {
		t.Errorf("message 2 = %+v, %v", r.Result, r.Err)
	}
	must(t, c.Quit())
	s.check(t)
}

// TestBatchConnectionLost: the server confirms the first message and
// drops the connection; the two others went out whole, so their outcome
// is unknown, never "not sent" (which would invite a duplicate).
func TestBatchConnectionLost(t *testing.T) {
	s := newScriptServer(t, batchScript+`
CLOSE`)
	c := s.dial(t, "mx.example.com")
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("a@example.org", "x@example.net"),
		outgoing("b@example.org", "x@example.net"),
		outgoing("c@example.org", "x@example.net", "y@example.net"),
	})
	want := []Status{Delivered, Unknown, Unknown}
	for i, r := range results {
		if r.Status != want[i] {
			t.Errorf("message %d: %v (%v), want %v", i, r.Status, r.Err, want[i])
		}
	}
	if results[2].Err == nil {
		t.Error("message 2 unknown, but no error")
	}
	s.check(t)
}

func TestBatchInvalidMessageSkipped(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<x@example.net>
C: BDAT 18 LAST
C: hi a@example.org
S: 250 ok
S: 250 ok
S: 250 queued
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("bad\r\n@example.org", "x@example.net"),
		outgoing("a@example.org", "x@example.net"),
	})
	if results[0].Status != NotSent || !errors.Is(results[0].Err, ErrInvalidArgument) || results[1].Status != Delivered {
		t.Errorf("results = %+v", results)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestBatch421(t *testing.T) {
	s := newScriptServer(t, batchScript+`
S: 421 4.3.2 shutting down
CLOSE`)
	c := s.dial(t, "mx.example.com")
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("a@example.org", "x@example.net"),
		outgoing("b@example.org", "x@example.net"),
		outgoing("c@example.org", "x@example.net", "y@example.net"),
	})
	want := []Status{Delivered, Refused, Unknown}
	for i, r := range results {
		if r.Status != want[i] {
			t.Errorf("message %d: %v (%v), want %v", i, r.Status, r.Err, want[i])
		}
	}
	s.check(t)
}

// TestBatchLargeMessagePipelinesRSET: a message larger than one chunk
// goes alone, but its RSET travels in the same flight as its MAIL, RCPT
// and first chunk: the server reads all four before it answers any, so a
// client that waited for the RSET reply would hang here.
func TestBatchLargeMessagePipelinesRSET(t *testing.T) {
	line := strings.Repeat("x", 1022) + "\r\n" // 1024 lines make one chunk
	body := strings.Repeat(line, 1536)         // a chunk and a half
	s := scripttest.New(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<x@example.net>
C: BDAT 18 LAST
C: hi a@example.org
S: 250 ok
S: 250 ok
S: 250 queued 1
STEP
C: QUIT
S: 221 bye`, func(c *scripttest.Conn) error {
		for _, want := range []string{"RSET", "MAIL FROM:<b@example.org>", "RCPT TO:<x@example.net>", "BDAT 1048576"} {
			if err := c.Expect(want); err != nil {
				return err
			}
		}
		if err := c.WriteLine("250 reset\r\n250 ok\r\n250 ok"); err != nil {
			return err
		}
		for _, chunk := range []struct {
			cmd   string
			lines int
			reply string
		}{{"", 1024, "250 chunk"}, {"BDAT 524288 LAST", 512, "250 queued 2"}} {
			if chunk.cmd != "" {
				if err := c.Expect(chunk.cmd); err != nil {
					return err
				}
			}
			for range chunk.lines {
				if err := c.Expect(line[:len(line)-2]); err != nil {
					return err
				}
			}
			if err := c.WriteLine(chunk.reply); err != nil {
				return err
			}
		}
		return nil
	})
	c, err := NewClient(s.Dial(t), "mx.example.com")
	must(t, err)
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("a@example.org", "x@example.net"),
		{Envelope: Envelope{From: "b@example.org", To: []string{"x@example.net"}}, Body: strings.NewReader(body)},
	})
	for i, r := range results {
		if r.Status != Delivered || r.Err != nil {
			t.Errorf("message %d: %v (%v)", i, r.Status, r.Err)
		}
	}
	if r := results[1].Result; r == nil || r.Response != "queued 2" {
		t.Errorf("message 1 result = %+v", r)
	}
	must(t, c.Quit())
	s.Check(t)
}
