package ntlm_test

import (
	"encoding/base64"
	"fmt"
	"net/smtp"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/ntlm"
)

// The same value works with the standard library's client.
var _ smtp.Auth = ntlm.New("", "", "")

func ExampleNew() {
	a := ntlm.New("", `EXAMPLE\alice`, "password")

	// "AUTH NTLM <NEGOTIATE_MESSAGE>"
	mech, negotiate, err := a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: true})
	fmt.Println(mech, base64.StdEncoding.EncodeToString(negotiate), err)

	// "334 <CHALLENGE_MESSAGE>", here the one of [MS-NLMP] §4.2.4.3.
	challenge, _ := base64.StdEncoding.DecodeString("TlRMTVNTUAACAAAAAwAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA=")
	authenticate, err := a.Next(challenge, true)
	fmt.Printf("%q type %d, %v\n", authenticate[:7], authenticate[8], err)

	// Without TLS, nothing is sent.
	_, _, err = a.Start(&auth.ServerInfo{Name: "mail.example.com"})
	fmt.Println(err)
	// Output:
	// NTLM TlRMTVNTUAABAAAABYKIoAAAAAAAAAAAAAAAAAAAAAA= <nil>
	// "NTLMSSP" type 3, <nil>
	// unencrypted connection
}
