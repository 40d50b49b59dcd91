package xoauth2_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
)

// Google's documented example (XOAUTH2 protocol page, "SASL XOAUTH2").
const (
	googleUser  = "someuser@example.com"
	googleToken = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
	googleB64   = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
	googleFail  = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`
)

var verified = &auth.ServerInfo{Name: "smtp.gmail.com", TLS: true, Auth: []string{"XOAUTH2"}}

// refusal is the final reply after a failure, as smtpauth's client reports
// it: an error that unwraps to *textproto.Error.
func refusal(code int) error {
	return fmt.Errorf("smtp: %w", &textproto.Error{Code: code, Msg: "5.7.8 Username and Password not accepted"})
}

func TestGoogleExample(t *testing.T) {
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken))
	mech, resp, err := a.Start(verified)
	want := "user=" + googleUser + "\x01auth=Bearer " + googleToken + "\x01\x01"
	if err != nil || mech != "XOAUTH2" || string(resp) != want {
		t.Fatalf("Start = %q, %q, %v; want XOAUTH2, %q, nil", mech, resp, err, want)
	}
	if got := base64.StdEncoding.EncodeToString(resp); got != googleB64 {
		t.Errorf("base64 = %s\nwant     %s", got, googleB64)
	}
	if next, err := a.Next([]byte("2.7.0 Accepted"), false); next != nil || err != nil {
		t.Errorf("Next after success = %q, %v; want nil, nil", next, err)
	}
	if err := xoauth2.ServerError(a); err != nil {
		t.Errorf("ServerError after success = %v", err)
	}
}

func TestRefusesUnprotected(t *testing.T) {
	for _, server := range []*auth.ServerInfo{
		nil,
		{Name: "smtp.gmail.com"},
		{Name: "localhost.evil.example", Auth: []string{"XOAUTH2"}},
	} {
		ts := &oauthtest.Tokens{List: []string{googleToken}}
		mech, resp, err := xoauth2.New(googleUser, ts).Start(server)
		if !errors.Is(err, auth.ErrUnencrypted) || mech != "" || resp != nil {
			t.Errorf("Start(%+v) = %q, %q, %v; want ErrUnencrypted", server, mech, resp, err)
		}
		if ts.Calls != 0 {
			t.Errorf("Start(%+v) fetched a token for an unprotected link", server)
		}
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, _, err := xoauth2.New(googleUser, oauthtest.Static(googleToken)).Start(&auth.ServerInfo{Name: name}); err != nil {
			t.Errorf("Start(%s without TLS) = %v; want nil", name, err)
		}
	}
}

func TestBadUsername(t *testing.T) {
	for _, user := range []string{"a\x01auth=Bearer x", "a\nb", "a\x00", "a\x7f", "a\u0085", "\xff"} {
		ts := &oauthtest.Tokens{List: []string{googleToken}}
		if _, resp, err := xoauth2.New(user, ts).Start(verified); !errors.Is(err, xoauth2.ErrBadUsername) || resp != nil {
			t.Errorf("Start(user %q) = %q, %v; want ErrBadUsername", user, resp, err)
		}
	}
}

func TestTokenValidation(t *testing.T) {
	for _, tok := range []string{"", "=", "==abc", "abc=def", "a b", "a\x01b", "a\r\nMAIL FROM:<x>", "a\x00", "ab%", "é", "a,b"} {
		_, resp, err := xoauth2.New(googleUser, oauthtest.Static(tok)).Start(verified)
		if !errors.Is(err, xoauth2.ErrBadToken) || resp != nil {
			t.Errorf("token %q: Start = %q, %v; want ErrBadToken", tok, resp, err)
		}
		if err != nil && tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("token %q: error shows it: %v", tok, err)
		}
	}
	for _, tok := range []string{"a", "A-._~+/9", "abc==", "x="} {
		if _, _, err := xoauth2.New(googleUser, oauthtest.Static(tok)).Start(verified); err != nil {
			t.Errorf("token %q: Start = %v; want nil", tok, err)
		}
	}
}

func TestTokenSourceErrors(t *testing.T) {
	cause := errors.New("oauth2: cannot fetch token: 400 Bad Request")
	_, resp, err := xoauth2.New(googleUser, &oauthtest.Tokens{Err: cause}).Start(verified)
	if !errors.Is(err, cause) || resp != nil || !strings.HasPrefix(err.Error(), "xoauth2: ") {
		t.Errorf("Start = %q, %v; want a wrapped %v", resp, err, cause)
	}
	if _, _, err := xoauth2.New(googleUser, oauthtest.NilToken{}).Start(verified); !errors.Is(err, xoauth2.ErrBadToken) {
		t.Errorf("nil token: Start = %v; want ErrBadToken", err)
	}
	if _, _, err := xoauth2.New(googleUser, nil).Start(verified); err == nil {
		t.Error("nil token source: Start succeeded")
	}
}

// start runs Start and fails the test unless it sends want.
func start(t *testing.T, a auth.Auth, want string) {
	t.Helper()
	_, resp, err := a.Start(verified)
	if err != nil || !strings.Contains(string(resp), "auth=Bearer "+want+"\x01") {
		t.Fatalf("Start = %q, %v; want token %s", resp, err, want)
	}
}

// fail answers the exchange with Google's failure challenge and checks the
// dummy reply.
func fail(t *testing.T, a auth.Auth, challenge string) {
	t.Helper()
	reply, err := a.Next([]byte(challenge), true)
	if err != nil || reply == nil || len(reply) != 0 {
		t.Fatalf("Next(failure) = %q (nil: %t), %v; want the empty reply", reply, reply == nil, err)
	}
}

func TestFailureChallenge(t *testing.T) {
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken))
	start(t, a, googleToken)
	fail(t, a, googleFail)
	var e *xoauth2.Error
	if !errors.As(xoauth2.ServerError(a), &e) || *e != (xoauth2.Error{Status: "401", Schemes: "Bearer", Scope: "https://mail.google.com/"}) {
		t.Fatalf("ServerError = %#v", xoauth2.ServerError(a))
	}
	if want := `xoauth2: server refused the token, status "401", schemes "Bearer", scope "https://mail.google.com/"`; e.Error() != want {
		t.Errorf("Error() = %s\nwant      %s", e, want)
	}
	// After the dummy reply only the final reply may come.
	if reply, err := a.Next([]byte(googleFail), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
		t.Errorf("second challenge: Next = %q, %v; want ErrUnexpectedChallenge", reply, err)
	}
	// A success after the failure contradicts it.
	if _, err := a.Next([]byte("2.7.0 Accepted"), false); !errors.As(err, &e) {
		t.Errorf("success after failure: Next = %v; want the *Error", err)
	}
}

func TestChallengeBeforeStart(t *testing.T) {
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken))
	if reply, err := a.Next([]byte(googleFail), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
		t.Errorf("Next before Start = %q, %v; want ErrUnexpectedChallenge", reply, err)
	}
}

func TestHostileChallenges(t *testing.T) {
	for _, tc := range []struct {
		name, challenge string
		want            *xoauth2.Error // nil: ErrMalformedChallenge
	}{
		{"empty", "", nil},
		{"invalid", `{"status":"401"`, nil},
		{"not an object", `["401"]`, nil},
		{"null", `null`, nil},
		{"string", `"401"`, nil},
		{"huge", `{"status":"401","x":"` + strings.Repeat("a", 5000) + `"}`, nil},
		{"nested", strings.Repeat("[", 2000) + strings.Repeat("]", 2000), nil},
		{"nested value", `{"status":"401","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, &xoauth2.Error{Status: "401"}},
		{"number status", `{"status":401,"schemes":true,"scope":{"a":1}}`, &xoauth2.Error{Status: "401"}},
		{"null fields", `{"status":null,"schemes":[],"scope":1.5e3}`, &xoauth2.Error{Scope: "1.5e3"}},
		{"control characters", `{"status":"401\r\n250 OK","schemes":"Bearer\u0000\u202e","scope":"\u001b[31mred"}`,
			&xoauth2.Error{Status: "401\ufffd\ufffd250 OK", Schemes: "Bearer\ufffd\ufffd", Scope: "\ufffd[31mred"}},
		{"invalid UTF-8", "{\"status\":\"4\xff01\"}", &xoauth2.Error{Status: "4\ufffd01"}},
		{"long field", `{"scope":"` + strings.Repeat("s", 1000) + `"}`, &xoauth2.Error{Scope: strings.Repeat("s", 256) + "..."}},
		{"unknown fields", `{"status":"400","error":"invalid_request","scope":"x"}`, &xoauth2.Error{Status: "400", Scope: "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := xoauth2.New(googleUser, oauthtest.Static(googleToken))
			start(t, a, googleToken)
			fail(t, a, tc.challenge)
			err := xoauth2.ServerError(a)
			var e *xoauth2.Error
			switch {
			case tc.want == nil && !errors.Is(err, xoauth2.ErrMalformedChallenge):
				t.Errorf("ServerError = %v; want ErrMalformedChallenge", err)
			case tc.want != nil && (!errors.As(err, &e) || *e != *tc.want):
				t.Errorf("ServerError = %#v; want %#v", err, tc.want)
			}
			if len(err.Error()) > 1024 {
				t.Errorf("error text is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestRetryWithFreshToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{"first", "second", "third"}}
	a := xoauth2.New(googleUser, ts).(auth.Retrier)
	start(t, a, "first")
	fail(t, a, googleFail)
	if !a.Retry(refusal(535)) {
		t.Fatal("Retry after a 401 with a new token = false")
	}
	start(t, a, "second")
	if ts.Calls != 2 {
		t.Errorf("token source called %d times; want 2", ts.Calls)
	}
	fail(t, a, googleFail)
	if a.Retry(refusal(535)) {
		t.Error("second Retry = true; want at most one per Auth")
	}
	// "second" was refused too: the Auth does not send it again.
	if ts.Calls != 2 {
		t.Errorf("token source called %d times after the second refusal; want 2", ts.Calls)
	}
}

func TestRetrySameToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{googleToken}}
	a := xoauth2.New(googleUser, ts).(auth.Retrier)
	start(t, a, googleToken)
	fail(t, a, googleFail)
	if a.Retry(refusal(535)) {
		t.Fatal("Retry = true though the token source returns the refused token")
	}
	// Used again (net/smtp.SendMail with the same Auth), it does not resend.
	_, resp, err := a.Start(verified)
	var e *xoauth2.Error
	if !errors.Is(err, xoauth2.ErrTokenRejected) || !errors.As(err, &e) || e.Status != "401" || resp != nil {
		t.Fatalf("Start with the refused token = %q, %v; want ErrTokenRejected and the *Error", resp, err)
	}
	if strings.Contains(err.Error(), googleToken) {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestRetryDecision(t *testing.T) {
	for _, tc := range []struct {
		name      string
		challenge string // "" for none
		refusal   error
		want      bool
	}{
		{"401 challenge", googleFail, refusal(535), true},
		{"401 challenge, other final code", googleFail, refusal(454), true},
		{"400 challenge", `{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`, refusal(535), false},
		{"no challenge, 535", "", refusal(535), true},
		{"no challenge, 454", "", refusal(454), false},
		{"no challenge, 534", "", refusal(534), false},
		{"malformed challenge, 535", "{", refusal(535), true},
		{"no status, 535", `{"scope":"x"}`, refusal(535), true},
		{"not a server reply", "", errors.New("connection reset"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &oauthtest.Tokens{List: []string{"first", "second"}}
			a := xoauth2.New(googleUser, ts).(auth.Retrier)
			start(t, a, "first")
			if tc.challenge != "" {
				fail(t, a, tc.challenge)
			}
			if got := a.Retry(tc.refusal); got != tc.want {
				t.Fatalf("Retry = %t; want %t", got, tc.want)
			}
			if tc.want {
				start(t, a, "second")
			} else if ts.Calls != 1 {
				t.Errorf("token source called %d times; want no refresh", ts.Calls)
			}
		})
	}
}

func TestRetryEdgeCases(t *testing.T) {
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken)).(auth.Retrier)
	if a.Retry(refusal(535)) {
		t.Error("Retry before Start = true")
	}
	ts := &oauthtest.Tokens{List: []string{"first"}}
	b := xoauth2.New(googleUser, ts).(auth.Retrier)
	start(t, b, "first")
	ts.Err = errors.New("refresh failed")
	if b.Retry(refusal(535)) {
		t.Error("Retry with a failing token source = true")
	}
	ts.Err, ts.List = nil, []string{"bad token"}
	if b.Retry(refusal(535)) {
		t.Error("Retry with an invalid new token = true")
	}
}

func TestFormattingHidesToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{googleToken, "second" + googleToken}}
	a := xoauth2.New(googleUser, ts).(auth.Retrier)
	start(t, a, googleToken)
	fail(t, a, googleFail)
	a.Retry(refusal(535)) // holds the fresh token now
	var errs []error
	errs = append(errs, xoauth2.ServerError(a))
	_, err := a.Next([]byte("ok"), false)
	errs = append(errs, err)
	for _, v := range []any{a, errs[0], errs[1]} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			s := fmt.Sprintf(verb, v)
			if strings.Contains(s, googleToken) || strings.Contains(s, fmt.Sprintf("%x", googleToken)) {
				t.Errorf("%s of %T shows the token: %s", verb, v, s)
			}
		}
	}
}

// The same value works with the standard library's client.
var _ smtp.Auth = xoauth2.New("", nil)

func ExampleNew() {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"})
	a := xoauth2.New("someuser@example.com", ts)
	mech, resp, _ := a.Start(&auth.ServerInfo{Name: "smtp.gmail.com", TLS: true})
	fmt.Printf("%s %q\n", mech, resp)

	// The server refuses the token with a failure challenge; the reply to
	// it is empty, then comes the final 535.
	reply, _ := a.Next([]byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`), true)
	fmt.Printf("%q\n", reply)
	fmt.Println(xoauth2.ServerError(a))

	_, _, err := a.Start(&auth.ServerInfo{Name: "smtp.gmail.com", TLS: false})
	fmt.Println(err)
	// Output:
	// XOAUTH2 "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
	// ""
	// xoauth2: server refused the token, status "401", schemes "Bearer", scope "https://mail.google.com/"
	// unencrypted connection
}

// A shared Auth must stay memory-safe (run with -race); its bookkeeping is
// shared, which the package documentation says.
func TestSharedAuth(t *testing.T) {
	a := xoauth2.New(googleUser, oauthtest.Static(googleToken)).(auth.Retrier)
	challenge := []byte(googleFail)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				a.Start(verified)
				a.Next(challenge, true)
				a.Retry(refusal(535))
				a.Next([]byte("ok"), false)
				xoauth2.ServerError(a)
			}
		})
	}
	wg.Wait()
}
