package oauthtoken_test

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
)

var dummy = []byte{0x01}

const invalidToken = `{"status":"invalid_token","scope":"mail"}`

func refusal(code int) error {
	return fmt.Errorf("smtp: %w", &textproto.Error{Code: code, Msg: "5.7.8 Authentication credentials invalid"})
}

// begin runs what Start does with the Exchange and fails the test unless
// the token is want.
func begin(t *testing.T, x *oauthtoken.Exchange, want string) {
	t.Helper()
	x.Reset()
	if tok, err := x.Token(); tok != want || err != nil {
		t.Fatalf("Token = %q, %v; want %q, nil", tok, err, want)
	}
}

// challenge gives x a failure challenge and fails the test unless the
// reply is the dummy one.
func challenge(t *testing.T, x *oauthtoken.Exchange, c string) {
	t.Helper()
	if reply, err := x.Next([]byte(c), true, dummy); string(reply) != "\x01" || err != nil {
		t.Fatalf("Next(challenge) = %q, %v; want the dummy reply", reply, err)
	}
}

func TestExchangeSuccess(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("tok"))
	begin(t, x, "tok")
	if reply, err := x.Next([]byte("2.7.0 Accepted"), false, dummy); reply != nil || err != nil {
		t.Errorf("Next(success) = %q, %v; want nil, nil", reply, err)
	}
	if err := x.Failure(); err != nil {
		t.Errorf("Failure = %v", err)
	}
}

func TestExchangeFailureChallenge(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("tok"))
	begin(t, x, "tok")
	challenge(t, x, invalidToken)
	var e *testError
	if !errors.As(x.Failure(), &e) || *e != (testError{status: "invalid_token", scope: "mail"}) {
		t.Fatalf("Failure = %#v", x.Failure())
	}
	// After the dummy reply only the final reply may come.
	if reply, err := x.Next([]byte(invalidToken), true, dummy); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
		t.Errorf("second challenge: Next = %q, %v; want ErrUnexpectedChallenge", reply, err)
	}
	// A success after the failure contradicts it.
	_, err := x.Next([]byte("2.7.0 Accepted"), false, dummy)
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "test: server accepted after refusing the token: ") {
		t.Errorf("success after failure: Next = %v; want the prefixed *testError", err)
	}
	// The next exchange starts clean.
	x = oauthtoken.NewExchange(testMechanism(), &oauthtest.Tokens{List: []string{"a", "b"}})
	begin(t, x, "a")
	challenge(t, x, `{"status":"insufficient_scope"}`)
	begin(t, x, "b")
	if x.Failure() != nil {
		t.Errorf("Failure after a new Token = %v", x.Failure())
	}
	challenge(t, x, invalidToken)
}

func TestExchangeMalformedChallenge(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("tok"))
	begin(t, x, "tok")
	challenge(t, x, "not JSON")
	if err := x.Failure(); err != errMalformed {
		t.Errorf("Failure = %v; want the malformed sentinel", err)
	}
	if _, err := x.Next(nil, false, dummy); !errors.Is(err, errMalformed) {
		t.Errorf("success after a malformed challenge: Next = %v", err)
	}
}

func TestExchangeChallengeWithoutToken(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("tok"))
	if reply, err := x.Next([]byte(invalidToken), true, dummy); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
		t.Errorf("Next before Token = %q, %v; want ErrUnexpectedChallenge", reply, err)
	}
	begin(t, x, "tok")
	x.Reset() // a Start that failed its checks
	if _, err := x.Next([]byte(invalidToken), true, dummy); !errors.Is(err, auth.ErrUnexpectedChallenge) {
		t.Errorf("Next after Reset = %v; want ErrUnexpectedChallenge", err)
	}
	if x.Retry(refusal(535)) {
		t.Error("Retry after Reset = true")
	}
}

func TestExchangeRetryDecision(t *testing.T) {
	for _, tc := range []struct {
		challenge string // "" for none
		code      int    // of the final reply; 0 for an error that is no reply
		want      bool
	}{
		{invalidToken, 535, true},
		{invalidToken, 454, true}, // the challenge's status decides
		{`{"status":"insufficient_scope"}`, 535, false},
		{`{"status":401}`, 535, false},
		{"", 535, true}, // without a status, a 535 decides
		{"", 454, false},
		{"", 0, false},
		{"{", 535, true},
		{"{", 534, false},
		{`{"scope":"x"}`, 535, true},
		{`{"status":""}`, 535, true},
	} {
		ts := &oauthtest.Tokens{List: []string{"first", "second"}}
		x := oauthtoken.NewExchange(testMechanism(), ts)
		begin(t, x, "first")
		if tc.challenge != "" {
			challenge(t, x, tc.challenge)
		}
		var refused error = errors.New("connection reset")
		if tc.code != 0 {
			refused = refusal(tc.code)
		}
		// Retry asks for a token only once it knows the refusal was about
		// the token.
		got, wantCalls := x.Retry(refused), 1
		if tc.want {
			wantCalls = 2
		}
		if got != tc.want || ts.Calls != wantCalls {
			t.Errorf("challenge %q, then %v: Retry = %t after %d token calls; want %t after %d",
				tc.challenge, refused, got, ts.Calls, tc.want, wantCalls)
		}
	}
}

// A refused token is never sent again, and Retry says yes once at most.
func TestExchangeRetryOnce(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{"first", "second", "third"}}
	x := oauthtoken.NewExchange(testMechanism(), ts)
	begin(t, x, "first")
	challenge(t, x, invalidToken)
	if !x.Retry(refusal(535)) {
		t.Fatal("Retry = false")
	}
	begin(t, x, "second") // the token Retry got, not a third call
	if ts.Calls != 2 {
		t.Errorf("token source called %d times; want 2", ts.Calls)
	}
	challenge(t, x, invalidToken)
	if x.Retry(refusal(535)) {
		t.Error("second Retry = true")
	}
}

func TestExchangeRejectedToken(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("same"))
	begin(t, x, "same")
	challenge(t, x, invalidToken)
	if x.Retry(refusal(535)) {
		t.Fatal("Retry = true though the source returns the refused token")
	}
	x.Reset()
	tok, err := x.Token()
	var e *testError
	if tok != "" || !errors.Is(err, errRejected) || !errors.As(err, &e) || e.status != "invalid_token" {
		t.Fatalf("Token = %q, %v; want the rejected sentinel wrapping the *testError", tok, err)
	}
	if strings.Contains(err.Error(), "same") {
		t.Errorf("error shows the token: %v", err)
	}

	// Refused by a bare 535, without a challenge: nothing to wrap.
	y := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("same"))
	begin(t, y, "same")
	y.Retry(refusal(535))
	y.Reset()
	if _, err := y.Token(); err != errRejected {
		t.Errorf("Token after a bare 535 = %v; want the rejected sentinel itself", err)
	}
}

// Retry says no when the token source fails or gives a token that could
// not be sent; the token source is asked again at the next Start.
func TestExchangeRetryFetchFails(t *testing.T) {
	for i, breakSource := range []func(*oauthtest.Tokens){
		func(ts *oauthtest.Tokens) { ts.Err = errors.New("refresh failed") },
		func(ts *oauthtest.Tokens) { ts.List = []string{"bad token"} },
	} {
		ts := &oauthtest.Tokens{List: []string{"first"}}
		x := oauthtoken.NewExchange(testMechanism(), ts)
		begin(t, x, "first")
		breakSource(ts)
		if x.Retry(refusal(535)) {
			t.Errorf("source %d: Retry = true", i)
		}
		x.Reset()
		if _, err := x.Token(); err == nil || ts.Calls != 3 {
			t.Errorf("source %d: Token after the failed Retry = %v after %d calls; want an error after 3", i, err, ts.Calls)
		}
	}
}

// Shared between goroutines, an Exchange stays memory-safe (run with
// -race).
func TestExchangeConcurrent(t *testing.T) {
	x := oauthtoken.NewExchange(testMechanism(), oauthtest.Static("tok"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				x.Reset()
				x.Token()
				x.Next([]byte(invalidToken), true, dummy)
				x.Retry(refusal(535))
				x.Next(nil, false, dummy)
				x.Failure()
			}
		})
	}
	wg.Wait()
}

func ExampleExchange() {
	m := oauthtoken.Mechanism{
		Name:                  "example",
		ErrBadToken:           errors.New("example: bad token"),
		ErrTokenRejected:      errors.New("example: token refused before"),
		ErrMalformedChallenge: errors.New("example: malformed challenge"),
		NewError: func(f oauthtoken.Fields) error {
			return errors.New(oauthtoken.RefusalText("example", "status", f.Get("status")))
		},
		RefusesToken: func(status string) bool { return status == "invalid_token" },
	}
	ts := &oauthtest.Tokens{List: []string{"expired", "fresh"}}
	x := oauthtoken.NewExchange(m, ts)

	x.Reset() // Start, after its checks:
	tok, _ := x.Token()
	fmt.Println("send", tok)
	reply, _ := x.Next([]byte(`{"status":"invalid_token"}`), true, []byte{0x01})
	fmt.Printf("reply %q\n", reply)
	fmt.Println(x.Failure())
	fmt.Println("retry:", x.Retry(&textproto.Error{Code: 535, Msg: "5.7.8 no"}))

	x.Reset()
	tok, _ = x.Token()
	fmt.Println("send", tok)
	_, err := x.Next([]byte("2.7.0 Accepted"), false, nil)
	fmt.Println("error:", err)
	// Output:
	// send expired
	// reply "\x01"
	// example: server refused the token, status "invalid_token"
	// retry: true
	// send fresh
	// error: <nil>
}
