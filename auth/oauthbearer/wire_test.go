package oauthbearer_test

import (
	"encoding/base64"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"testing"

	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
	"github.com/smtpauth/smtpauth/client"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestWireWithNetSMTP runs RFC 7628 §4.4's failure through net/smtp's
// client, which gives no address (no port=), and checks every byte sent.
func TestWireWithNetSMTP(t *testing.T) {
	conn, server := net.Pipe()
	got := oauthtest.Serve(server, []string{
		"220 localhost ESMTP\r\n",
		"250-localhost\r\n250 AUTH OAUTHBEARER\r\n",
		"334 " + rfc44Challenge + "\r\n",
		"535-5.7.1 Username and Password not accepted. Learn more at\r\n535 5.7.1 http://support.example.com/mail/oauth\r\n",
		"501 5.5.2 cancelled\r\n",
		"221 bye\r\n",
	})
	c, err := smtp.NewClient(conn, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken))
	err = c.Auth(a)
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 535 {
		t.Fatalf("Auth = %v; want the 535", err)
	}
	want := []string{
		"EHLO localhost\r\n",
		"AUTH OAUTHBEARER " + b64("n,a=user@example.com,\x01host=localhost\x01auth=Bearer "+rfcToken+"\x01\x01") + "\r\n",
		"AQ==\r\n", // RFC 7628 §3.2.3's dummy reply
		"*\r\n",    // net/smtp cancels even after the final reply
		"QUIT\r\n",
	}
	if lines := <-got; !slices.Equal(lines, want) {
		t.Errorf("client sent %q\nwant %q", lines, want)
	}
	var e *oauthbearer.Error
	if !errors.As(oauthbearer.ServerError(a), &e) || e.Status != "invalid_token" {
		t.Errorf("ServerError = %v", oauthbearer.ServerError(a))
	}
}

// TestWireRetryWithClient runs the refusal and the retry with a fresh token
// through smtpauth's client on one TCP connection: the port comes from the
// connection, and the second exchange sends the new token.
func TestWireRetryWithClient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	got := make(chan []string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		got <- <-oauthtest.Serve(conn, []string{
			"220 localhost ESMTP\r\n",
			"250-localhost\r\n250 AUTH OAUTHBEARER\r\n",
			"334 " + rfc44Challenge + "\r\n",
			"535 5.7.8 Authentication credentials invalid\r\n",
			"235 2.7.0 Authentication successful\r\n",
			"221 bye\r\n",
		})
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ts := &oauthtest.Tokens{List: []string{"first", "second"}}
	if err := c.Auth(oauthbearer.New(rfcUser, ts)); err != nil {
		t.Fatalf("Auth = %v; want success after the retry", err)
	}
	c.Quit()
	kv := "\x01host=127.0.0.1\x01port=" + strconv.Itoa(port) + "\x01auth=Bearer "
	want := []string{
		"AUTH OAUTHBEARER " + b64("n,a=user@example.com,"+kv+"first\x01\x01") + "\r\n",
		"AQ==\r\n",
		"AUTH OAUTHBEARER " + b64("n,a=user@example.com,"+kv+"second\x01\x01") + "\r\n",
		"QUIT\r\n",
	}
	if lines := <-got; len(lines) < 1 || !slices.Equal(lines[1:], want) {
		t.Errorf("client sent %q\nwant EHLO then %q", lines, want)
	}
}
