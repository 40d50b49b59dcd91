package crammd5_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
)

// TestRFC2195Example replays the exchange of RFC 2195 §2, in its base64 form.
func TestRFC2195Example(t *testing.T) {
	a := crammd5.New("tim", "tanstaaftanstaaf")
	mech, ir, err := a.Start(&auth.ServerInfo{Name: "postoffice.reston.mci.net"})
	if mech != "CRAM-MD5" || ir != nil || err != nil {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	challenge, err := base64.StdEncoding.DecodeString("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Next(challenge, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := base64.StdEncoding.EncodeToString(resp), "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"; got != want {
		t.Fatalf("response = %s (%q), want %s", got, resp, want)
	}
	if resp, err := a.Next([]byte("2.7.0 ok"), false); resp != nil || err != nil {
		t.Fatalf("Next after success = %q, %v", resp, err)
	}
}

func TestSecondChallenge(t *testing.T) {
	a := crammd5.New("tim", "tanstaaftanstaaf")
	a.Start(&auth.ServerInfo{})
	if _, err := a.Next([]byte("<1@x>"), true); err != nil {
		t.Fatal(err)
	}
	if resp, err := a.Next([]byte("<2@x>"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
		t.Fatalf("second challenge: %q, %v", resp, err)
	}
}

func TestControlCharacterInUsername(t *testing.T) {
	for _, user := range []string{"tim\r\nQUIT", "a\x00b", "\x7f"} {
		if _, _, err := crammd5.New(user, "s").Start(&auth.ServerInfo{}); !errors.Is(err, crammd5.ErrBadUsername) {
			t.Errorf("%q: Start error = %v", user, err)
		}
	}
}

func TestFormattingHidesSecret(t *testing.T) {
	a := crammd5.New("tim", "tanstaaftanstaaf")
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(verb, a); strings.Contains(s, "tanstaaf") {
			t.Errorf("%s shows the secret: %s", verb, s)
		}
	}
}

func ExampleNew() {
	a := crammd5.New("tim", "tanstaaftanstaaf")
	a.Start(&auth.ServerInfo{Name: "postoffice.reston.mci.net"})
	resp, _ := a.Next([]byte("<1896.697170952@postoffice.reston.mci.net>"), true)
	fmt.Println(string(resp))
	// Output: tim b913a602c7eda7a495b4e6e7334d3890
}
