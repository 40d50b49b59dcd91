package registry_test

import (
	"net"
	"net/smtp"
	"testing"

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
