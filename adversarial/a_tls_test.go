package adversarial_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/ntlm"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group A: TLS policy and credential exposure. A reusable secret (password,
// bearer token, NTLM response) must never leave the client unless the
// connection is TLS with a certificate verified for the name the caller
// gave; the server's own claims about its name count for nothing.

// cleartextMechs are the mechanisms that reveal a reusable secret, built
// for a server the caller knows as host, and the error each must return
// when the connection does not protect it.
func cleartextMechs(host string, ts *tokens) []struct {
	name string
	a    auth.Auth
	want error
} {
	return []struct {
		name string
		a    auth.Auth
		want error
	}{
		{"PLAIN", plain.New("", user, password, host), auth.ErrUnencrypted},
		{"client.PlainAuth", client.PlainAuth("", user, password, host), auth.ErrUnencrypted},
		{"LOGIN", login.New(user, password, host), auth.ErrUnencrypted},
		{"NTLM", ntlm.New("", user, password), auth.ErrUnencrypted},
		{"XOAUTH2", xoauth2.New(user, ts), auth.ErrUnencrypted},
		{"OAUTHBEARER", oauthbearer.New(user, ts), auth.ErrUnencrypted},
		{"Selector/password", noLoopback().Auth(passwordCreds()), registry.ErrNoMechanism},
		{"Selector/token", noLoopback().Auth(registry.Credentials{Username: user, TokenSource: ts}), registry.ErrNoMechanism},
	}
}

const cleartextAuthLine = "AUTH PLAIN LOGIN NTLM XOAUTH2 OAUTHBEARER"

// TestA_NoCredentialOverPlaintext: a server known as mx.example.com offers
// only cleartext-equivalent mechanisms on a plaintext connection. Nothing
// but EHLO and QUIT may be sent, and no token is even fetched.
func TestA_NoCredentialOverPlaintext(t *testing.T) {
	ts := newTokens(token)
	for _, tc := range cleartextMechs("mx.example.com", ts) {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo(cleartextAuthLine), quit))
			c := dial(t, s, "mx.example.com")
			wantErr(t, "Auth", c.Auth(tc.a), tc.want)
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "QUIT"))
		})
	}
	if n := ts.count(); n != 0 {
		t.Errorf("token source asked %d times over plaintext", n)
	}
}

// TestA_NoCredentialOverUnverifiedTLS: TLS that was not verified for the
// server's name protects against nobody who can intercept the handshake.
func TestA_NoCredentialOverUnverifiedTLS(t *testing.T) {
	acceptAll := func(tls.ConnectionState) error { return nil }
	for _, tr := range []struct {
		name   string
		host   string
		config *tls.Config
	}{
		{"InsecureSkipVerify", "example.com", &tls.Config{InsecureSkipVerify: true}},
		{"custom verification, other name", "mail.example.org", &tls.Config{InsecureSkipVerify: true, VerifyConnection: acceptAll}},
	} {
		ts := newTokens(token)
		for _, tc := range cleartextMechs(tr.host, ts) {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls(cleartextAuthLine), quit))
				c := dial(t, s, tr.host)
				must(t, c.StartTLS(tr.config))
				wantErr(t, "Auth", c.Auth(tc.a), tc.want)
				s.Check(t)
				wantWire(t, s, lines("EHLO localhost", "STARTTLS", "EHLO localhost", "QUIT"))
			})
		}
		if n := ts.count(); n != 0 {
			t.Errorf("%s: token source asked %d times", tr.name, n)
		}
	}
}

// TestA_VerifiedTLSSendsCredentials is the control for the two tests
// above: the same PLAIN goes out once TLS is verified for the name.
func TestA_VerifiedTLSSendsCredentials(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH PLAIN"),
		"C: AUTH PLAIN "+b64("\x00"+user+"\x00"+password), "S: 235 2.7.0 ok", quit))
	c := dialTLS(t, s, "example.com")
	must(t, c.Auth(plain.New("", user, password, "example.com")))
	must(t, c.Quit())
	s.Check(t)
}

// TestA_WrongServerName: the certificate is valid, but for example.com;
// the caller asked for mail.example.org. The handshake must fail, and
// nothing more may be sent.
func TestA_WrongServerName(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), "C: STARTTLS", "S: 220 ready", "TLSFAIL"))
	c := dial(t, s, "mail.example.org")
	err := c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()})
	var he x509.HostnameError
	if !errors.As(err, &he) {
		t.Fatalf("StartTLS = %v, want an x509.HostnameError", err)
	}
	if err := c.Auth(plain.New("", user, password, "mail.example.org")); err == nil {
		t.Error("Auth succeeded after a failed handshake")
	}
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "STARTTLS"))
}

// TestA_GreetingNameIgnored: the server calls itself example.com, the name
// on its certificate, in its greeting and EHLO reply; the caller knows it
// as mail.example.org, and only that name counts.
func TestA_GreetingNameIgnored(t *testing.T) {
	const greetAs = "S: 220 example.com ESMTP"
	ehloAs := script("C: EHLO localhost", "S: 250-example.com", "S: 250-AUTH PLAIN", "S: 250 STARTTLS")
	t.Run("certificate verified for the caller's name", func(t *testing.T) {
		s := scripttest.New(t, script(greetAs, ehloAs, "C: STARTTLS", "S: 220 ready", "TLSFAIL"))
		c := dial(t, s, "mail.example.org")
		var he x509.HostnameError
		if err := c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()}); !errors.As(err, &he) {
			t.Fatalf("StartTLS = %v, want an x509.HostnameError", err)
		}
		s.Check(t)
	})
	t.Run("ServerInfo.Name is the caller's name", func(t *testing.T) {
		s := scripttest.New(t, script(greetAs, ehloAs, quit))
		c := dial(t, s, "mail.example.org")
		a := &recordingAuth{}
		must(t, c.Auth(a))
		if a.info.Name != "mail.example.org" || a.info.TLS {
			t.Errorf("ServerInfo = %+v, want Name mail.example.org, TLS false", a.info)
		}
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestA_ImplicitTLS: RFC 8314 implicit TLS gets the same verification.
func TestA_ImplicitTLS(t *testing.T) {
	t.Run("wrong name", func(t *testing.T) {
		s := scripttest.New(t, "TLSFAIL")
		d := client.Dialer{ImplicitTLS: true, ServerName: "mail.example.org", TLSConfig: &tls.Config{RootCAs: scripttest.Pool()}}
		_, err := d.DialContext(t.Context(), s.Addr)
		var he x509.HostnameError
		if !errors.As(err, &he) {
			t.Errorf("DialContext = %v, want an x509.HostnameError", err)
		}
		s.Check(t)
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		s := scripttest.New(t, "TLSFAIL")
		_, err := client.DialTLS(s.Addr, nil)
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Errorf("DialTLS = %v, want an x509.UnknownAuthorityError", err)
		}
		s.Check(t)
	})
	t.Run("InsecureSkipVerify does not count as verified", func(t *testing.T) {
		s := scripttest.New(t, script("TLS", greet, ehlo("AUTH PLAIN"), quit))
		d := client.Dialer{ImplicitTLS: true, ServerName: "example.com", TLSConfig: &tls.Config{InsecureSkipVerify: true}}
		c, err := d.DialContext(t.Context(), s.Addr)
		must(t, err)
		wantErr(t, "Auth", c.Auth(plain.New("", user, password, "example.com")), auth.ErrUnencrypted)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
	t.Run("verified", func(t *testing.T) {
		s := scripttest.New(t, script("TLS", greet, ehlo("AUTH PLAIN"),
			"C: AUTH PLAIN "+b64("\x00"+user+"\x00"+password), "S: 235 ok", quit))
		d := client.Dialer{ImplicitTLS: true, ServerName: "example.com", TLSConfig: &tls.Config{RootCAs: scripttest.Pool()}}
		c, err := d.DialContext(t.Context(), s.Addr)
		must(t, err)
		must(t, c.Auth(registry.Default.Auth(passwordCreds())))
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestA_WrongHost: verified TLS to example.com, but the credentials are
// for another server: they must not be sent to this one.
func TestA_WrongHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    auth.Auth
		want error
	}{
		{"PLAIN", plain.New("", user, password, "other.example.net"), auth.ErrWrongHost},
		{"LOGIN", login.New(user, password, "other.example.net"), auth.ErrWrongHost},
		{"Selector with Credentials.Host", registry.Default.Auth(registry.Credentials{Username: user, Password: password, Host: "other.example.net"}), registry.ErrNoMechanism},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH PLAIN LOGIN"), quit))
			c := dialTLS(t, s, "example.com")
			wantErr(t, "Auth", c.Auth(tc.a), tc.want)
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "STARTTLS", "EHLO localhost", "QUIT"))
		})
	}
}

// TestA_OldTLSRefused: a server (or a machine in the middle) that offers
// only TLS 1.1 gets no handshake, hence no credentials.
func TestA_OldTLSRefused(t *testing.T) {
	old := func(c *scripttest.Conn) error {
		err := c.StartTLS(&tls.Config{Certificates: []tls.Certificate{scripttest.Certificate()}, MaxVersion: tls.VersionTLS11})
		if err == nil {
			return errors.New("the client accepted TLS 1.1")
		}
		return nil
	}
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), "C: STARTTLS", "S: 220 ready", "STEP"), old)
	c := dial(t, s, "example.com")
	if err := c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()}); err == nil {
		t.Fatal("StartTLS succeeded with TLS 1.1")
	}
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "STARTTLS"))
}

// TestA_LoopbackException documents the default policy's one exception:
// a server whose socket address is loopback gets cleartext-equivalent
// mechanisms without TLS, as net/smtp's PlainAuth allows for localhost,
// whatever name the caller gave. Policy.NoLoopbackException removes it
// (TestA_NoCredentialOverPlaintext).
func TestA_LoopbackException(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN"),
		"C: AUTH PLAIN "+b64("\x00"+user+"\x00"+password), "S: 235 ok", quit))
	c := dial(t, s, "mx.example.com")
	sel := registry.Default.Auth(passwordCreds())
	must(t, c.Auth(sel))
	must(t, c.Quit())
	s.Check(t)
}
