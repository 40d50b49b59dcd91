package registry_test

import (
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth/registry"
	client "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

// TestWithOurClient: over verified STARTTLS, the Default registry prefers
// CRAM-MD5 to PLAIN, and the report explains both.
func TestWithOurClient(t *testing.T) {
	srv := smtptest.NewServer()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(conn, srv.ServerName)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(srv.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "password"})
	if err := c.Auth(sel); err != nil {
		t.Fatalf("Auth: %v\n%s", err, sel.Report())
	}
	if got := sel.Report().Chosen(); got != "CRAM-MD5" {
		t.Errorf("chosen %q, want CRAM-MD5\n%s", got, sel.Report())
	}
	if d := sel.Report().Decisions[1]; d.Name != "PLAIN" || d.Outcome != registry.Candidate {
		t.Errorf("second decision = %+v, want PLAIN candidate", d)
	}
}

// TestWithNetSMTP: the Selector is a plain smtp.Auth for the standard
// library's client, which gives it no socket address: the loopback rule
// falls back to the server's name.
func TestWithNetSMTP(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.AllowInsecureAuth = true
	srv.Mechanisms = []string{"PLAIN"}
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "password"})
	if err := c.Auth(sel); err != nil {
		t.Fatalf("Auth: %v\n%s", err, sel.Report())
	}
	if got := sel.Report().Chosen(); got != "PLAIN" {
		t.Errorf("chosen %q, want PLAIN", got)
	}
}

// dialTLS connects our client to srv over verified STARTTLS.
func dialTLS(t *testing.T, srv *smtptest.Server) *client.Client {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(conn, srv.ServerName)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.StartTLS(srv.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	return c
}

var allMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512",
	"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS", "XOAUTH2", "OAUTHBEARER"}

// TestStrongestAgainstIndependentServer: against xdg-go/scram's server
// side, with channel binding, the strongest mechanism wins and works.
func TestStrongestAgainstIndependentServer(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = allMechanisms
	srv.Start()
	defer srv.Close()
	c := dialTLS(t, srv)
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "password"})
	if err := c.Auth(sel); err != nil {
		t.Fatalf("Auth: %v\n%s", err, sel.Report())
	}
	if got := sel.Report().Chosen(); got != "SCRAM-SHA-512-PLUS" {
		t.Errorf("chosen %q\n%s", got, sel.Report())
	}
	if err := c.SendMail("user@example.com", []string{"b@example.net"}, strings.NewReader("hi\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].Auth != "SCRAM-SHA-512-PLUS" || m[0].User != "user@example.com" {
		t.Errorf("server recorded %+v", m)
	}
}

// TestFallbackOn504: a server that advertises a mechanism and then refuses
// it with 504 gets the next candidate on the same connection.
func TestFallbackOn504(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = allMechanisms
	srv.Refuse504 = []string{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS"}
	srv.Start()
	defer srv.Close()
	c := dialTLS(t, srv)
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "password"})
	if err := c.Auth(sel); err != nil {
		t.Fatalf("Auth: %v\n%s", err, sel.Report())
	}
	rep := sel.Report()
	if rep.Chosen() != "SCRAM-SHA-1-PLUS" {
		t.Errorf("chosen %q", rep.Chosen())
	}
	for _, name := range []string{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS"} {
		if d := find(rep, name); d.Outcome != registry.Tried || !strings.Contains(d.Reason, "504") {
			t.Errorf("%s: %+v", name, d)
		}
	}
}

// TestWrongPasswordDoesNotFallBack: 535 stops; no weaker mechanism gets
// the same password.
func TestWrongPasswordDoesNotFallBack(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = allMechanisms
	srv.Start()
	defer srv.Close()
	c := dialTLS(t, srv)
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "wrong"})
	err := c.Auth(sel)
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 535 {
		t.Fatalf("Auth = %v, want 535", err)
	}
	tried := 0
	for _, d := range sel.Report().Decisions {
		if d.Outcome == registry.Tried {
			tried++
		}
	}
	if tried != 1 {
		t.Errorf("%d mechanisms tried, want 1\n%s", tried, sel.Report())
	}
	if strings.Count(srv.Transcript(), "\nAUTH ") != 1 {
		t.Errorf("more than one AUTH on the wire")
	}
}

// TestTokenSelectsOAuth: a token source, not a password, selects
// OAUTHBEARER over XOAUTH2.
func TestTokenSelectsOAuth(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = allMechanisms
	srv.Start()
	defer srv.Close()
	c := dialTLS(t, srv)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"})
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", TokenSource: ts})
	if err := c.Auth(sel); err != nil {
		t.Fatalf("Auth: %v\n%s", err, sel.Report())
	}
	if got := sel.Report().Chosen(); got != "OAUTHBEARER" {
		t.Errorf("chosen %q\n%s", got, sel.Report())
	}
}

func find(r *registry.Report, name string) registry.Decision {
	for _, d := range r.Decisions {
		if d.Name == name {
			return d
		}
	}
	return registry.Decision{}
}
