package adversarial_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group E: OAuth error flows. A server refuses a token with a 334
// challenge holding JSON; the client owes it a dummy reply (empty for
// XOAUTH2, %x01 for OAUTHBEARER, RFC 7628 §3.2.3) and then gets the final
// failure. The JSON is the server's text: hostile or malformed, it must
// neither break the flow nor reach an error text unsanitised. Tokens and
// user names with control characters would change the message's
// structure; they are refused before anything is written.

func xoauth2Line(u, tok string) string {
	return "C: AUTH XOAUTH2 " + b64("user="+u+"\x01auth=Bearer "+tok+"\x01\x01")
}

func bearerLine(s *scripttest.Server, authz, tok string) string {
	return "C: AUTH OAUTHBEARER " + b64("n,a="+authz+",\x01host=localhost\x01port="+port(s)+"\x01auth=Bearer "+tok+"\x01\x01")
}

// expectLine is a step that checks one client line known only once the
// server listens: OAUTHBEARER's initial response holds the server's port.
func expectLine(line func() string) scripttest.Step {
	return func(c *scripttest.Conn) error { return c.Expect(strings.TrimPrefix(line(), "C: ")) }
}

const googleFailure = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`

// TestE_XOAUTH2Failure: Google's failure flow, byte for byte: empty dummy
// reply, 535, and no retry when the token source has nothing new.
func TestE_XOAUTH2Failure(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
		"S: 334 "+b64(googleFailure), "C: ", "S: 535 5.7.8 Username and Password not accepted", quit))
	c := dial(t, s, "localhost")
	ts := newTokens(token)
	a := xoauth2.New(user, ts)
	wantCode(t, "Auth", c.Auth(a), 535)
	var e *xoauth2.Error
	if err := xoauth2.ServerError(a); !errors.As(err, &e) || e.Status != "401" || e.Scope != "https://mail.google.com/" {
		t.Errorf("ServerError = %#v", err)
	}
	s.Check(t)
}

// TestE_XOAUTH2FreshToken: a refused token is replaced once by a
// different one from the source, on the same connection.
func TestE_XOAUTH2FreshToken(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
		"S: 334 "+b64(googleFailure), "C: ", "S: 535 5.7.8 no",
		xoauth2Line(user, token2), "S: 235 2.7.0 Accepted", quit))
	c := dial(t, s, "localhost")
	must(t, c.Auth(xoauth2.New(user, newTokens(token, token2))))
	must(t, c.Quit())
	s.Check(t)
}

// TestE_OAUTHBEARERFailure: RFC 7628 §3.2.2's flow, with the %x01 dummy
// reply and the host and port keys.
func TestE_OAUTHBEARERFailure(t *testing.T) {
	var s *scripttest.Server
	s = scripttest.New(t, script(greet, ehlo("AUTH OAUTHBEARER"), "STEP",
		"S: 334 "+b64(`{"status":"invalid_token","scope":"mail","openid-configuration":"https://example.com/.well-known/openid-configuration"}`),
		"C: "+b64("\x01"), "S: 535 5.7.8 no", quit),
		expectLine(func() string { return bearerLine(s, user, token) }))
	c := dial(t, s, "localhost")
	a := oauthbearer.New(user, newTokens(token))
	wantCode(t, "Auth", c.Auth(a), 535)
	var e *oauthbearer.Error
	if err := oauthbearer.ServerError(a); !errors.As(err, &e) || e.Status != "invalid_token" || e.Scope != "mail" {
		t.Errorf("ServerError = %#v", err)
	}
	s.Check(t)
}

// TestE_HostileJSON: whatever the failure challenge holds, the dummy reply
// goes out and the final reply decides; what ServerError reports is
// printable.
func TestE_HostileJSON(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		malformed  bool
	}{
		{"ANSI escape and CRLF in status", `{"status":"401\u001b[2J\r\nforged: yes","scope":"x"}`, false},
		{"bidi override in scope", `{"status":"401","scope":"\u202egnp.exe"}`, false},
		{"not JSON", `<html>401</html>`, true},
		{"JSON array", `["status","401"]`, true},
		{"JSON null", `null`, true},
		{"deeply nested", strings.Repeat(`{"a":`, 500) + `1` + strings.Repeat(`}`, 500), false},
		{"status as number", `{"status":401}`, false},
		{"binary", "\x00\xff\xfe{", true},
	} {
		t.Run("XOAUTH2/"+tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
				"S: 334 "+b64(tc.json), "C: ", "S: 535 5.7.8 no", quit))
			c := dial(t, s, "localhost")
			a := xoauth2.New(user, newTokens(token))
			wantCode(t, "Auth", c.Auth(a), 535)
			checkServerError(t, xoauth2.ServerError(a), tc.malformed, xoauth2.ErrMalformedChallenge)
			s.Check(t)
		})
		t.Run("OAUTHBEARER/"+tc.name, func(t *testing.T) {
			var s *scripttest.Server
			s = scripttest.New(t, script(greet, ehlo("AUTH OAUTHBEARER"), "STEP",
				"S: 334 "+b64(tc.json), "C: AQ==", "S: 535 5.7.8 no", quit),
				expectLine(func() string { return bearerLine(s, user, token) }))
			c := dial(t, s, "localhost")
			a := oauthbearer.New(user, newTokens(token))
			wantCode(t, "Auth", c.Auth(a), 535)
			checkServerError(t, oauthbearer.ServerError(a), tc.malformed, oauthbearer.ErrMalformedChallenge)
			s.Check(t)
		})
	}
}

func checkServerError(t *testing.T, err error, malformed bool, sentinel error) {
	t.Helper()
	if malformed != errors.Is(err, sentinel) {
		t.Errorf("ServerError = %v, malformed %v", err, malformed)
	}
	if err == nil {
		return
	}
	for _, r := range err.Error() {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == '\u202e' {
			t.Errorf("ServerError text %q holds %U", err, r)
		}
	}
}

// TestE_OversizedChallenge: a failure challenge beyond the reply line
// limit breaks the stream: the connection is closed, no dummy reply.
func TestE_OversizedChallenge(t *testing.T) {
	big := `{"status":"401","scope":"` + strings.Repeat("s", 4000) + `"}`
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token), "S: 334 "+b64(big)))
	c := dial(t, s, "localhost")
	wantErr(t, "Auth", c.Auth(xoauth2.New(user, newTokens(token))), client.ErrProtocol)
	s.Check(t)
}

// TestE_SecondChallenge: XOAUTH2 and OAUTHBEARER have one failure
// challenge; a second one is cancelled.
func TestE_SecondChallenge(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
		"S: 334 "+b64(googleFailure), "C: ", "S: 334 "+b64(googleFailure), cancelled))
	c := dial(t, s, "localhost")
	wantErr(t, "Auth", c.Auth(xoauth2.New(user, newTokens(token))), auth.ErrUnexpectedChallenge)
	s.Check(t)
}

// TestE_SuccessAfterFailure: a 235 after the server refused the token
// contradicts it; the client does not trust either and closes.
func TestE_SuccessAfterFailure(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
		"S: 334 "+b64(googleFailure), "C: ", "S: 235 2.7.0 Accepted", quit))
	c := dial(t, s, "localhost")
	if err := c.Auth(xoauth2.New(user, newTokens(token))); err == nil || !strings.Contains(err.Error(), "accepted after refusing") {
		t.Errorf("Auth = %v, want the contradiction reported", err)
	}
	if err := c.Noop(); err == nil {
		t.Error("connection still open")
	}
	s.Check(t)
}

// hostileTokens would change the structure of the initial response.
var hostileTokens = map[string]string{
	"CRLF":        "tok\r\nQUIT",
	"NUL":         "tok\x00en",
	"SOH":         "tok\x01auth=Bearer x",
	"space":       "tok en",
	"empty":       "",
	"non-ASCII":   "tøken",
	"ANSI escape": "tok\x1b[2J",
}

// TestE_HostileToken: such a token is refused before anything is written,
// and the error does not repeat it.
func TestE_HostileToken(t *testing.T) {
	for name, tok := range hostileTokens {
		for _, mech := range []struct {
			name string
			new  func(*tokens) auth.Auth
			want error
		}{
			{"XOAUTH2", func(ts *tokens) auth.Auth { return xoauth2.New(user, ts) }, xoauth2.ErrBadToken},
			{"OAUTHBEARER", func(ts *tokens) auth.Auth { return oauthbearer.New(user, ts) }, oauthbearer.ErrBadToken},
		} {
			t.Run(mech.name+"/"+name, func(t *testing.T) {
				s := scripttest.New(t, script(greet, ehlo("AUTH "+mech.name), quit))
				c := dial(t, s, "localhost")
				err := c.Auth(mech.new(newTokens(tok)))
				wantErr(t, "Auth", err, mech.want)
				if tok != "" && err != nil && strings.Contains(err.Error(), tok) {
					t.Errorf("error %q repeats the token", err)
				}
				s.Check(t)
				wantWire(t, s, lines("EHLO localhost", "QUIT"))
			})
		}
	}
}

// TestE_HostileUsername: a user name with control characters could add
// fields to the message; it is refused before the token is even fetched.
func TestE_HostileUsername(t *testing.T) {
	for name, u := range map[string]string{
		"SOH":           "user\x01auth=Bearer evil",
		"CRLF":          "user\r\nQUIT",
		"NUL":           "user\x00",
		"ANSI escape":   "\x1b[2Juser",
		"invalid UTF-8": "user\xff",
	} {
		for _, mech := range []struct {
			name string
			new  func(*tokens) auth.Auth
			want error
		}{
			{"XOAUTH2", func(ts *tokens) auth.Auth { return xoauth2.New(u, ts) }, xoauth2.ErrBadUsername},
			{"OAUTHBEARER", func(ts *tokens) auth.Auth { return oauthbearer.New(u, ts) }, oauthbearer.ErrBadUsername},
		} {
			t.Run(mech.name+"/"+name, func(t *testing.T) {
				s := scripttest.New(t, script(greet, ehlo("AUTH "+mech.name), quit))
				c := dial(t, s, "localhost")
				ts := newTokens(token)
				wantErr(t, "Auth", c.Auth(mech.new(ts)), mech.want)
				if ts.count() != 0 {
					t.Error("token fetched for a user name that cannot be sent")
				}
				s.Check(t)
				wantWire(t, s, lines("EHLO localhost", "QUIT"))
			})
		}
	}
}

// TestE_BearerUsernameEscaped: ',' and '=' in the authzid are escaped
// (RFC 5801 §4), so they cannot end the GS2 header early.
func TestE_BearerUsernameEscaped(t *testing.T) {
	var s *scripttest.Server
	s = scripttest.New(t, script(greet, ehlo("AUTH OAUTHBEARER"), "STEP", "S: 235 2.7.0 ok", quit),
		expectLine(func() string { return bearerLine(s, "a=3D1=2Cb", token) }))
	c := dial(t, s, "localhost")
	must(t, c.Auth(oauthbearer.New("a=1,b", newTokens(token))))
	must(t, c.Quit())
	s.Check(t)
}

// TestE_TokenSourceError: the source's failure ends Auth before AUTH.
func TestE_TokenSourceError(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH XOAUTH2"), quit))
	c := dial(t, s, "localhost")
	ts := newTokens(token)
	ts.err = errors.New("refresh token revoked")
	wantErr(t, "Auth", c.Auth(xoauth2.New(user, ts)), ts.err)
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "QUIT"))
}
