package testing

import (
	"context"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

func TestNotify(t *testing.T) {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = []string{"PLAIN", "SCRAM-SHA-256"}
	srv.RequireAuth = true
	srv.Start()
	defer srv.Close()

	n := &Notifier{
		Dialer: smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()},
		Addr:   srv.Addr,
		Creds:  registry.Credentials{Username: "user@example.com", Password: "password"},
		From:   "app@example.com",
	}
	if err := n.Notify(context.Background(), "ops@example.net", "disk full", "Disk /var is 98% full."); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.Auth != "SCRAM-SHA-256" || !m.TLS || m.To[0] != "ops@example.net" || !strings.Contains(string(m.Data), "Subject: disk full\r\n") {
		t.Errorf("server got %+v (%q)", m, m.Data)
	}
}
