package adversarial_test

import (
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group F: malformed challenges and AUTH loop control (RFC 4954 §4). The
// client answers "*" only while a 334 waits for an answer, never after a
// final reply; challenges are one line of strict base64; a server cannot
// keep the client in the loop for ever.

// TestF_MalformedChallenge: each is cancelled with "*" and reported as a
// protocol violation; the mechanism never sees it.
func TestF_MalformedChallenge(t *testing.T) {
	for _, tc := range []struct{ name, challenge string }{
		{"bad base64", "S: 334 !!!!"},
		{"non-strict base64", "S: 334 YR=="},
		{"base64 with a space", "S: 334 YW Jj"},
		{"base64 with trailing space", "S: 334 YWJj "},
		{"URL-safe base64", "S: 334 _-8="},
		{"multi-line 334", "S: 334-YQ==\nS: 334 YQ=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH X-TEST"), "C: AUTH X-TEST", tc.challenge, cancelled))
			c := dial(t, s, "mx.example.com")
			a := &scriptedAuth{mech: "X-TEST"}
			wantErr(t, "Auth", c.Auth(a), client.ErrProtocol)
			if len(a.challenges) != 0 {
				t.Errorf("mechanism saw %q", a.challenges)
			}
			s.Check(t)
		})
	}
}

// TestF_BareChallenge: "334" alone, or "334 " with nothing after, is an
// empty challenge (RFC 4954 §4 allows it), given to the mechanism as such.
func TestF_BareChallenge(t *testing.T) {
	for name, line := range map[string]string{"334": "S: 334", "334 SP": "S: 334 "} {
		t.Run(name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN",
				line, "C: "+b64(user), line, "C: "+b64(password), "S: 235 2.7.0 ok", quit))
			c := dial(t, s, "localhost")
			must(t, c.Auth(login.New(user, password, "localhost")))
			must(t, c.Quit())
			s.Check(t)
		})
	}
}

// TestF_ChallengeOverLineLimit: a challenge longer than a reply line may
// be breaks the stream; the client closes without "*" (the server may
// not be listening for it) and without QUIT.
func TestF_ChallengeOverLineLimit(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH X-TEST"), "C: AUTH X-TEST", "S: 334 "+strings.Repeat("QUFB", 1200)))
	c := dial(t, s, "mx.example.com")
	wantErr(t, "Auth", c.Auth(&scriptedAuth{mech: "X-TEST"}), client.ErrProtocol)
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "AUTH X-TEST"))
}

// TestF_EndlessChallenges: a server that keeps challenging gets 16
// answers, then "*".
func TestF_EndlessChallenges(t *testing.T) {
	parts := []string{greet, ehlo("AUTH X-TEST"), "C: AUTH X-TEST", "S: 334 YQ=="}
	for range 16 {
		parts = append(parts, "C: "+b64("b"), "S: 334 YQ==")
	}
	s := scripttest.New(t, script(append(parts, cancelled)...))
	c := dial(t, s, "mx.example.com")
	a := &scriptedAuth{mech: "X-TEST", answer: "b"}
	wantErr(t, "Auth", c.Auth(a), client.ErrProtocol)
	if len(a.challenges) != 16 {
		t.Errorf("mechanism answered %d challenges, want 16", len(a.challenges))
	}
	s.Check(t)
}

// TestF_UnexpectedFinalReply: AUTH ends with 235 and nothing else. Any
// other final reply, 2xx included, is a failure, and is not cancelled.
func TestF_UnexpectedFinalReply(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		code        int
	}{
		{"250", "S: 250 2.0.0 ok", 250},
		{"270", "S: 270 fine", 270},
		{"354", "S: 354 go ahead", 354},
		{"220", "S: 220 hello again", 220},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN"), plainLine, tc.reply, quit))
			c := dial(t, s, "localhost")
			wantCode(t, "Auth", c.Auth(plain.New("", user, password, "localhost")), tc.code)
			s.Check(t)
		})
	}
}

// TestF_FailureMidExchange: a final failure after a challenge was
// answered ends the exchange; "*" would be read as a command.
func TestF_FailureMidExchange(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		code        int
	}{
		{"535", "S: 535 5.7.8 Authentication credentials invalid", 535},
		{"454", "S: 454 4.7.0 Temporary authentication failure", 454},
		{"501", "S: 501 5.5.2 Cannot decode response", 501},
		{"421", "S: 421 4.4.2 closing", 421},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scripttest.New(t, script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN",
				"S: 334 "+b64("Username:"), "C: "+b64(user), tc.reply, quit))
			c := dial(t, s, "localhost")
			wantCode(t, "Auth", c.Auth(login.New(user, password, "localhost")), tc.code)
			s.Check(t)
		})
	}
}

// TestF_ChallengeAfterInitialResponse: PLAIN is done once its initial
// response is sent; a challenge after it could only fish for more.
func TestF_ChallengeAfterInitialResponse(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH PLAIN"), plainLine, "S: 334 "+b64("again?"), cancelled))
	c := dial(t, s, "localhost")
	wantErr(t, "Auth", c.Auth(plain.New("", user, password, "localhost")), auth.ErrUnexpectedChallenge)
	s.Check(t)
}

// TestF_LoginThirdChallenge: LOGIN has two challenges; a third one is not
// answered with anything the mechanism holds.
func TestF_LoginThirdChallenge(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH LOGIN"), "C: AUTH LOGIN",
		"S: 334 "+b64("Username:"), "C: "+b64(user),
		"S: 334 "+b64("Password:"), "C: "+b64(password),
		"S: 334 "+b64("Password:"), cancelled))
	c := dial(t, s, "localhost")
	wantErr(t, "Auth", c.Auth(login.New(user, password, "localhost")), auth.ErrUnexpectedChallenge)
	s.Check(t)
}

// TestF_SuccessAfterCancel: the server answers the client's "*" with 235.
// The exchange was abandoned by the client: Auth still fails and the
// connection is closed.
func TestF_SuccessAfterCancel(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("AUTH X-TEST"), "C: AUTH X-TEST", "S: 334 !!!!",
		"C: *", "S: 235 2.7.0 fine, you are in", quit))
	c := dial(t, s, "mx.example.com")
	wantErr(t, "Auth", c.Auth(&scriptedAuth{mech: "X-TEST"}), client.ErrProtocol)
	if err := c.Noop(); err == nil {
		t.Error("connection still open after a cancelled exchange")
	}
	s.Check(t)
}
