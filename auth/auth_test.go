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
