package oauthtoken_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
)

// sentinel is an error that compares equal to itself only, as a mechanism
// package's sentinel errors do.
type sentinel string

func (s sentinel) Error() string { return string(s) }

// The sentinels of the mechanism of these tests.
const (
	errBadToken  sentinel = "test: bad token"
	errRejected  sentinel = "test: rejected"
	errMalformed sentinel = "test: malformed"
)

type testError struct{ status, scope string }

func (e *testError) Error() string {
	return oauthtoken.RefusalText("test", "status", e.status, "scope", e.scope)
}

func testMechanism() oauthtoken.Mechanism {
	return oauthtoken.Mechanism{
		Name:                  "test",
		ErrBadToken:           errBadToken,
		ErrTokenRejected:      errRejected,
		ErrMalformedChallenge: errMalformed,
		NewError: func(f oauthtoken.Fields) error {
			return &testError{status: f.Get("status"), scope: f.Get("scope")}
		},
		RefusesToken: func(status string) bool { return status == "invalid_token" },
	}
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=". The valid tokens include the RFC's own examples
// (§2.1 "mF_9.B5f-4.1JqM", RFC 7628 §4.1's token).
func TestIsB64Token(t *testing.T) {
	for _, tok := range []string{
		"mF_9.B5f-4.1JqM", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
		"a", "Z", "0", "-", ".", "_", "~", "+", "/", "A-._~+/9", "abc==", "x=",
	} {
		if !oauthtoken.IsB64Token(tok) {
			t.Errorf("IsB64Token(%q) = false", tok)
		}
	}
	for _, tok := range []string{
		"", "=", "==", "==abc", "abc=def", "a=b=", "a b", " a", "a ", "a\x01b", "a\r\nMAIL FROM:<x>",
		"a\x00", "ab%", "é", "a,b", "a\"b", "a\\b", "a\x7f",
	} {
		if oauthtoken.IsB64Token(tok) {
			t.Errorf("IsB64Token(%q) = true", tok)
		}
	}
}

func TestValidUsername(t *testing.T) {
	for _, u := range []string{"", "someuser@example.com", "jörg@example.com", "a=b,c@example.com", "用户@例子.广告"} {
		if !oauthtoken.ValidUsername(u) {
			t.Errorf("ValidUsername(%q) = false", u)
		}
	}
	for _, u := range []string{"a\x01auth=Bearer x", "a\nb", "a\rb", "a\tb", "a\x00", "a\x7f", "a\u0085", "\xff", "a\xc3"} {
		if oauthtoken.ValidUsername(u) {
			t.Errorf("ValidUsername(%q) = true", u)
		}
	}
}

func TestFetch(t *testing.T) {
	m := testMechanism()
	if tok, err := m.Fetch(oauthtest.Static("good")); tok != "good" || err != nil {
		t.Errorf("Fetch = %q, %v; want good, nil", tok, err)
	}
	cause := errors.New("oauth2: cannot fetch token: 400 Bad Request")
	if _, err := m.Fetch(&oauthtest.Tokens{Err: cause}); !errors.Is(err, cause) || err.Error() != "test: token source: "+cause.Error() {
		t.Errorf("Fetch from a failing source = %v; want test: token source: %v", err, cause)
	}
	if _, err := m.Fetch(nil); err == nil || err.Error() != "test: no token source" {
		t.Errorf("Fetch(nil) = %v; want test: no token source", err)
	}
	if _, err := m.Fetch(oauthtest.NilToken{}); err != errBadToken {
		t.Errorf("Fetch of a nil token = %v; want the mechanism's ErrBadToken", err)
	}
	const secret = "secret\r\nRSET"
	if _, err := m.Fetch(oauthtest.Static(secret)); err != errBadToken || strings.Contains(err.Error(), "secret") {
		t.Errorf("Fetch of an invalid token = %v; want the mechanism's ErrBadToken, without the token", err)
	}
}
