package xoauth2_test

import (
	"encoding/base64"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"testing"

	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
	"github.com/smtpauth/smtpauth/client"
)

// TestWireWithNetSMTP runs Google's failure flow through net/smtp's client
// and checks every byte the client sends, the dummy reply included.
func TestWireWithNetSMTP(t *testing.T) {
	client, server := net.Pipe()
	got := oauthtest.Serve(server, []string{
		"220 localhost ESMTP\r\n",
		"250-localhost\r\n250 AUTH XOAUTH2\r\n",
		"334 " + base64.StdEncoding.EncodeToString([]byte(googleFail)) + "\r\n",
		"535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 Learn more\r\n",
		"501 5.5.2 cancelled\r\n",
		"221 bye\r\n",
	})
	c, err := smtp.NewClient(client, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken))
	err = c.Auth(a)
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 535 {
		t.Fatalf("Auth = %v; want the 535", err)
	}
	want := []string{
		"EHLO localhost\r\n",
		"AUTH XOAUTH2 " + googleB64 + "\r\n",
		"\r\n",  // the dummy reply
		"*\r\n", // net/smtp cancels even after the final reply
		"QUIT\r\n",
	}
	if lines := <-got; !slices.Equal(lines, want) {
		t.Errorf("client sent %q\nwant %q", lines, want)
	}
	var e *xoauth2.Error
	if !errors.As(xoauth2.ServerError(a), &e) || e.Status != "401" {
		t.Errorf("ServerError = %v", xoauth2.ServerError(a))
	}
}

// TestWireRetryWithClient runs Google's refusal and the retry with a fresh
// token through smtpauth's client on one connection.
func TestWireRetryWithClient(t *testing.T) {
	conn, server := net.Pipe()
	got := oauthtest.Serve(server, []string{
		"220 localhost ESMTP\r\n",
		"250-localhost\r\n250 AUTH XOAUTH2\r\n",
		"334 " + base64.StdEncoding.EncodeToString([]byte(googleFail)) + "\r\n",
		"535 5.7.8 Username and Password not accepted\r\n",
		"235 2.7.0 Accepted\r\n",
		"221 bye\r\n",
	})
	c, err := client.NewClient(conn, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ts := &oauthtest.Tokens{List: []string{"first", "second"}}
	if err := c.Auth(xoauth2.New(googleUser, ts)); err != nil {
		t.Fatalf("Auth = %v; want success after the retry", err)
	}
	c.Quit()
	ir := func(token string) string {
		return "AUTH XOAUTH2 " + base64.StdEncoding.EncodeToString([]byte("user="+googleUser+"\x01auth=Bearer "+token+"\x01\x01")) + "\r\n"
	}
	want := []string{ir("first"), "\r\n", ir("second"), "QUIT\r\n"}
	if lines := <-got; len(lines) < 1 || !slices.Equal(lines[1:], want) {
		t.Errorf("client sent %q\nwant EHLO then %q", lines, want)
	}
}
