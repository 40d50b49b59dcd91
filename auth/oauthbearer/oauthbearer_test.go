package oauthbearer_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken/oauthtest"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
)

// RFC 7628 §4.1's credential. (Its §4.4 decodes a token with "dHRh" where
// §4.1 has "bHRh"; the base64 on the wire in §4.1 settles it.)
const (
	rfcUser  = "user@example.com"
	rfcHost  = "server.example.com"
	rfcToken = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
)

// Failure challenges as RFC 7628 prints them, base64 on the wire.
const (
	// §4.3, first exchange: the base64 ends in "openid-config".
	rfc43Challenge = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxl" +
		"X3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4" +
		"YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWcifQ=="
	// §4.3, second exchange: "openid-configuration".
	rfc43bChallenge = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxl" +
		"X3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4" +
		"YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9u" +
		"In0="
	// §4.4, the SMTP example.
	rfc44Challenge = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiL" +
		"CJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ=="
	invalidToken = `{"status":"invalid_token","scope":"example_scope"}`
)

var verified = &auth.ServerInfo{Name: rfcHost, TLS: true, Auth: []string{"OAUTHBEARER"}}

// refusal is the final reply after a failure, as smtpauth's client reports
// it: an error that unwraps to *textproto.Error.
func refusal(code int) error {
	return fmt.Errorf("smtp: %w", &textproto.Error{Code: code, Msg: "5.7.8 Authentication credentials invalid"})
}

// decode is what the SMTP client does with a 334's text.
func decode(t testing.TB, s string) []byte {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withPort(a auth.Auth, port int) auth.Auth {
	a.(auth.ConnStateAuth).SetConnState(auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: port}})
	return a
}

// TestRFC7628Examples checks the client responses of RFC 7628 §4.1, in its
// SMTP (port 587) and IMAP (port 143) forms, byte for byte and as base64.
func TestRFC7628Examples(t *testing.T) {
	for _, tc := range []struct {
		port      int
		want, b64 string
	}{
		{587, "n,a=user@example.com,\x01host=server.example.com\x01port=587\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
			"bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmd" +
				"DRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"},
		{143, "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
			"bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyI" +
				"HZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQ" + "EB"},
	} {
		a := withPort(oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)), tc.port)
		mech, resp, err := a.Start(verified)
		if err != nil || mech != "OAUTHBEARER" || string(resp) != tc.want {
			t.Fatalf("Start = %q, %q, %v; want OAUTHBEARER, %q, nil", mech, resp, err, tc.want)
		}
		if got := base64.StdEncoding.EncodeToString(resp); got != tc.b64 {
			t.Errorf("base64 = %s\nwant     %s", got, tc.b64)
		}
		if next, err := a.Next([]byte("2.7.0 Authentication successful"), false); next != nil || err != nil {
			t.Errorf("Next after success = %q, %v; want nil, nil", next, err)
		}
	}
}

func TestResponseForms(t *testing.T) {
	for _, tc := range []struct {
		name, user string
		server     auth.ServerInfo
		state      *auth.ConnState
		want       string
	}{
		{"no ConnState: no port", rfcUser, *verified, nil,
			"n,a=user@example.com,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"not TCP: no port", rfcUser, *verified, &auth.ConnState{RemoteAddr: &net.UnixAddr{Name: "/s", Net: "unix"}},
			"n,a=user@example.com,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"nil TCPAddr: no port", rfcUser, *verified, &auth.ConnState{RemoteAddr: (*net.TCPAddr)(nil)},
			"n,a=user@example.com,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"IPv6 port", rfcUser, *verified, &auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.IPv6loopback, Port: 465}},
			"n,a=user@example.com,\x01host=server.example.com\x01port=465\x01auth=Bearer T\x01\x01"},
		{"saslname escapes", "a=b,c@example.com", *verified, nil,
			"n,a=a=3Db=2Cc@example.com,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"no username: no authzid", "", *verified, nil,
			"n,,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"UTF-8 username", "jörg@example.com", *verified, nil,
			"n,a=jörg@example.com,\x01host=server.example.com\x01auth=Bearer T\x01\x01"},
		{"no server name: no host", rfcUser, auth.ServerInfo{TLS: true}, nil,
			"n,a=user@example.com,\x01auth=Bearer T\x01\x01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := oauthbearer.New(tc.user, oauthtest.Static("T"))
			if tc.state != nil {
				a.(auth.ConnStateAuth).SetConnState(*tc.state)
			}
			if _, resp, err := a.Start(&tc.server); err != nil || string(resp) != tc.want {
				t.Errorf("Start = %q, %v\nwant %q", resp, err, tc.want)
			}
		})
	}
}

// The port of one SetConnState serves one Start: the same value used next
// with net/smtp, which never calls SetConnState, must not send it.
func TestPortIsForOneStart(t *testing.T) {
	a := withPort(oauthbearer.New(rfcUser, oauthtest.Static("T")), 587)
	if _, resp, _ := a.Start(verified); !strings.Contains(string(resp), "port=587") {
		t.Fatalf("first Start = %q; want port=587", resp)
	}
	if _, resp, _ := a.Start(verified); strings.Contains(string(resp), "port=") {
		t.Errorf("second Start = %q; want no port", resp)
	}
}

func TestRefusesUnprotected(t *testing.T) {
	for _, server := range []*auth.ServerInfo{
		nil,
		{Name: rfcHost},
		{Name: "localhost.evil.example", Auth: []string{"OAUTHBEARER"}},
	} {
		ts := &oauthtest.Tokens{List: []string{rfcToken}}
		mech, resp, err := oauthbearer.New(rfcUser, ts).Start(server)
		if !errors.Is(err, auth.ErrUnencrypted) || mech != "" || resp != nil {
			t.Errorf("Start(%+v) = %q, %q, %v; want ErrUnencrypted", server, mech, resp, err)
		}
		if ts.Calls != 0 {
			t.Errorf("Start(%+v) fetched a token for an unprotected link", server)
		}
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, resp, err := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)).Start(&auth.ServerInfo{Name: name})
		if err != nil || !strings.Contains(string(resp), "\x01host="+name+"\x01") {
			t.Errorf("Start(%s without TLS) = %q, %v", name, resp, err)
		}
	}
}

func TestBadUsernameAndHost(t *testing.T) {
	for _, user := range []string{"a\x01auth=Bearer x", "a\nb", "a\x00", "a\x7f", "a\u0085", "\xff"} {
		if _, resp, err := oauthbearer.New(user, oauthtest.Static(rfcToken)).Start(verified); !errors.Is(err, oauthbearer.ErrBadUsername) || resp != nil {
			t.Errorf("Start(user %q) = %q, %v; want ErrBadUsername", user, resp, err)
		}
	}
	for _, host := range []string{"a\x01auth=Bearer x", "a b", "a\r\n", "bücher.example"} {
		if _, resp, err := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)).Start(&auth.ServerInfo{Name: host, TLS: true}); !errors.Is(err, oauthbearer.ErrBadHost) || resp != nil {
			t.Errorf("Start(host %q) = %q, %v; want ErrBadHost", host, resp, err)
		}
	}
}

func TestTokenValidation(t *testing.T) {
	for _, tok := range []string{"", "=", "==abc", "abc=def", "a b", "a\x01b", "a\r\nMAIL FROM:<x>", "a\x00", "ab%", "é", "a,b"} {
		_, resp, err := oauthbearer.New(rfcUser, oauthtest.Static(tok)).Start(verified)
		if !errors.Is(err, oauthbearer.ErrBadToken) || resp != nil {
			t.Errorf("token %q: Start = %q, %v; want ErrBadToken", tok, resp, err)
		}
		if err != nil && tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("token %q: error shows it: %v", tok, err)
		}
	}
	for _, tok := range []string{"a", "A-._~+/9", "abc==", "x=", rfcToken} {
		if _, _, err := oauthbearer.New(rfcUser, oauthtest.Static(tok)).Start(verified); err != nil {
			t.Errorf("token %q: Start = %v; want nil", tok, err)
		}
	}
}

func TestTokenSourceErrors(t *testing.T) {
	cause := errors.New("oauth2: cannot fetch token: 400 Bad Request")
	_, resp, err := oauthbearer.New(rfcUser, &oauthtest.Tokens{Err: cause}).Start(verified)
	if !errors.Is(err, cause) || resp != nil || !strings.HasPrefix(err.Error(), "oauthbearer: ") {
		t.Errorf("Start = %q, %v; want a wrapped %v", resp, err, cause)
	}
	if _, _, err := oauthbearer.New(rfcUser, oauthtest.NilToken{}).Start(verified); !errors.Is(err, oauthbearer.ErrBadToken) {
		t.Errorf("nil token: Start = %v; want ErrBadToken", err)
	}
	if _, _, err := oauthbearer.New(rfcUser, nil).Start(verified); err == nil {
		t.Error("nil token source: Start succeeded")
	}
}

// start runs Start and fails the test unless it sends want.
func start(t *testing.T, a auth.Auth, want string) {
	t.Helper()
	_, resp, err := a.Start(verified)
	if err != nil || !strings.HasSuffix(string(resp), "\x01auth=Bearer "+want+"\x01\x01") {
		t.Fatalf("Start = %q, %v; want token %s", resp, err, want)
	}
}

// fail answers the exchange with a failure challenge and checks the dummy
// reply of RFC 7628 §3.2.3.
func fail(t *testing.T, a auth.Auth, challenge []byte) {
	t.Helper()
	reply, err := a.Next(challenge, true)
	if err != nil || string(reply) != "\x01" || base64.StdEncoding.EncodeToString(reply) != "AQ==" {
		t.Fatalf("Next(failure) = %q, %v; want %q (AQ==)", reply, err, "\x01")
	}
}

func TestRFC7628FailureChallenges(t *testing.T) {
	for _, tc := range []struct {
		name, challenge string
		want            oauthbearer.Error
	}{
		{"4.3", rfc43Challenge, oauthbearer.Error{Status: "invalid_token", Scope: "example_scope",
			OpenIDConfiguration: "https://example.com/.well-known/openid-config"}},
		{"4.3 abort form", rfc43bChallenge, oauthbearer.Error{Status: "invalid_token", Scope: "example_scope",
			OpenIDConfiguration: "https://example.com/.well-known/openid-configuration"}},
		{"4.4", rfc44Challenge, oauthbearer.Error{Status: "invalid_token", Scope: "https://mail.example.com/",
			Schemes: "bearer mac"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken))
			start(t, a, rfcToken)
			fail(t, a, decode(t, tc.challenge))
			var e *oauthbearer.Error
			if !errors.As(oauthbearer.ServerError(a), &e) || *e != tc.want {
				t.Fatalf("ServerError = %#v; want %#v", oauthbearer.ServerError(a), tc.want)
			}
			// After the dummy reply only the final reply may come.
			if reply, err := a.Next([]byte(invalidToken), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
				t.Errorf("second challenge: Next = %q, %v; want ErrUnexpectedChallenge", reply, err)
			}
			// A success after the failure contradicts it.
			if _, err := a.Next([]byte("2.7.0 Accepted"), false); !errors.As(err, &e) {
				t.Errorf("success after failure: Next = %v; want the *Error", err)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &oauthbearer.Error{Status: "invalid_token", Scope: "example_scope", OpenIDConfiguration: "https://example.com/x", Schemes: "bearer"}
	want := `oauthbearer: server refused the token, status "invalid_token", scope "example_scope", openid-configuration "https://example.com/x", schemes "bearer"`
	if e.Error() != want {
		t.Errorf("Error() = %s\nwant      %s", e, want)
	}
	if got := (&oauthbearer.Error{Status: "x\ny"}).Error(); strings.Contains(got, "\n") {
		t.Errorf("Error() of a hand-made value holds a newline: %q", got)
	}
}

func TestChallengeBeforeStart(t *testing.T) {
	a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken))
	if reply, err := a.Next([]byte(invalidToken), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || reply != nil {
		t.Errorf("Next before Start = %q, %v; want ErrUnexpectedChallenge", reply, err)
	}
}

func TestHostileChallenges(t *testing.T) {
	for _, tc := range []struct {
		name, challenge string
		want            *oauthbearer.Error // nil: ErrMalformedChallenge
	}{
		{"empty", "", nil},
		{"invalid", `{"status":"invalid_token"`, nil},
		{"not an object", `["invalid_token"]`, nil},
		{"null", `null`, nil},
		{"huge", `{"status":"invalid_token","x":"` + strings.Repeat("a", 5000) + `"}`, nil},
		{"nested", strings.Repeat("[", 2000) + strings.Repeat("]", 2000), nil},
		{"nested value", `{"status":"invalid_token","x":` + strings.Repeat("{\"a\":", 500) + "1" + strings.Repeat("}", 500) + `}`,
			&oauthbearer.Error{Status: "invalid_token"}},
		{"non-string fields", `{"status":401,"scope":true,"openid-configuration":{"a":1},"schemes":["bearer"]}`,
			&oauthbearer.Error{Status: "401"}},
		{"control characters", `{"status":"invalid_token\r\n250 OK","scope":"\u0000\u202e","openid-configuration":"\u001b[31mhttps://x"}`,
			&oauthbearer.Error{Status: "invalid_token\ufffd\ufffd250 OK", Scope: "\ufffd\ufffd", OpenIDConfiguration: "\ufffd[31mhttps://x"}},
		{"raw control bytes", "{\"status\":\"a\x01b\"}", nil}, // invalid JSON: raw controls are not allowed in strings
		{"invalid UTF-8", "{\"status\":\"in\xffvalid\"}", &oauthbearer.Error{Status: "in\ufffdvalid"}},
		{"long field", `{"scope":"` + strings.Repeat("s", 1000) + `"}`, &oauthbearer.Error{Scope: strings.Repeat("s", 256) + "..."}},
		{"duplicate keys", `{"status":"invalid_token","status":"insufficient_scope"}`, &oauthbearer.Error{Status: "insufficient_scope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken))
			start(t, a, rfcToken)
			fail(t, a, []byte(tc.challenge))
			err := oauthbearer.ServerError(a)
			var e *oauthbearer.Error
			switch {
			case tc.want == nil && !errors.Is(err, oauthbearer.ErrMalformedChallenge):
				t.Errorf("ServerError = %v; want ErrMalformedChallenge", err)
			case tc.want != nil && (!errors.As(err, &e) || *e != *tc.want):
				t.Errorf("ServerError = %#v; want %#v", err, tc.want)
			}
			if len(err.Error()) > 2048 {
				t.Errorf("error text is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestRetryWithFreshToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{"first", "second", "third"}}
	a := oauthbearer.New(rfcUser, ts).(auth.Retrier)
	start(t, a, "first")
	fail(t, a, decode(t, rfc44Challenge))
	if !a.Retry(refusal(535)) {
		t.Fatal("Retry after invalid_token with a new token = false")
	}
	start(t, a, "second")
	if ts.Calls != 2 {
		t.Errorf("token source called %d times; want 2", ts.Calls)
	}
	fail(t, a, decode(t, rfc44Challenge))
	if a.Retry(refusal(535)) {
		t.Error("second Retry = true; want at most one per Auth")
	}
	if ts.Calls != 2 {
		t.Errorf("token source called %d times after the second refusal; want 2", ts.Calls)
	}
}

func TestRetrySameToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{rfcToken}}
	a := oauthbearer.New(rfcUser, ts).(auth.Retrier)
	start(t, a, rfcToken)
	fail(t, a, decode(t, rfc44Challenge))
	if a.Retry(refusal(535)) {
		t.Fatal("Retry = true though the token source returns the refused token")
	}
	// Used again (net/smtp.SendMail with the same Auth), it does not resend.
	_, resp, err := a.Start(verified)
	var e *oauthbearer.Error
	if !errors.Is(err, oauthbearer.ErrTokenRejected) || !errors.As(err, &e) || e.Status != "invalid_token" || resp != nil {
		t.Fatalf("Start with the refused token = %q, %v; want ErrTokenRejected and the *Error", resp, err)
	}
	if strings.Contains(err.Error(), rfcToken) {
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
		{"invalid_token", invalidToken, refusal(535), true},
		{"invalid_token, other final code", invalidToken, refusal(454), true},
		{"Google's 401", `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`, refusal(535), true},
		{"insufficient_scope", `{"status":"insufficient_scope","scope":"mail"}`, refusal(535), false},
		{"invalid_request", `{"status":"invalid_request"}`, refusal(535), false},
		{"no challenge, 535", "", refusal(535), true},
		{"no challenge, 454", "", refusal(454), false},
		{"no challenge, 534", "", refusal(534), false},
		{"malformed challenge, 535", "{", refusal(535), true},
		{"no status, 535", `{"scope":"x"}`, refusal(535), true},
		{"not a server reply", "", errors.New("connection reset"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &oauthtest.Tokens{List: []string{"first", "second"}}
			a := oauthbearer.New(rfcUser, ts).(auth.Retrier)
			start(t, a, "first")
			if tc.challenge != "" {
				fail(t, a, []byte(tc.challenge))
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
	a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)).(auth.Retrier)
	if a.Retry(refusal(535)) {
		t.Error("Retry before Start = true")
	}
	ts := &oauthtest.Tokens{List: []string{"first"}}
	b := oauthbearer.New(rfcUser, ts).(auth.Retrier)
	start(t, b, "first")
	ts.Err = errors.New("refresh failed")
	if b.Retry(refusal(535)) {
		t.Error("Retry with a failing token source = true")
	}
	ts.Err, ts.List = nil, []string{"bad token"}
	if b.Retry(refusal(535)) {
		t.Error("Retry with an invalid new token = true")
	}
	// A Start that fails leaves nothing for Retry to act on.
	c := oauthbearer.New(rfcUser, &oauthtest.Tokens{List: []string{"first", "second"}}).(auth.Retrier)
	start(t, c, "first")
	if _, _, err := c.Start(&auth.ServerInfo{Name: rfcHost}); err == nil {
		t.Fatal("Start without TLS succeeded")
	}
	if c.Retry(refusal(535)) {
		t.Error("Retry after a failed Start = true")
	}
}

func TestFormattingHidesToken(t *testing.T) {
	ts := &oauthtest.Tokens{List: []string{rfcToken, "second" + rfcToken}}
	a := oauthbearer.New(rfcUser, ts).(auth.Retrier)
	start(t, a, rfcToken)
	fail(t, a, decode(t, rfc44Challenge))
	a.Retry(refusal(535)) // holds the fresh token now
	serverErr := oauthbearer.ServerError(a)
	_, nextErr := a.Next([]byte("ok"), false)
	for _, v := range []any{a, serverErr, nextErr} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			s := fmt.Sprintf(verb, v)
			if strings.Contains(s, "vF9dft4qmTc2Nvb3") || strings.Contains(s, fmt.Sprintf("%x", "vF9dft4qmTc2Nvb3")) {
				t.Errorf("%s of %T shows the token: %s", verb, v, s)
			}
		}
	}
}

// The same value works with the standard library's client, and smtpauth's
// client gives it the connection state and asks it to retry.
var (
	_ smtp.Auth          = oauthbearer.New("", nil)
	_ auth.ConnStateAuth = oauthbearer.New("", nil).(auth.ConnStateAuth)
	_ auth.Retrier       = oauthbearer.New("", nil).(auth.Retrier)
)

func ExampleNew() {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="})
	a := oauthbearer.New("user@example.com", ts)
	// smtpauth's client tells the Auth the server's address before Start.
	a.(auth.ConnStateAuth).SetConnState(auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 587}})
	mech, resp, _ := a.Start(&auth.ServerInfo{Name: "server.example.com", TLS: true})
	fmt.Printf("%s %q\n", mech, resp)

	// RFC 7628 §3.2.2: the server refuses the token with a failure
	// challenge; the reply to it is a single %x01, then comes the final 535.
	reply, _ := a.Next([]byte(`{"status":"invalid_token","scope":"example_scope"}`), true)
	fmt.Printf("%q\n", reply)
	fmt.Println(oauthbearer.ServerError(a))
	// Output:
	// OAUTHBEARER "n,a=user@example.com,\x01host=server.example.com\x01port=587\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
	// "\x01"
	// oauthbearer: server refused the token, status "invalid_token", scope "example_scope"
}

// A shared Auth must stay memory-safe (run with -race); its bookkeeping is
// shared, which the package documentation says.
func TestSharedAuth(t *testing.T) {
	a := oauthbearer.New(rfcUser, oauthtest.Static(rfcToken)).(auth.Retrier)
	challenge := decode(t, rfc44Challenge)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				a.(auth.ConnStateAuth).SetConnState(auth.ConnState{})
				a.Start(verified)
				a.Next(challenge, true)
				a.Retry(refusal(535))
				a.Next([]byte("ok"), false)
				oauthbearer.ServerError(a)
			}
		})
	}
	wg.Wait()
}
