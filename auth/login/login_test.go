package login_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/login"
)

var verified = &auth.ServerInfo{Name: "smtp.example.com", TLS: true, Auth: []string{"LOGIN"}}

// TestDraftExample replays the exchange of draft-murchison-sasl-login-00
// §2.3 in its base64 form, as it appears on the wire.
func TestDraftExample(t *testing.T) {
	a := login.New("tim", "tanstaaftanstaaf", "smtp.example.com")
	mech, ir, err := a.Start(verified)
	if mech != "LOGIN" || ir != nil || err != nil {
		t.Fatalf("Start = %q, %q, %v; want LOGIN, nil, nil", mech, ir, err)
	}
	for _, step := range []struct{ challenge, response string }{
		{"VXNlciBOYW1lAA==", "dGlt"},
		{"UGFzc3dvcmQA", "dGFuc3RhYWZ0YW5zdGFhZg=="},
	} {
		challenge, err := base64.StdEncoding.DecodeString(step.challenge)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := a.Next(challenge, true)
		if err != nil {
			t.Fatalf("Next(%q) error: %v", challenge, err)
		}
		if got := base64.StdEncoding.EncodeToString(resp); got != step.response {
			t.Errorf("Next(%q) = %s (%q), want %s", challenge, got, resp, step.response)
		}
	}
	if resp, err := a.Next([]byte("Authentication successful."), false); resp != nil || err != nil {
		t.Fatalf("Next after success = %q, %v; want nil, nil", resp, err)
	}
}

// TestChallengeTextIgnored runs the exchange with the challenge texts that
// servers are known to send: only their order decides the answer.
func TestChallengeTextIgnored(t *testing.T) {
	b64 := func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, user, pass string
	}{
		{"draft §2.2", "User Name", "Password"},
		{"draft §2.3 with NUL", "User Name\x00", "Password\x00"},
		{"draft §2.2 note", "Username:", "Password:"},
		{"lower case", "username:", "password:"},
		{"MS-XLOGIN wire form", b64("VXNlcm5hbWU6"), b64("UGFzc3dvcmQ6")},
		{"empty", "", ""},
		{"reversed", "Password:", "Username:"},
		{"binary", "\xff\x00\x01", "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := login.New("user@example.com", "hunter2", "smtp.example.com")
			if _, _, err := a.Start(verified); err != nil {
				t.Fatal(err)
			}
			if resp, err := a.Next([]byte(tc.user), true); err != nil || string(resp) != "user@example.com" {
				t.Errorf("first challenge %q: %q, %v; want the username", tc.user, resp, err)
			}
			if resp, err := a.Next([]byte(tc.pass), true); err != nil || string(resp) != "hunter2" {
				t.Errorf("second challenge %q: %q, %v; want the password", tc.pass, resp, err)
			}
		})
	}
}

func TestThirdChallenge(t *testing.T) {
	a := login.New("tim", "tanstaaftanstaaf", "smtp.example.com")
	if _, _, err := a.Start(verified); err != nil {
		t.Fatal(err)
	}
	a.Next([]byte("Username:"), true)
	a.Next([]byte("Password:"), true)
	for range 2 { // and it stays an error
		if resp, err := a.Next([]byte("Password:"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
			t.Fatalf("third challenge = %q, %v; want ErrUnexpectedChallenge", resp, err)
		}
	}
}

// TestNoAnswerWithoutStart checks that Next gives nothing away unless
// Start accepted the server, even after an earlier successful exchange.
func TestNoAnswerWithoutStart(t *testing.T) {
	a := login.New("tim", "hunter2", "smtp.example.com")
	if resp, err := a.Next([]byte("Username:"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
		t.Fatalf("Next before Start = %q, %v", resp, err)
	}
	a.Start(verified)
	a.Start(&auth.ServerInfo{Name: "smtp.example.com"}) // refused: no TLS
	for range 2 {
		if resp, err := a.Next([]byte("Username:"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
			t.Fatalf("Next after a refused Start = %q, %v", resp, err)
		}
	}
}

// TestStartResets checks that a second exchange with the same Auth (a
// retry, or a new connection) starts again from the username.
func TestStartResets(t *testing.T) {
	a := login.New("tim", "tanstaaftanstaaf", "smtp.example.com")
	for i := range 2 {
		if _, _, err := a.Start(verified); err != nil {
			t.Fatal(err)
		}
		if resp, err := a.Next([]byte("Username:"), true); err != nil || string(resp) != "tim" {
			t.Fatalf("exchange %d: first challenge = %q, %v", i, resp, err)
		}
		if i == 1 {
			if resp, err := a.Next([]byte("Password:"), true); err != nil || string(resp) != "tanstaaftanstaaf" {
				t.Fatalf("exchange %d: second challenge = %q, %v", i, resp, err)
			}
		}
	}
}

func TestRefusesUnprotected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		host   string
		server *auth.ServerInfo
		want   error
	}{
		{"no TLS", "smtp.example.com", &auth.ServerInfo{Name: "smtp.example.com"}, auth.ErrUnencrypted},
		{"other host", "smtp.example.com", &auth.ServerInfo{Name: "evil.example.com", TLS: true}, auth.ErrWrongHost},
		{"localhost other host", "localhost", &auth.ServerInfo{Name: "127.0.0.1"}, auth.ErrWrongHost},
		{"loopback name but remote host", "smtp.example.com", &auth.ServerInfo{Name: "localhost"}, auth.ErrWrongHost},
		{"no server info", "smtp.example.com", nil, auth.ErrUnencrypted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := login.New("user", "hunter2", tc.host)
			mech, resp, err := a.Start(tc.server)
			if !errors.Is(err, tc.want) || resp != nil || mech != "" {
				t.Fatalf("Start = %q, %q, %v; want error %v and no response", mech, resp, err, tc.want)
			}
		})
	}
}

func TestLoopbackWithoutTLS(t *testing.T) {
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		a := login.New("u", "p", name)
		if mech, _, err := a.Start(&auth.ServerInfo{Name: name}); err != nil || mech != "LOGIN" {
			t.Errorf("%s: Start = %q, %v", name, mech, err)
		}
	}
}

// TestBadCredential checks the characters draft §2 excludes, and that
// everything else (UTF-8, other control bytes, binary) passes unchanged.
func TestBadCredential(t *testing.T) {
	for _, tc := range []struct{ user, pass string }{
		{"tim\x00admin", "p"},
		{"tim\r\nQUIT", "p"},
		{"tim", "hunter2\x00"},
		{"tim", "hunter2\r"},
		{"tim", "hunter2\nx"},
	} {
		a := login.New(tc.user, tc.pass, "smtp.example.com")
		_, resp, err := a.Start(verified)
		if !errors.Is(err, login.ErrBadCredential) || resp != nil {
			t.Errorf("%q/%q: Start = %q, %v; want ErrBadCredential", tc.user, tc.pass, resp, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	a := login.New("jürgen", "p\x01\t\xffä€", "smtp.example.com")
	if _, _, err := a.Start(verified); err != nil {
		t.Fatal(err)
	}
	a.Next(nil, true)
	if resp, err := a.Next(nil, true); err != nil || string(resp) != "p\x01\t\xffä€" {
		t.Errorf("password = %q, %v", resp, err)
	}
}

func TestFormattingHidesSecret(t *testing.T) {
	a := login.New("user", "hunter2", "smtp.example.com")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if s := fmt.Sprintf(verb, a); strings.Contains(s, "hunter2") {
			t.Errorf("%s shows the password: %s", verb, s)
		}
	}
}

// The same value works with the standard library's client.
var _ smtp.Auth = login.New("", "", "")

func ExampleNew() {
	a := login.New("tim", "tanstaaftanstaaf", "smtp.example.com")
	mech, ir, _ := a.Start(&auth.ServerInfo{Name: "smtp.example.com", TLS: true})
	fmt.Printf("AUTH %s, initial response %q\n", mech, ir)
	for _, challenge := range []string{"Username:", "Password:", "Password:"} {
		resp, err := a.Next([]byte(challenge), true)
		fmt.Printf("%s %q %v\n", challenge, resp, err)
	}
	_, _, err := login.New("tim", "tanstaaftanstaaf", "smtp.example.com").Start(&auth.ServerInfo{Name: "smtp.example.com"})
	fmt.Println(err)
	// Output:
	// AUTH LOGIN, initial response ""
	// Username: "tim" <nil>
	// Password: "tanstaaftanstaaf" <nil>
	// Password: "" unexpected server challenge
	// unencrypted connection
}
