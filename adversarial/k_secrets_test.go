package adversarial_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/gosasl"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/ntlm"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/auth/scram"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group K: secret hygiene. Passwords and tokens end up in logs through
// fmt verbs, JSON encoders, error texts and traces written by code that
// never meant to log them. None of those may show a secret, or its
// base64, which is what the wire carries.

// formats renders v every way a log line or a debug print might.
func formats(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	b, err := json.Marshal(v)
	out["json"] = string(b) + fmt.Sprint(err)
	return out
}

func staticToken() oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, RefreshToken: token2, TokenType: "Bearer"})
}

// TestK_Formatting: every Auth this repository makes, before and after
// Start, and the values that hold credentials on their way to one.
func TestK_Formatting(t *testing.T) {
	scramAuth := func(mech string) auth.Auth {
		a, err := scram.New(mech, scram.Config{Username: user, Password: password})
		must(t, err)
		return a
	}
	auths := map[string]auth.Auth{
		"plain":                       plain.New("", user, password, "localhost"),
		"client.PlainAuth":            client.PlainAuth("", user, password, "localhost"),
		"login":                       login.New(user, password, "localhost"),
		"crammd5":                     crammd5.New(user, password),
		"client.CRAMMD5Auth":          client.CRAMMD5Auth(user, password),
		"scram SCRAM-SHA-256":         scramAuth("SCRAM-SHA-256"),
		"scram SCRAM-SHA-1-PLUS":      scramAuth("SCRAM-SHA-1-PLUS"),
		"xoauth2":                     xoauth2.New(user, staticToken()),
		"oauthbearer":                 oauthbearer.New(user, staticToken()),
		"ntlm":                        ntlm.New("DOMAIN", user, password),
		"gosasl External":             gosasl.External(""),
		"gosasl Anonymous":            gosasl.Anonymous("trace@example.org"),
		"gosasl FromSASL PLAIN":       gosasl.FromSASL(sasl.NewPlainClient("", user, password)),
		"gosasl FromSASL OAUTHBEARER": gosasl.FromSASL(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token})),
		"registry Selector, password": registry.Default.Auth(passwordCreds()),
		"registry Selector, token":    registry.Default.Auth(registry.Credentials{Username: user, TokenSource: staticToken()}),
	}
	info := &auth.ServerInfo{Name: "localhost", TLS: true, Auth: []string{"PLAIN", "XOAUTH2"}}
	for name, a := range auths {
		t.Run(name, func(t *testing.T) {
			check := func(when string) {
				for verb, s := range formats(a) {
					if l := leaks(s, password, token, token2); l != "" {
						t.Errorf("%s %s shows the %s: %s", when, verb, l, s)
					}
				}
			}
			check("before Start")
			a.Start(info) // whatever it returns, it may now hold more
			check("after Start")
		})
	}
	for name, v := range map[string]any{
		"scram.Config":         scram.Config{Username: user, Password: password},
		"registry.Credentials": registry.Credentials{Username: user, Password: password, TokenSource: staticToken()},
	} {
		t.Run(name, func(t *testing.T) {
			for verb, s := range formats(v) {
				if l := leaks(s, password, token, token2); l != "" {
					t.Errorf("%s shows the %s: %s", verb, l, s)
				}
			}
		})
	}
}

// TestK_FailedAuthErrors: the error a failed exchange returns, and the
// Selector's report, name no secret.
func TestK_FailedAuthErrors(t *testing.T) {
	refused := "S: 535 5.7.8 Authentication credentials invalid"
	x := newSCRAM("SCRAM-SHA-256", "n,,")
	for _, tc := range []struct {
		name   string
		script string
		steps  []scripttest.Step
		a      auth.Auth
	}{
		{"PLAIN", script(greet, ehlo("AUTH PLAIN"), plainLine, refused, quit), nil, plain.New("", user, password, "localhost")},
		{"LOGIN", script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: "+b64(user), "S: 334 UGFzc3dvcmQ6", "C: "+b64(password), refused, quit), nil, login.New(user, password, "localhost")},
		{"CRAM-MD5", script(greet, ehlo("AUTH CRAM-MD5"), "C: AUTH CRAM-MD5", "S: 334 "+b64("<1.2@mx>"), "C: "+b64(user+" "+cramResponse()), refused, quit), nil, crammd5.New(user, password)},
		{"SCRAM-SHA-256", script(greet, ehlo("AUTH SCRAM-SHA-256"), "STEP", "STEP", quit), []scripttest.Step{
			x.first((*scramServer).serverFirstMessage),
			x.final(func(*scramServer) string { return "535 5.7.8 Authentication credentials invalid" }),
		}, newSCRAMAuth(t)},
		{"XOAUTH2", script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token), "S: 334 "+b64(googleFailure), "C: ", refused, quit), nil, xoauth2.New(user, newTokens(token))},
		{"Selector", script(greet, ehlo("AUTH PLAIN"), plainLine, refused, quit), nil, registry.Default.Auth(passwordCreds())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, tc.script, tc.steps...)
			c := dial(t, s, "localhost")
			err := c.Auth(tc.a)
			wantCode(t, "Auth", err, 535)
			if l := leaks(fmt.Sprintf("%v %+v %#v", err, err, err), password, token); l != "" {
				t.Errorf("error shows the %s: %v", l, err)
			}
			if sel, ok := tc.a.(*registry.Selector); ok {
				if l := leaks(sel.Report().String(), password); l != "" {
					t.Errorf("report shows the %s:\n%s", l, sel.Report())
				}
			}
			s.Check(t)
		})
	}
}

// cramResponse is the CRAM-MD5 digest of "<1.2@mx>" with the password.
func cramResponse() string {
	a := crammd5.New(user, password)
	a.Start(&auth.ServerInfo{})
	r, _ := a.Next([]byte("<1.2@mx>"), true)
	return strings.TrimPrefix(string(r), user+" ")
}

// TestK_Trace: the client's log/slog trace of whole exchanges, failures
// and retries included, shows no secret at any level.
func TestK_Trace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		a      auth.Auth
		ok     bool
	}{
		{"PLAIN", script(greet, ehlo("AUTH PLAIN"), plainLine, "S: 235 2.7.0 ok", quit), plain.New("", user, password, "localhost"), true},
		{"LOGIN", script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: "+b64(user), "S: 334 UGFzc3dvcmQ6", "C: "+b64(password), "S: 235 2.7.0 ok", quit), login.New(user, password, "localhost"), true},
		{"XOAUTH2 with a refreshed token", script(greet, ehlo("AUTH XOAUTH2"), xoauth2Line(user, token),
			"S: 334 "+b64(googleFailure), "C: ", "S: 535 5.7.8 no", xoauth2Line(user, token2), "S: 235 2.7.0 ok", quit), xoauth2.New(user, newTokens(token, token2)), true},
		{"PLAIN refused", script(greet, ehlo("AUTH PLAIN"), plainLine, "S: 535 5.7.8 no", quit), plain.New("", user, password, "localhost"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, tc.script)
			c := dial(t, s, "localhost")
			h := newCapture()
			c.Logger = slog.New(h)
			err := c.Auth(tc.a)
			if tc.ok {
				must(t, err)
				must(t, c.Quit())
			}
			s.Check(t)
			trace := h.all()
			if !strings.Contains(trace, "AUTH") {
				t.Fatalf("the trace shows no AUTH at all:\n%s", trace)
			}
			if l := leaks(trace, password, token, token2); l != "" {
				t.Errorf("the trace shows the %s:\n%s", l, trace)
			}
		})
	}
}

// TestK_IdentitySwitch: RFC 4954 §4 forbids a second AUTH after a
// successful one. The client refuses it itself, before writing bob's
// credentials anywhere: a connection carries one identity.
func TestK_IdentitySwitch(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN"),
		"C: AUTH PLAIN "+b64("\x00alice\x00"+password), "S: 235 2.7.0 ok",
		quit))
	c := dial(t, s, "localhost")
	must(t, c.Auth(plain.New("", "alice", password, "localhost")))
	wantErr(t, "second Auth", c.Auth(plain.New("", "bob", password, "localhost")), client.ErrAlreadyAuthenticated)
	must(t, c.Quit())
	s.Check(t)
}
