package xoauth2_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
)

// FuzzChallenge feeds arbitrary failure challenges to the Auth: it must
// always give the empty dummy reply, refuse a second challenge, and report
// something printable that never holds the token.
func FuzzChallenge(f *testing.F) {
	for _, seed := range []string{
		googleFail,
		`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`,
		`{"status":401,"schemes":["Bearer"],"scope":null}`,
		"{\"status\":\"\\u0000\\r\\n\",\"scope\":\"\xff\"}",
		`[[[[[[[[]]]]]]]]`,
		`{`,
		``,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, challenge []byte) {
		a := xoauth2.New(googleUser, oauthtest.Static(googleToken)).(auth.Retrier)
		if _, _, err := a.Start(verified); err != nil {
			t.Fatal(err)
		}
		reply, err := a.Next(challenge, true)
		if err != nil || reply == nil || len(reply) != 0 {
			t.Fatalf("Next = %q, %v; want the empty reply", reply, err)
		}
		serverErr := xoauth2.ServerError(a)
		if serverErr == nil {
			t.Fatal("no ServerError after a failure challenge")
		}
		var e *xoauth2.Error
		if !errors.As(serverErr, &e) && !errors.Is(serverErr, xoauth2.ErrMalformedChallenge) {
			t.Fatalf("ServerError = %#v", serverErr)
		}
		text := serverErr.Error()
		if strings.Contains(text, googleToken) {
			t.Fatalf("error shows the token: %s", text)
		}
		if e != nil {
			for _, r := range e.Status + e.Schemes + e.Scope {
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
