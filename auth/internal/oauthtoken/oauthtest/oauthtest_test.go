package oauthtest_test

import (
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
)

func TestTokens(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{"a", "b"}}
	var got []string
	for range 3 {
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tok.AccessToken)
	}
	if !slices.Equal(got, []string{"a", "b", "b"}) || ts.Calls != 3 {
		t.Errorf("tokens %q after %d calls; want a b b after 3", got, ts.Calls)
	}
	ts.Err = errors.New("down")
	if tok, err := ts.Token(); tok != nil || err != ts.Err || ts.Calls != 4 {
		t.Errorf("with Err: Token = %v, %v after %d calls", tok, err, ts.Calls)
	}
	if tok, err := (&oauthtest.Tokens{}).Token(); err != nil || tok.AccessToken != "" {
		t.Errorf("empty List: Token = %v, %v; want an empty token", tok, err)
	}
	if tok, err := (oauthtest.NilToken{}).Token(); tok != nil || err != nil {
		t.Errorf("NilToken: Token = %v, %v", tok, err)
	}
	if tok, err := oauthtest.Static("s").Token(); err != nil || tok.AccessToken != "s" {
		t.Errorf("Static: Token = %v, %v", tok, err)
	}
}

func TestServe(t *testing.T) {
	client, server := net.Pipe()
	got := oauthtest.Serve(server, []string{"220 hi\r\n", "250 ok\r\n"})
	buf := make([]byte, 64)
	n, _ := client.Read(buf)
	if string(buf[:n]) != "220 hi\r\n" {
		t.Fatalf("greeting %q", buf[:n])
	}
	client.Write([]byte("NOOP\r\n"))
	n, _ = client.Read(buf)
	if string(buf[:n]) != "250 ok\r\n" {
		t.Fatalf("reply %q", buf[:n])
	}
	if lines := <-got; !slices.Equal(lines, []string{"NOOP\r\n"}) {
		t.Errorf("lines %q", lines)
	}
	client.Close()
}
