package auth_test

import (
	"fmt"
	"net/smtp"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
)

func TestIsLocalhost(t *testing.T) {
	for name, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "::1": true,
		"localhost.example.com": false, "127.0.0.2": false, "": false, "LOCALHOST": false,
	} {
		if got := auth.IsLocalhost(name); got != want {
			t.Errorf("IsLocalhost(%q) = %v, want %v", name, got, want)
		}
	}
}

// The aliases make the standard library's mechanisms ours and ours theirs.
func ExampleAuth() {
	var a auth.Auth = smtp.CRAMMD5Auth("tim", "tanstaaftanstaaf")
	var info *smtp.ServerInfo = &auth.ServerInfo{Name: "mail.example.com"}
	mech, _, _ := a.Start(info)
	fmt.Println(mech)
	// Output: CRAM-MD5
}

func TestCanonicalMechanism(t *testing.T) {
	for in, want := range map[string]string{
		"PLAIN": "PLAIN", "plain": "PLAIN", "Scram-Sha-256-Plus": "SCRAM-SHA-256-PLUS", "X_TOKEN": "X_TOKEN",
		"AAAAAAAAAAAAAAAAAAAA": "AAAAAAAAAAAAAAAAAAAA",
		// Not names: the zero value and false.
		"": "", "AAAAAAAAAAAAAAAAAAAAA": "", "PL@IN": "", "PLAIN ": "", "PLA\x00IN": "",
		"plaın": "", "ſcram-ſha-256": "", "PL\u00c4IN": "",
	} {
		got, ok := auth.CanonicalMechanism(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalMechanism(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
