package adversarial_test

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/scram"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group D: SCRAM verification, driven through the client. SCRAM's promise
// is mutual: the server proves it knows the salted password (v=). Every
// way the server's messages can be wrong must end the exchange, with "*"
// while a challenge is pending, and never count as success.

func newSCRAMAuth(t *testing.T) auth.Auth {
	t.Helper()
	a, err := scram.New("SCRAM-SHA-256", scram.Config{Username: user, Password: password})
	must(t, err)
	return a
}

// cancelled is how the client ends an exchange while a challenge waits.
const cancelled = "C: *\nS: 501 5.7.0 cancelled\n" + quit

// TestD_ServerFirst: a wrong server-first-message is refused before any
// proof is computed or sent: the client answers "*".
func TestD_ServerFirst(t *testing.T) {
	salt := b64("salt-for-tests!!")
	for _, tc := range []struct {
		name string
		msg  func(x *scramServer) string
		want error
	}{
		{"nonce not extending the client's", func(x *scramServer) string { return "r=other" + x.nonce + ",s=" + salt + ",i=4096" }, scram.ErrBadServerMessage},
		{"nonce equal to the client's", func(x *scramServer) string { return "r=" + x.clientNonce + ",s=" + salt + ",i=4096" }, scram.ErrBadServerMessage},
		{"nonce with a control character", func(x *scramServer) string { return "r=" + x.nonce + "\x01,s=" + salt + ",i=4096" }, scram.ErrBadServerMessage},
		{"salt not base64", func(x *scramServer) string { return "r=" + x.nonce + ",s=!!!,i=4096" }, scram.ErrBadServerMessage},
		{"empty salt", func(x *scramServer) string { return "r=" + x.nonce + ",s=,i=4096" }, scram.ErrBadServerMessage},
		{"i=0", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=0" }, scram.ErrBadServerMessage},
		{"i=-1", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=-1" }, scram.ErrBadServerMessage},
		{"i=0x1000", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=0x1000" }, scram.ErrBadServerMessage},
		{"i below 4096", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=4095" }, scram.ErrWeakIterations},
		{"huge i", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=99999999999999999999" }, scram.ErrTooManyIterations},
		{"i above the maximum", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt + ",i=1000001" }, scram.ErrTooManyIterations},
		{"mandatory extension m=", func(x *scramServer) string { return "m=ext," + x.serverFirstMessage() }, scram.ErrBadServerMessage},
		{"attributes out of order", func(x *scramServer) string { return "s=" + salt + ",r=" + x.nonce + ",i=4096" }, scram.ErrBadServerMessage},
		{"missing i", func(x *scramServer) string { return "r=" + x.nonce + ",s=" + salt }, scram.ErrBadServerMessage},
		{"not UTF-8", func(x *scramServer) string { return "r=" + x.nonce + "\xff,s=" + salt + ",i=4096" }, scram.ErrBadServerMessage},
		{"not attributes", func(*scramServer) string { return "hello" }, scram.ErrBadServerMessage},
		{"empty", func(*scramServer) string { return "" }, scram.ErrBadServerMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newSCRAM("SCRAM-SHA-256", "n,,")
			s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", cancelled), x.first(tc.msg))
			c := dial(t, s, "mx.example.com")
			wantErr(t, "Auth", c.Auth(newSCRAMAuth(t)), tc.want)
			s.Check(t)
		})
	}
}

// TestD_ServerError: e= in the server-first-message is the server's
// refusal; its text is kept printable so that it cannot forge log lines.
func TestD_ServerError(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "n,,")
	s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", cancelled),
		x.first(func(*scramServer) string { return "e=unknown-user\x1b[2J\r\nforged" }))
	c := dial(t, s, "mx.example.com")
	err := c.Auth(newSCRAMAuth(t))
	var se *scram.ServerError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Value, "unknown-user") {
		t.Fatalf("Auth = %v, want a scram.ServerError", err)
	}
	if strings.ContainsAny(err.Error(), "\x1b\r\n") {
		t.Errorf("error text %q holds control characters", err)
	}
	s.Check(t)
}

// TestD_ServerFinal: the client-final-message went out; the server's
// answer must carry the right signature, or the exchange fails.
func TestD_ServerFinal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(x *scramServer) string
		rest  string // script after the reply
		want  error
	}{
		{"wrong v=", func(*scramServer) string { return "334 " + b64("v="+b64(strings.Repeat("x", 32))) }, cancelled, scram.ErrServerNotVerified},
		{"v= not base64", func(*scramServer) string { return "334 " + b64("v=!!!") }, cancelled, scram.ErrBadServerMessage},
		{"empty v=", func(*scramServer) string { return "334 " + b64("v=") }, cancelled, scram.ErrServerNotVerified},
		{"e=invalid-proof", func(*scramServer) string { return "334 " + b64("e=invalid-proof") }, cancelled, new(scram.ServerError)},
		{"v= of another exchange", func(x *scramServer) string {
			sig := append([]byte(nil), x.serverSig...)
			sig[0] ^= 1
			return "334 " + b64("v="+string(b64Bytes(sig)))
		}, cancelled, scram.ErrServerNotVerified},
		{"missing v=, then 235", func(*scramServer) string { return "235 2.7.0 Authentication successful" }, quit, scram.ErrServerNotVerified},
		{"wrong v= in the 235", func(*scramServer) string { return "235 2.7.0 " + b64("v="+b64(strings.Repeat("x", 32))) }, quit, scram.ErrServerNotVerified},
		{"e= in the 235", func(*scramServer) string { return "235 2.7.0 " + b64("e=other-error") }, quit, new(scram.ServerError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newSCRAM("SCRAM-SHA-256", "n,,")
			s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", "STEP", tc.rest),
				x.first((*scramServer).serverFirstMessage), x.final(tc.reply))
			c := dial(t, s, "mx.example.com")
			err := c.Auth(newSCRAMAuth(t))
			if se, ok := tc.want.(*scram.ServerError); ok {
				if !errors.As(err, &se) {
					t.Errorf("Auth = %v, want a scram.ServerError", err)
				}
			} else {
				wantErr(t, "Auth", err, tc.want)
			}
			if err := c.Noop(); err == nil {
				t.Error("connection still open after the server failed to prove itself")
			}
			s.Check(t)
		})
	}
}

// TestD_SuccessWithoutExchange: a server that answers the client-first-
// message with 235 has proved nothing.
func TestD_SuccessWithoutExchange(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "n,,")
	s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", quit),
		x.firstReply(func(*scramServer) string { return "235 2.7.0 welcome" }))
	c := dial(t, s, "mx.example.com")
	wantErr(t, "Auth", c.Auth(newSCRAMAuth(t)), scram.ErrServerNotVerified)
	s.Check(t)
}

// TestD_ExtraChallenge: after a verified v=, a further challenge is not
// SCRAM.
func TestD_ExtraChallenge(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256", "n,,")
	s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", "STEP", "C: ", "S: 334 "+b64("more?"), cancelled),
		x.first((*scramServer).serverFirstMessage), x.final(func(x *scramServer) string { return "334 " + b64(x.v()) }))
	c := dial(t, s, "mx.example.com")
	wantErr(t, "Auth", c.Auth(newSCRAMAuth(t)), auth.ErrUnexpectedChallenge)
	s.Check(t)
}

// TestD_Verified is the control: the right v=, as a challenge or in the
// 235 text, authenticates.
func TestD_Verified(t *testing.T) {
	t.Run("v= as a challenge", func(t *testing.T) {
		x := newSCRAM("SCRAM-SHA-256", "n,,")
		s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", "STEP", "C: ", "S: 235 2.7.0 ok", quit),
			x.first((*scramServer).serverFirstMessage), x.final(func(x *scramServer) string { return "334 " + b64(x.v()) }))
		c := dial(t, s, "mx.example.com")
		must(t, c.Auth(newSCRAMAuth(t)))
		must(t, c.Quit())
		s.Check(t)
	})
	t.Run("v= in the 235", func(t *testing.T) {
		x := newSCRAM("SCRAM-SHA-256", "n,,")
		s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", "STEP", quit),
			x.first((*scramServer).serverFirstMessage), x.final(func(x *scramServer) string { return "235 2.7.0 " + b64(x.v()) }))
		c := dial(t, s, "mx.example.com")
		must(t, c.Auth(newSCRAMAuth(t)))
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestD_PlusWithoutTLS: a -PLUS mechanism asked for on plaintext fails
// closed: nothing is sent under a name that promises channel binding.
func TestD_PlusWithoutTLS(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH SCRAM-SHA-256-PLUS"), quit))
	c := dial(t, s, "mx.example.com")
	a, err := scram.New("SCRAM-SHA-256-PLUS", scram.Config{Username: user, Password: password})
	must(t, err)
	wantErr(t, "Auth", c.Auth(a), scram.ErrNoChannelBinding)
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "QUIT"))
}

// TestD_PlusBindsThisChannel: the binding data the client sends is this
// TLS connection's exporter, checked by the server on its side.
func TestD_PlusBindsThisChannel(t *testing.T) {
	x := newSCRAM("SCRAM-SHA-256-PLUS", "p=tls-exporter,,")
	s := scripttest.New(t, script(greet, ehlo("STARTTLS"), starttls("AUTH SCRAM-SHA-256-PLUS"), "STEP", "STEP", "C: ", "S: 235 ok", quit),
		x.first((*scramServer).serverFirstMessage), x.final(func(x *scramServer) string { return "334 " + b64(x.v()) }))
	c := dial(t, s, "example.com")
	must(t, c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()}))
	a, err := scram.New("SCRAM-SHA-256-PLUS", scram.Config{Username: user, Password: password})
	must(t, err)
	must(t, c.Auth(a))
	must(t, c.Quit())
	s.Check(t)
}

func b64Bytes(b []byte) string { return b64(string(b)) }
