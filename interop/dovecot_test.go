package interop

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	// The client under test; see the import comment in main_test.go.
	smtp "github.com/smtpauth/smtpauth/client"
)

// TestDelivery authenticates with PLAIN and CRAM-MD5, over STARTTLS and over
// implicit TLS, submits a message and checks that Dovecot relayed it.
func TestDelivery(t *testing.T) {
	c := dovecot(t)
	dials := []struct {
		name string
		dial func(*testing.T, *dovecotConfig) *smtp.Client
	}{
		{"starttls", dialStartTLS},
		{"implicit-tls", dialImplicitTLS},
	}
	mechs := []struct {
		name string
		auth func(*dovecotConfig) smtp.Auth
	}{
		{"PLAIN", func(c *dovecotConfig) smtp.Auth { return smtp.PlainAuth("", c.user, c.password, serverName) }},
		{"CRAM-MD5", func(c *dovecotConfig) smtp.Auth { return smtp.CRAMMD5Auth(c.user, c.password) }},
	}
	for _, d := range dials {
		for _, m := range mechs {
			t.Run(d.name+"/"+m.name, func(t *testing.T) {
				cl := d.dial(t, c)
				state, ok := cl.TLSConnectionState()
				if !ok || !state.HandshakeComplete {
					t.Fatalf("TLSConnectionState() = _, %v (handshake complete %v), want TLS", ok, state.HandshakeComplete)
				}
				if state.Version < tls.VersionTLS12 {
					t.Errorf("TLS version %#x, want >= TLS 1.2", state.Version)
				}
				if ok, _ := cl.Extension("AUTH"); !ok {
					t.Fatalf("Dovecot does not offer AUTH over TLS")
				}
				if err := cl.Auth(m.auth(c)); err != nil {
					t.Fatalf("Auth(%s): %v", m.name, err)
				}
				token, msg := newMessage(t, c.user)
				submit(t, cl, c.user, msg)
				checkDelivered(t, c.user, token, msg)
			})
		}
	}
}

// TestWrongPassword checks that a wrong password is answered with 535 for
// both mechanisms, and that the connection cannot be used to submit mail.
func TestWrongPassword(t *testing.T) {
	c := dovecot(t)
	const wrong = "Tr0ub4dor&3"
	for _, m := range []struct {
		name string
		auth smtp.Auth
	}{
		{"PLAIN", smtp.PlainAuth("", c.user, wrong, serverName)},
		{"CRAM-MD5", smtp.CRAMMD5Auth(c.user, wrong)},
	} {
		t.Run(m.name, func(t *testing.T) {
			cl := dialStartTLS(t, c)
			checkAuthCode(t, cl.Auth(m.auth), 535)

			// Whatever state the client is in now (net/smtp closes the
			// connection after a failed AUTH; Dovecot would answer MAIL
			// with 530), the message must not go anywhere.
			token, msg := newMessage(t, c.user)
			if err := cl.Mail(c.user); err == nil {
				t.Errorf("Mail after a failed Auth succeeded")
				if err := cl.Rcpt(recipient); err == nil {
					if w, err := cl.Data(); err == nil {
						w.Write(msg)
						w.Close()
					}
				}
			}
			relay.checkNothing(t, token, 500*time.Millisecond)
		})
	}
}

// TestPlainAuthRefusesPlaintext checks that PlainAuth does not send
// credentials over an unencrypted connection to a server that is not
// localhost, even though Dovecot (which considers loopback connections
// secure) offers AUTH PLAIN before STARTTLS on 127.0.0.1.
func TestPlainAuthRefusesPlaintext(t *testing.T) {
	c := dovecot(t)
	cl := dialPlain(t, c)
	if _, ok := cl.TLSConnectionState(); ok {
		t.Fatalf("connection is TLS before StartTLS")
	}
	if ok, mechs := cl.Extension("AUTH"); ok {
		t.Logf("Dovecot offers AUTH %s before STARTTLS (loopback counts as secure)", mechs)
	}
	err := cl.Auth(smtp.PlainAuth("", c.user, c.password, serverName))
	if err == nil {
		t.Fatalf("Auth(PLAIN) over plaintext to %q succeeded; credentials were sent in the clear", serverName)
	}
	// The refusal must come from the client, not be a server reply.
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		t.Fatalf("Auth(PLAIN) over plaintext: got server reply %v; the client should have refused before sending credentials", err)
	}
	t.Logf("Auth(PLAIN) over plaintext refused: %v", err)
}

// TestStartTLSVerifiesCertificate checks that StartTLS verifies Dovecot's
// certificate with the given tls.Config.
func TestStartTLSVerifiesCertificate(t *testing.T) {
	c := dovecot(t)
	for _, tc := range []struct {
		name   string
		config *tls.Config
	}{
		// An empty pool, not nil: nil would mean the system roots.
		{"untrusted-ca", &tls.Config{ServerName: serverName, RootCAs: x509.NewCertPool()}},
		{"wrong-name", &tls.Config{ServerName: "other.smtpauth.test", RootCAs: c.roots}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := dialPlain(t, c)
			err := cl.StartTLS(tc.config)
			if err == nil {
				t.Fatalf("StartTLS succeeded, want a certificate verification error")
			}
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Errorf("StartTLS error %v (%T) is not a *tls.CertificateVerificationError", err, err)
			}
		})
	}
}

// TestExtensionAuthAfterStartTLS checks the AUTH mechanisms Dovecot
// advertises after STARTTLS.
func TestExtensionAuthAfterStartTLS(t *testing.T) {
	c := dovecot(t)
	cl := dialStartTLS(t, c)
	ok, param := cl.Extension("AUTH")
	if !ok {
		t.Fatalf("Extension(AUTH) = false after StartTLS")
	}
	have := map[string]bool{}
	for _, m := range strings.Fields(param) {
		have[strings.ToUpper(m)] = true
	}
	for _, want := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		if !have[want] {
			t.Errorf("Extension(AUTH) = %q, missing %s", param, want)
		}
	}
	if err := cl.Quit(); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

// TestDialTLS submits over implicit TLS with DialTLS, which names the server
// after the host in addr (127.0.0.1; Dovecot's certificate has it as an IP
// SAN), so the Auth mechanisms get that name too.
func TestDialTLS(t *testing.T) {
	c := dovecot(t)
	host, _, err := net.SplitHostPort(c.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name string
		auth smtp.Auth
	}{
		{"PLAIN", smtp.PlainAuth("", c.user, c.password, host)},
		{"CRAM-MD5", smtp.CRAMMD5Auth(c.user, c.password)},
	} {
		t.Run(m.name, func(t *testing.T) {
			cl, err := smtp.DialTLS(c.tlsAddr, &tls.Config{RootCAs: c.roots})
			if err != nil {
				t.Fatalf("DialTLS: %v", err)
			}
			defer cl.Close()
			cl.SetDeadline(time.Now().Add(connDeadline))
			if _, ok := cl.TLSConnectionState(); !ok {
				t.Fatalf("TLSConnectionState() reports no TLS after DialTLS")
			}
			if err := cl.Auth(m.auth); err != nil {
				t.Fatalf("Auth(%s): %v", m.name, err)
			}
			token, msg := newMessage(t, c.user)
			submit(t, cl, c.user, msg)
			checkDelivered(t, c.user, token, msg)
		})
	}

	t.Run("untrusted-ca", func(t *testing.T) {
		cl, err := smtp.DialTLS(c.tlsAddr, &tls.Config{RootCAs: x509.NewCertPool()})
		if err == nil {
			cl.Close()
			t.Fatalf("DialTLS succeeded with an empty root pool")
		}
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) {
			t.Errorf("DialTLS error %v (%T) is not a *tls.CertificateVerificationError", err, err)
		}
	})
}
