package client

import (
	"context"
	"errors"
	"strings"
	"testing"
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
