package oauthbearer_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
)

// FuzzChallenge feeds arbitrary failure challenges to the Auth: it must
// always give the %x01 dummy reply, refuse a second challenge, and report
// something printable that never holds the token.
func FuzzChallenge(f *testing.F) {
	for _, seed := range []string{
		string(decode(f, rfc43Challenge)),
		string(decode(f, rfc43bChallenge)),
		string(decode(f, rfc44Challenge)),
		`{"status":401,"scope":["a"],"openid-configuration":null}`,
		"{\"status\":\"\\u0000\\r\\n\",\"scope\":\"\xff\"}",
		`[[[[[[[[]]]]]]]]`,
		`{`,
		``,
		"\x01",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, challenge []byte) {
		a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)).(auth.Retrier)
		if _, _, err := a.Start(verified); err != nil {
			t.Fatal(err)
		}
		reply, err := a.Next(challenge, true)
		if err != nil || string(reply) != "\x01" {
			t.Fatalf("Next = %q, %v; want the %%x01 reply", reply, err)
		}
		serverErr := oauthbearer.ServerError(a)
		if serverErr == nil {
			t.Fatal("no ServerError after a failure challenge")
		}
		var e *oauthbearer.Error
		if !errors.As(serverErr, &e) && !errors.Is(serverErr, oauthbearer.ErrMalformedChallenge) {
			t.Fatalf("ServerError = %#v", serverErr)
		}
		if text := serverErr.Error(); strings.Contains(text, rfcToken) {
			t.Fatalf("error shows the token: %s", text)
		}
		if e != nil {
			for _, r := range e.Status + e.Scope + e.OpenIDConfiguration + e.Schemes {
				if !unicode.IsPrint(r) {
					t.Fatalf("field holds %U: %#v", r, e)
				}
			}
		}
		if _, err := a.Next(challenge, true); !errors.Is(err, auth.ErrUnexpectedChallenge) {
			t.Fatalf("second challenge: %v", err)
		}
		a.Retry(refusal(535))
	})
}
