package interop

import (
	"bytes"
	"context"
	"errors"
	"net/textproto"
	"testing"

	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/auth/scram"
	smtp "github.com/smtpauth/smtpauth/client"
)

// TestRegistryChoosesSCRAM: Dovecot 2.3 offers SCRAM-SHA-256 without
// channel binding; the Default registry must pick it over CRAM-MD5, PLAIN
// and LOGIN, and the message must go through.
func TestRegistryChoosesSCRAM(t *testing.T) {
	c := dovecot(t)
	for name, dial := range map[string]func(*testing.T, *dovecotConfig) *smtp.Client{
		"starttls": dialStartTLS, "implicit-tls": dialImplicitTLS,
	} {
		t.Run(name, func(t *testing.T) {
			cl := dial(t, c)
			sel := registry.Default.Auth(registry.Credentials{Username: c.user, Password: c.password})
			if err := cl.Auth(sel); err != nil {
				t.Fatalf("Auth: %v\n%s", err, sel.Report())
			}
			if got := sel.Report().Chosen(); got != "SCRAM-SHA-256" {
				t.Errorf("chosen %q, want SCRAM-SHA-256\n%s", got, sel.Report())
			}
			token, msg := newMessage(t, c.user)
			submit(t, cl, c.user, msg)
			checkDelivered(t, c.user, token, msg)
		})
	}
}

// TestEachMechanism authenticates with every mechanism Dovecot offers,
// through its own package, and sends with the pipelined Send.
func TestEachMechanism(t *testing.T) {
	c := dovecot(t)
	for _, tc := range []struct {
		name string
		auth func() (smtp.Auth, error)
	}{
		{"SCRAM-SHA-1", func() (smtp.Auth, error) {
			return scram.New("SCRAM-SHA-1", scram.Config{Username: c.user, Password: c.password})
		}},
		{"SCRAM-SHA-256", func() (smtp.Auth, error) {
			return scram.New("SCRAM-SHA-256", scram.Config{Username: c.user, Password: c.password})
		}},
		{"LOGIN", func() (smtp.Auth, error) { return login.New(c.user, c.password, serverName), nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := tc.auth()
			if err != nil {
				t.Fatal(err)
			}
			cl := dialStartTLS(t, c)
			if err := cl.Auth(a); err != nil {
				t.Fatalf("Auth: %v", err)
			}
			token, msg := newMessage(t, c.user)
			res, err := cl.Send(context.Background(), &smtp.Envelope{From: c.user, To: []string{recipient}}, bytes.NewReader(msg))
			if err != nil || len(res.Accepted) != 1 {
				t.Fatalf("Send = %+v, %v", res, err)
			}
			if err := cl.Quit(); err != nil {
				t.Fatal(err)
			}
			checkDelivered(t, c.user, token, msg)
		})
	}
}

// TestSCRAMWrongPassword: Dovecot refuses the proof; the registry does
// not fall back to a weaker mechanism with the same password.
func TestSCRAMWrongPassword(t *testing.T) {
	c := dovecot(t)
	cl := dialStartTLS(t, c)
	sel := registry.Default.Auth(registry.Credentials{Username: c.user, Password: "Tr0ub4dor&3"})
	err := cl.Auth(sel)
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 535 {
		t.Fatalf("Auth = %v, want 535\n%s", err, sel.Report())
	}
	if d := sel.Report().Decisions[0]; d.Name != "SCRAM-SHA-256" || d.Outcome != registry.Tried {
		t.Errorf("first decision %+v", d)
	}
	if d := sel.Report().Decisions[1]; d.Outcome != registry.Candidate {
		t.Errorf("second decision %+v: something weaker was tried", d)
	}
}
