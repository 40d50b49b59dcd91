package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

// TestSendLargeMessage sends, over go-smtp's PIPELINING and CHUNKING, a
// message of several chunks whose line endings and leading dots need
// care, and checks what the server stored.
func TestSendLargeMessage(t *testing.T) {
	srv := smtptest.NewServer()
	defer srv.Close()
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var raw, want bytes.Buffer
	for i := 0; raw.Len() < 3<<20; i++ {
		line := strings.Repeat("ab.", i%400)
		raw.WriteString(".") // a leading dot: BDAT must not stuff it
		raw.WriteString(line)
		want.WriteString("." + line + "\r\n")
		if i%3 == 0 {
			raw.WriteString("\n") // bare LF, sent as CRLF
		} else {
			raw.WriteString("\r\n")
		}
	}
	// An unknown size (no Len method) takes the chunked path.
	res, err := c.Send(context.Background(), &smtp.Envelope{From: "a@example.org", To: []string{"b@example.net"}}, io.MultiReader(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted) != 1 || res.Response == "" {
		t.Errorf("Result = %+v", res)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !bytes.Equal(msgs[0].Data, want.Bytes()) {
		t.Fatalf("server stored %d messages; data equal: %v (len %d, want %d)", len(msgs), len(msgs) == 1 && bytes.Equal(msgs[0].Data, want.Bytes()), len(msgs[0].Data), want.Len())
	}
	// 3 MiB in chunks of at most 1 MiB before encoding.
	if n := strings.Count(srv.Transcript(), "BDAT "); n != 4 {
		t.Errorf("transcript shows %d BDAT commands, want 4", n)
	}
}

// TestSendBatchDelivers sends 200 messages in one batch through go-smtp
// and checks that each arrived once, in order, intact. Lines stay short:
// go-smtp v0.25 applies its line-length limit to pipelined BDAT data it
// reads ahead, and would drop the connection over a long one.
func TestSendBatchDelivers(t *testing.T) {
	srv := smtptest.NewServer()
	defer srv.Close()
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var msgs []smtp.Outgoing
	for i := range 200 {
		body := fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", i))
		msgs = append(msgs, smtp.Outgoing{Envelope: smtp.Envelope{From: "a@example.org", To: []string{"b@example.net"}}, Body: strings.NewReader(body)})
	}
	for i, r := range c.SendBatch(context.Background(), msgs) {
		if r.Status != smtp.Delivered || r.Err != nil {
			t.Fatalf("message %d: %v %v", i, r.Status, r.Err)
		}
	}
	got := srv.Messages()
	if len(got) != len(msgs) {
		t.Fatalf("server got %d messages, want %d", len(got), len(msgs))
	}
	for i, m := range got {
		if want := fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", i)); string(m.Data) != want {
			t.Fatalf("message %d differs", i)
		}
	}
}
