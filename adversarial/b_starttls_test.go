package adversarial_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group B: STARTTLS stripping and response injection. A machine in the
// middle of a plaintext connection can remove STARTTLS from the EHLO
// reply, refuse it, or add bytes after the 220 that the client would read
// as if they came over TLS (CVE-2021-22947 class, RFC 3207 §4.2).

// TestB_StartTLSStripped: without STARTTLS, every feature that needs TLS
// must refuse rather than run in plaintext.
func TestB_StartTLSStripped(t *testing.T) {
	body := "Subject: hi\r\n\r\nhi\r\n"
	t.Run("SendMail with PLAIN", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN"), quit))
		d := client.Dialer{ServerName: "mx.example.com"}
		err := d.SendMail(t.Context(), s.Addr, plain.New("", user, password, "mx.example.com"), "a@example.org", []string{"b@example.net"}, []byte(body))
		wantErr(t, "SendMail", err, auth.ErrUnencrypted)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
	t.Run("SendMail with the Selector", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN LOGIN"), quit))
		d := client.Dialer{ServerName: "mx.example.com"}
		err := d.SendMail(t.Context(), s.Addr, noLoopback().Auth(passwordCreds()), "a@example.org", []string{"b@example.net"}, []byte(body))
		wantErr(t, "SendMail", err, registry.ErrNoMechanism)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
	t.Run("RequireTLS envelope", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("REQUIRETLS"), quit))
		c := dial(t, s, "mx.example.com")
		_, err := c.Send(t.Context(), &client.Envelope{From: "a@example.org", To: []string{"b@example.net"}, RequireTLS: true}, strings.NewReader(body))
		wantErr(t, "Send", err, client.ErrNotSupported)
		must(t, c.Quit())
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
}

// TestB_StartTLSRefused: a 454 to STARTTLS ends SendMail; it never carries
// on in plaintext.
func TestB_StartTLSRefused(t *testing.T) {
	t.Run("SendMail", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH PLAIN"), "C: STARTTLS", "S: 454 4.7.0 TLS not available"))
		d := client.Dialer{ServerName: "mx.example.com"}
		err := d.SendMail(t.Context(), s.Addr, plain.New("", user, password, "mx.example.com"), "a@example.org", []string{"b@example.net"}, []byte("hi\r\n"))
		wantCode(t, "SendMail", err, 454)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "STARTTLS"))
	})
	t.Run("Auth after the refusal", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH PLAIN"), "C: STARTTLS", "S: 454 4.7.0 TLS not available", quit))
		c := dial(t, s, "mx.example.com")
		wantCode(t, "StartTLS", c.StartTLS(nil), 454)
		wantErr(t, "Auth", c.Auth(plain.New("", user, password, "mx.example.com")), auth.ErrUnencrypted)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "STARTTLS", "QUIT"))
	})
	t.Run("250 instead of 220", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH PLAIN"), "C: STARTTLS", "S: 250 sure", quit))
		c := dial(t, s, "mx.example.com")
		wantCode(t, "StartTLS", c.StartTLS(nil), 250)
		if _, ok := c.TLSConnectionState(); ok {
			t.Error("TLS reported without a handshake")
		}
		wantErr(t, "Auth", c.Auth(plain.New("", user, password, "mx.example.com")), auth.ErrUnencrypted)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "STARTTLS", "QUIT"))
	})
}

// TestB_HandshakeFailureNoFallback: SendMail tried TLS and the handshake
// failed: it must not start again in plaintext, on this connection or
// another.
func TestB_HandshakeFailureNoFallback(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH PLAIN"), "C: STARTTLS", "S: 220 ready", "TLSFAIL"))
	d := client.Dialer{ServerName: "example.com"} // system roots: the test CA is unknown
	err := d.SendMail(t.Context(), s.Addr, plain.New("", user, password, "example.com"), "a@example.org", []string{"b@example.net"}, []byte("hi\r\n"))
	if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Fatalf("SendMail = %v, want a handshake error", err)
	}
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "STARTTLS"))
}

// TestB_ResponseInjection: anything the server sent after the 220, in the
// same plaintext segment, would be read as if it came over TLS. The client
// must refuse it and close the connection.
func TestB_ResponseInjection(t *testing.T) {
	for name, injected := range map[string]string{
		"line":              "S: 250-AUTH PLAIN",
		"fragment":          "S! 2",
		"bare CRLF":         "S: ",
		"whole EHLO reply":  "S: 250-mx.example.com\nS: 250 AUTH PLAIN LOGIN",
		"second 220":        "S: 220 ready again",
		"221 after the 220": "S: 221 bye",
	} {
		t.Run(name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("STARTTLS"), "C: STARTTLS", "S: 220 ready", injected))
			c := dial(t, s, "example.com")
			err := c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()})
			wantErr(t, "StartTLS", err, client.ErrProtocol)
			if err := c.Noop(); !errors.Is(err, client.ErrProtocol) {
				t.Errorf("Noop after injection = %v, want the same ErrProtocol", err)
			}
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "STARTTLS"))
		})
	}
}

// TestB_StaleCapabilities: what the server said before TLS was said to
// anyone in the middle too. After STARTTLS only the new EHLO counts: here
// it lists nothing, so a stale SIZE 10 does not refuse a 20-octet message,
// no BODY=8BITMIME, PIPELINING or CHUNKING is used, and no mechanism is
// offered.
func TestB_StaleCapabilities(t *testing.T) {
	before := ehlo("AUTH PLAIN LOGIN", "SIZE 10", "8BITMIME", "PIPELINING", "CHUNKING", "SMTPUTF8", "STARTTLS")
	after := script("C: STARTTLS", "S: 220 ready", "TLS", "C: EHLO localhost", "S: 250 mx.example.com")
	t.Run("Send", func(t *testing.T) {
		s := scripttest.New(t, script(greet, before, after,
			"C: MAIL FROM:<a@example.org>", "S: 250 ok",
			"C: RCPT TO:<b@example.net>", "S: 250 ok",
			"C: DATA", "S: 354 go",
			"C: 0123456789abcdefgh", "C: .", "S: 250 queued",
			quit))
		c := dialTLS(t, s, "example.com")
		for _, ext := range []string{"AUTH", "SIZE", "8BITMIME", "PIPELINING", "CHUNKING", "SMTPUTF8", "STARTTLS"} {
			if ok, _ := c.Extension(ext); ok {
				t.Errorf("%s survived STARTTLS", ext)
			}
		}
		_, err := c.Send(t.Context(), &client.Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("0123456789abcdefgh\r\n"))
		must(t, err)
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("Auth", func(t *testing.T) {
		s := scripttest.New(t, script(greet, before, after, quit))
		c := dialTLS(t, s, "example.com")
		wantErr(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), registry.ErrNoMechanism)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "STARTTLS", "EHLO localhost", "QUIT"))
	})
	t.Run("AUTH list replaced", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256 PLAIN", "STARTTLS"), starttls("AUTH LOGIN"), quit))
		c := dialTLS(t, s, "example.com")
		a := &recordingAuth{}
		must(t, c.Auth(a))
		if got := strings.Join(a.info.Auth, " "); got != "LOGIN" || !a.info.TLS {
			t.Errorf("ServerInfo after STARTTLS = %+v, want Auth [LOGIN], TLS", a.info)
		}
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestB_ImplicitTLSNoSTARTTLS: over implicit TLS a STARTTLS offer is
// ignored by SendMail: a second handshake inside the first would only
// give a confused server something to get wrong.
func TestB_ImplicitTLSNoSTARTTLS(t *testing.T) {
	s := scripttest.New(t, script("TLS", greet, ehlo("STARTTLS", "AUTH PLAIN"),
		"C: AUTH PLAIN "+b64("\x00"+user+"\x00"+password), "S: 235 ok",
		"C: MAIL FROM:<a@example.org>", "S: 250 ok",
		"C: RCPT TO:<b@example.net>", "S: 250 ok",
		"C: DATA", "S: 354 go", "C: hi", "C: .", "S: 250 ok",
		quit))
	d := client.Dialer{ImplicitTLS: true, ServerName: "example.com", TLSConfig: &tls.Config{RootCAs: scripttest.Pool()}}
	must(t, d.SendMail(context.Background(), s.Addr, plain.New("", user, password, "example.com"), "a@example.org", []string{"b@example.net"}, []byte("hi")))
	s.Check(t)
}

// TestB_RequireTLSNeedsVerifiedTLS: REQUIRETLS (RFC 8689) over TLS that
// was not verified would promise the recipient a protection the first hop
// did not have.
func TestB_RequireTLSNeedsVerifiedTLS(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("REQUIRETLS"), quit))
	c := dial(t, s, "example.com")
	must(t, c.StartTLS(&tls.Config{InsecureSkipVerify: true}))
	_, err := c.Send(t.Context(), &client.Envelope{From: "a@example.org", To: []string{"b@example.net"}, RequireTLS: true}, strings.NewReader("hi\r\n"))
	wantErr(t, "Send", err, client.ErrNotSupported)
	must(t, c.Quit())
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "STARTTLS", "EHLO localhost", "QUIT"))
}
