package plain_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/plain"
)

var verified = &auth.ServerInfo{Name: "mail.example.com", TLS: true, Auth: []string{"PLAIN"}}

// TestRFC4616Examples checks the messages of RFC 4616 §4's examples.
func TestRFC4616Examples(t *testing.T) {
	for _, tc := range []struct {
		identity, user, pass string
		want                 string
	}{
		{"", "tim", "tanstaaftanstaaf", "\x00tim\x00tanstaaftanstaaf"},
		{"Ursel", "Kurt", "xipj3plmq", "Ursel\x00Kurt\x00xipj3plmq"},
	} {
		a := plain.New(tc.identity, tc.user, tc.pass, "mail.example.com")
		mech, resp, err := a.Start(verified)
		if err != nil || mech != "PLAIN" || string(resp) != tc.want {
			t.Errorf("Start = %q, %q, %v; want PLAIN, %q, nil", mech, resp, err, tc.want)
		}
		if next, err := a.Next([]byte("2.7.0 Accepted"), false); next != nil || err != nil {
			t.Errorf("Next after success = %q, %v; want nil, nil", next, err)
		}
	}
}

func TestRefusesUnprotected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		host   string
		server auth.ServerInfo
		want   error
	}{
		{"no TLS", "mail.example.com", auth.ServerInfo{Name: "mail.example.com"}, auth.ErrUnencrypted},
		{"other host", "mail.example.com", auth.ServerInfo{Name: "evil.example.com", TLS: true}, auth.ErrWrongHost},
		{"localhost other host", "localhost", auth.ServerInfo{Name: "127.0.0.1"}, auth.ErrWrongHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := plain.New("", "user", "secret", tc.host)
			mech, resp, err := a.Start(&tc.server)
			if !errors.Is(err, tc.want) || resp != nil || mech != "" {
				t.Fatalf("Start = %q, %q, %v; want error %v and no response", mech, resp, err, tc.want)
			}
		})
	}
}

func TestLoopbackWithoutTLS(t *testing.T) {
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		a := plain.New("", "u", "p", name)
		if _, resp, err := a.Start(&auth.ServerInfo{Name: name}); err != nil || string(resp) != "\x00u\x00p" {
			t.Errorf("%s: Start = %q, %v", name, resp, err)
		}
	}
}

func TestRejectsNUL(t *testing.T) {
	a := plain.New("", "user\x00admin", "p", "mail.example.com")
	if _, resp, err := a.Start(verified); !errors.Is(err, plain.ErrNUL) || resp != nil {
		t.Fatalf("Start = %q, %v; want ErrNUL", resp, err)
	}
}

func TestChallengeIsAnError(t *testing.T) {
	a := plain.New("", "u", "p", "mail.example.com")
	if _, _, err := a.Start(verified); err != nil {
		t.Fatal(err)
	}
	if resp, err := a.Next([]byte("more?"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
		t.Fatalf("Next = %q, %v; want ErrUnexpectedChallenge", resp, err)
	}
}

func TestFormattingHidesSecret(t *testing.T) {
	a := plain.New("id", "user", "hunter2", "mail.example.com")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, a); strings.Contains(s, "hunter2") {
			t.Errorf("%s shows the password: %s", verb, s)
		}
	}
}

// The same value works with the standard library's client.
var _ smtp.Auth = plain.New("", "", "", "")

func ExampleNew() {
	a := plain.New("", "user@example.com", "password", "mail.example.com")
	_, resp, err := a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: true})
	fmt.Printf("%q %v\n", resp, err)
	_, _, err = a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: false})
	fmt.Println(err)
	// Output:
	// "\x00user@example.com\x00password" <nil>
	// unencrypted connection
}
