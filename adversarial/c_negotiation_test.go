package adversarial_test

import (
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group C: negotiation and downgrade, with the Default registry's
// Selector. A machine in the middle can rewrite a plaintext EHLO reply;
// a malicious server can list anything, spelled any way, and refuse
// whatever it likes to push the client toward a weaker mechanism.

var plainLine = "C: AUTH PLAIN " + b64("\x00"+user+"\x00"+password)

// TestC_SelectionUsesPostTLSList: the plaintext list offers SCRAM with
// channel binding, the list after STARTTLS only PLAIN. The plaintext list
// may have been forged either way; only the list over TLS counts.
func TestC_SelectionUsesPostTLSList(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256"),
		starttls("AUTH PLAIN"), plainLine, "S: 235 2.7.0 ok", quit))
	c := dialTLS(t, s, "example.com")
	sel := registry.Default.Auth(passwordCreds())
	must(t, c.Auth(sel))
	if got := sel.Report().Chosen(); got != "PLAIN" {
		t.Errorf("chosen %q, want PLAIN\n%s", got, sel.Report())
	}
	must(t, c.Quit())
	s.Check(t)
}

// TestC_PostTLSListUpgrades is the other direction: PLAIN in plaintext,
// SCRAM over TLS. The client must use SCRAM, and since the server offers
// no -PLUS over TLS, say so with the "y" flag (RFC 5802 §6), so that a
// server that does support channel binding detects the stripping.
func TestC_PostTLSListUpgrades(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "y,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS", "AUTH PLAIN"),
		starttls("AUTH SCRAM-SHA-256"), "STEP", quit),
		x.firstReply(func(*scramServer) string { return "454 4.7.0 try later" }))
	c := dialTLS(t, s, "example.com")
	wantCode(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), 454)
	s.Check(t)
}

// TestC_PlusStrippedIsDetectable: over TLS the server lists SCRAM-SHA-256
// but not its -PLUS variant: the client flags "y", never "n".
func TestC_PlusStrippedIsDetectable(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "y,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256 PLAIN"),
		"STEP", "STEP", "C: ", "S: 235 2.7.0 ok", quit),
		x.first((*scramServer).serverFirstMessage),
		x.final(func(x *scramServer) string { return "334 " + b64(x.v()) }))
	c := dialTLS(t, s, "example.com")
	must(t, c.Auth(registry.Default.Auth(passwordCreds())))
	must(t, c.Quit())
	s.Check(t)
}

// TestC_PlusOfferedIsBound: with SCRAM-SHA-256-PLUS offered over TLS 1.3,
// the client binds the exchange to this TLS channel (RFC 9266
// tls-exporter); the server checks the binding data against its own side
// of the channel.
func TestC_PlusOfferedIsBound(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256-PLUS", "p=tls-exporter,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN"),
		"STEP", "STEP", "C: ", "S: 235 2.7.0 ok", quit),
		x.first((*scramServer).serverFirstMessage),
		x.final(func(x *scramServer) string { return "334 " + b64(x.v()) }))
	c := dialTLS(t, s, "example.com")
	sel := registry.Default.Auth(passwordCreds())
	must(t, c.Auth(sel))
	if got := sel.Report().Chosen(); got != "SCRAM-SHA-256-PLUS" {
		t.Errorf("chosen %q\n%s", got, sel.Report())
	}
	must(t, c.Quit())
	s.Check(t)
}

// TestC_RefusalNoWeaker: the server refuses SCRAM with 534 (mechanism too
// weak, RFC 4954 §6) or 535 (credentials invalid). Neither is a reason to
// send the password itself with PLAIN: under the default policy the
// client stops.
func TestC_RefusalNoWeaker(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply string
		code  int
	}{
		{"534", "534 5.7.9 Authentication mechanism is too weak", 534},
		{"535", "535 5.7.8 Authentication credentials invalid", 535},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newSCRAM("SCRAM-SHA-256", "y,,")
			s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256 PLAIN"), "STEP", quit),
				x.firstReply(func(*scramServer) string { return tc.reply }))
			c := dialTLS(t, s, "example.com")
			sel := registry.Default.Auth(passwordCreds())
			wantCode(t, "Auth", c.Auth(sel), tc.code)
			s.Check(t)
			if strings.Contains(s.Wire(), "AUTH PLAIN") {
				t.Errorf("fell back to PLAIN after %d\n%s", tc.code, sel.Report())
			}
		})
	}
}

// TestC_RetryOnAuthFailureAllows is the control: the caller's policy may
// allow the next candidate after a 535.
func TestC_RetryOnAuthFailureAllows(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "y,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256 PLAIN"), "STEP",
		plainLine, "S: 235 2.7.0 ok", quit),
		x.firstReply(func(*scramServer) string { return "535 5.7.8 no" }))
	c := dialTLS(t, s, "example.com")
	must(t, c.Auth(withPolicy(registry.Policy{RetryOnAuthFailure: true}).Auth(passwordCreds())))
	must(t, c.Quit())
	s.Check(t)
}

// TestC_504MovesOn documents the one refusal that moves to the next
// candidate by default: 504, the server does not know the mechanism after
// all. The next candidate is still within the policy.
func TestC_504MovesOn(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "y,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256 PLAIN"), "STEP",
		plainLine, "S: 235 2.7.0 ok", quit),
		x.firstReply(func(*scramServer) string { return "504 5.5.4 Unrecognized authentication type" }))
	c := dialTLS(t, s, "example.com")
	must(t, c.Auth(registry.Default.Auth(passwordCreds())))
	must(t, c.Quit())
	s.Check(t)
}

// TestC_StrongStrippedPlaintext: in plaintext, a machine in the middle
// removed SCRAM. The policy still never allows PLAIN or LOGIN; CRAM-MD5
// (no reusable secret on the wire) remains unless MinRank excludes it.
func TestC_StrongStrippedPlaintext(t *testing.T) {
	t.Run("CRAM-MD5 at most", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN LOGIN CRAM-MD5"),
			"C: AUTH CRAM-MD5", "S: 535 5.7.8 no", quit))
		c := dial(t, s, "mx.example.com")
		wantCode(t, "Auth", c.Auth(noLoopback().Auth(passwordCreds())), 535)
		s.Check(t)
	})
	t.Run("MinRank", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN LOGIN CRAM-MD5"), quit))
		c := dial(t, s, "mx.example.com")
		r := withPolicy(registry.Policy{NoLoopbackException: true, MinRank: registry.RankSCRAMSHA1})
		wantErr(t, "Auth", c.Auth(r.Auth(passwordCreds())), registry.ErrNoMechanism)
		s.Check(t)
		wantWire(t, s, lines("EHLO localhost", "QUIT"))
	})
	t.Run("Prefer cannot add PLAIN", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN CRAM-MD5"), "C: AUTH CRAM-MD5", "S: 535 5.7.8 no", quit))
		c := dial(t, s, "mx.example.com")
		r := withPolicy(registry.Policy{NoLoopbackException: true, Prefer: []string{"PLAIN"}})
		wantCode(t, "Auth", c.Auth(r.Auth(passwordCreds())), 535)
		s.Check(t)
	})
}

// TestC_PlusWithoutTLS: -PLUS listed on a plaintext connection has
// nothing to bind to; the client uses SCRAM-SHA-256 and says "n" (it
// cannot bind either).
func TestC_PlusWithoutTLS(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "n,,")
	s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256"), "STEP", quit),
		x.firstReply(func(*scramServer) string { return "535 5.7.8 no" }))
	c := dial(t, s, "mx.example.com")
	wantCode(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), 535)
	s.Check(t)
}

// hostileNames are mechanism names no registry may match. Unicode letters
// whose upper case is ASCII (dotless i, long s) spell registered names
// for strings.ToUpper; the others break RFC 4422 §3.1's syntax.
var hostileNames = []struct{ name, mech string }{
	{"dotless i", "plaın"},
	{"long s", "ſcram-ſha-256"},
	{"dotted capital I", "PLAİN"},
	{"capital I for l", "PIAIN"},
	{"21 characters", "SCRAM-SHA-256-PLUS-XY"},
	{"NUL", "PLAIN\x00"},
	{"SOH", "PLA\x01IN"},
	{"ANSI escape", "\x1b[1mPLAIN"},
	{"DEL", "PLAIN\x7f"},
	{"comma", "PLAIN,LOGIN"},
	{"C1 CSI", "PLAIN\u009b"},
}

// TestC_HostileNamesClient: through smtpauth's client, none of the names
// reaches the registry as a registered one. The server is on loopback, so
// the default policy would allow PLAIN: only the name stops it.
func TestC_HostileNamesClient(t *testing.T) {
	for _, tc := range hostileNames {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH "+tc.mech), quit))
			c := dial(t, s, "localhost")
			if info := c.ServerInfo(); len(info.Auth) > 0 && tc.name == "21 characters" {
				t.Errorf("ServerInfo.Auth = %q, want the 21-character name dropped", info.Auth)
			}
			wantErr(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), registry.ErrNoMechanism)
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "QUIT"))
		})
	}
	t.Run("ASCII lower case is the same name", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo("AUTH plain"), plainLine, "S: 235 ok", quit))
		c := dial(t, s, "localhost")
		must(t, c.Auth(registry.Default.Auth(passwordCreds())))
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestC_HostileNamesRegistry: net/smtp's client hands the registry the
// names as the server spelled them; the registry itself must not fold
// look-alikes onto registered names.
func TestC_HostileNamesRegistry(t *testing.T) {
	for _, tc := range hostileNames {
		t.Run(tc.name, func(t *testing.T) {
			info := &auth.ServerInfo{Name: "localhost", TLS: true, Auth: []string{tc.mech}}
			if r := registry.Default.Select(passwordCreds(), info, auth.ConnState{}); r.Chosen() != "" {
				t.Errorf("Select chose %q for advertised %q\n%s", r.Chosen(), tc.mech, r)
			}
		})
	}
}

// TestC_HostileNameNetSMTP is the same through net/smtp's client, on the
// wire: a server advertising "plaın" must get no AUTH PLAIN.
func TestC_HostileNameNetSMTP(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH plaın"), quit))
	c, err := smtp.NewClient(s.Dial(t), "localhost")
	must(t, err)
	defer c.Close()
	wantErr(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), registry.ErrNoMechanism)
	s.Check(t)
}

// TestC_NothingUsable: names the registry does not hold, and mechanisms
// the credentials cannot serve, give ErrNoMechanism and no AUTH.
func TestC_NothingUsable(t *testing.T) {
	for name, list := range map[string]string{
		"unregistered":       "AUTH X-EVIL GSSAPI KERBEROS_V4",
		"no token for OAuth": "AUTH XOAUTH2 OAUTHBEARER",
		"no certificate":     "AUTH EXTERNAL",
	} {
		t.Run(name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo(list), quit))
			c := dial(t, s, "localhost")
			wantErr(t, "Auth", c.Auth(registry.Default.Auth(passwordCreds())), registry.ErrNoMechanism)
			s.Check(t)
			wantWire(t, s, lines("EHLO localhost", "QUIT"))
		})
	}
}

// TestC_DenyHonoured: a denied mechanism is not chosen even when it ranks
// highest.
func TestC_DenyHonoured(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH CRAM-MD5 PLAIN"), plainLine, "S: 235 ok", quit))
	c := dialTLS(t, s, "example.com")
	must(t, c.Auth(withPolicy(registry.Policy{Deny: []string{"cram-md5"}}).Auth(passwordCreds())))
	must(t, c.Quit())
	s.Check(t)
}
