package interop

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
)

// TestBatchWithLargeMessage sends, over one authenticated STARTTLS
// connection, a batch of a small message, one of 3 MiB and another small
// one. Dovecot offers PIPELINING and CHUNKING, so the small ones are
// pipelined and the large one streams alone in BDAT chunks, with its RSET
// in the same flight as its MAIL. Each must reach the relay intact, once.
func TestBatchWithLargeMessage(t *testing.T) {
	c := dovecot(t)
	cl := dialStartTLS(t, c)
	if err := cl.Auth(registry.Default.Auth(registry.Credentials{Username: c.user, Password: c.password})); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	var tokens []string
	var msgs [][]byte
	var out []smtp.Outgoing
	for _, extra := range []int{0, 3 << 20, 0} {
		token, msg := newMessage(t, c.user)
		// Lines of one length, as in a base64 attachment.
		line := strings.Repeat("QUJD", 19) + "\r\n"
		msg = append(msg, bytes.Repeat([]byte(line), extra/len(line))...)
		tokens, msgs = append(tokens, token), append(msgs, msg)
		out = append(out, smtp.Outgoing{
			Envelope: smtp.Envelope{From: c.user, To: []string{recipient}},
			Body:     bytes.NewReader(msg),
		})
	}
	for i, r := range cl.SendBatch(context.Background(), out) {
		if r.Status != smtp.Delivered || r.Err != nil {
			t.Errorf("message %d (%d bytes): %v (%v)", i, len(msgs[i]), r.Status, r.Err)
		}
	}
	if err := cl.Quit(); err != nil {
		t.Fatal(err)
	}
	for i, token := range tokens {
		checkDelivered(t, c.user, token, msgs[i])
		if n := relay.count(token); n != 1 {
			t.Errorf("message %d reached the relay %d times", i, n)
		}
	}
}
