package client

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/internal/scripttest"
)

func outgoing(from string, to ...string) Outgoing {
	return Outgoing{Envelope: Envelope{From: from, To: to}, Body: strings.NewReader("hi " + from + "\r\n")}
}

// batchFirst greets, offers PIPELINING and CHUNKING, and reads the first
// message of every batch here, from a@example.org.
const batchFirst = greet + `
C: EHLO localhost
S: 250-mx.example.com
S: 250-PIPELINING
S: 250 CHUNKING
C: MAIL FROM:<a@example.org>
C: RCPT TO:<x@example.net>
C: BDAT 18 LAST
C: hi a@example.org`

const batchScript = batchFirst + `
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
	s := newScriptServer(t, batchFirst+`
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

// largeBatch is a batch of a small message and one of a chunk and a
// half, which must go alone; the script delivers the small one and runs
// its Step for the large one.
var largeBatch = struct {
	line, script string
}{
	line: strings.Repeat("x", 1022) + "\r\n", // 1024 lines make one chunk
	script: batchFirst + `
S: 250 ok
S: 250 ok
S: 250 queued 1
STEP`,
}

// sendLargeBatch sends largeBatch through s and checks that the small
// message was delivered.
func sendLargeBatch(t *testing.T, s *scripttest.Server) (*Client, []BatchResult) {
	t.Helper()
	c, err := NewClient(s.Dial(t), "mx.example.com")
	must(t, err)
	results := c.SendBatch(context.Background(), []Outgoing{
		outgoing("a@example.org", "x@example.net"),
		{Envelope: Envelope{From: "b@example.org", To: []string{"x@example.net"}}, Body: strings.NewReader(strings.Repeat(largeBatch.line, 1536))},
	})
	if results[0].Status != Delivered {
		t.Errorf("message 0: %v (%v)", results[0].Status, results[0].Err)
	}
	return c, results
}

// serveLarge is the server's side of the large message of largeBatch, as
// steps of lines read, then a reply written (none if empty): RSET, MAIL,
// RCPT and the first BDAT command all come before the first reply.
func serveLarge(c *scripttest.Conn, envelope, chunk, final string) error {
	data := largeBatch.line[:len(largeBatch.line)-2]
	flight := []string{"RSET", "MAIL FROM:<b@example.org>", "RCPT TO:<x@example.net>", "BDAT 1048576"}
	first := slices.Repeat([]string{data}, 1024)
	second := append([]string{"BDAT 524288 LAST"}, slices.Repeat([]string{data}, 512)...)
	for _, step := range []struct {
		read  []string
		reply string
	}{{flight, envelope}, {first, chunk}, {second, final}} {
		for _, line := range step.read {
			if err := c.Expect(line); err != nil {
				return err
			}
		}
		if step.reply != "" {
			if err := c.WriteLine(step.reply); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestBatchLargeMessagePipelinesRSET: a message larger than one chunk
// goes alone, but its RSET travels in the same flight as its MAIL, RCPT
// and first chunk: the server reads all four before it answers any, so a
// client that waited for the RSET reply would hang here.
func TestBatchLargeMessagePipelinesRSET(t *testing.T) {
	s := scripttest.New(t, largeBatch.script+`
C: QUIT
S: 221 bye`, func(c *scripttest.Conn) error {
		return serveLarge(c, "250 reset\r\n250 ok\r\n250 ok", "250 chunk", "250 queued 2")
	})
	c, results := sendLargeBatch(t, s)
	if r := results[1]; r.Status != Delivered || r.Err != nil || r.Result.Response != "queued 2" {
		t.Errorf("message 1: %v (%v), %+v", r.Status, r.Err, r.Result)
	}
	must(t, c.Quit())
	s.Check(t)
}

// TestBatchLargeMessageRSET421: a 421 to the pipelined RSET of a message
// larger than one chunk, followed by the server closing, refuses that
// message with the 421, although all of it went out.
func TestBatchLargeMessageRSET421(t *testing.T) {
	s := scripttest.New(t, largeBatch.script+`
CLOSE`, func(c *scripttest.Conn) error {
		return serveLarge(c, "", "", "421 4.3.2 shutting down")
	})
	_, results := sendLargeBatch(t, s)
	var se *Error
	if r := results[1]; r.Status != Refused || !errors.As(r.Err, &se) || se.Code != 421 {
		t.Errorf("message 1: %v (%v), want refused with the 421", r.Status, r.Err)
	}
	s.Check(t)
}
