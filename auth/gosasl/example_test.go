package gosasl_test

import (
	"fmt"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/gosasl"
	"github.com/smtpauth/smtpauth/auth/plain"
)

// ExampleFromSASL runs go-sasl's EXTERNAL client as an auth.Auth, the way
// smtpauth's client drives it: the empty initial response is not sent, and
// the server's empty challenge gets it.
func ExampleFromSASL() {
	a := gosasl.FromSASL(sasl.NewExternalClient(""))
	mech, ir, _ := a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: true})
	fmt.Printf("AUTH %s, initial response %q\n", mech, ir)
	resp, err := a.Next([]byte{}, true) // 334 with an empty challenge
	fmt.Printf("response %q %v\n", resp, err)
	// Output:
	// AUTH EXTERNAL, initial response ""
	// response "" <nil>
}

// ExampleToSASL runs smtpauth's PLAIN against go-sasl's PLAIN server, as
// go-smtp's client would. The ServerInfo is what PLAIN's policy sees.
func ExampleToSASL() {
	c := gosasl.ToSASL(plain.New("", "tim", "tanstaaftanstaaf", "mail.example.com"),
		&auth.ServerInfo{Name: "mail.example.com", TLS: true})
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
		fmt.Printf("server: %q %q %q\n", identity, username, password)
		return nil
	})
	mech, ir, err := c.Start()
	fmt.Println(mech, err)
	_, done, err := srv.Next(ir)
	fmt.Println(done, err)

	_, _, err = gosasl.ToSASL(plain.New("", "tim", "tanstaaftanstaaf", "mail.example.com"),
		&auth.ServerInfo{Name: "mail.example.com"}).Start()
	fmt.Println(err)
	// Output:
	// PLAIN <nil>
	// server: "" "tim" "tanstaaftanstaaf"
	// true <nil>
	// gosasl: unencrypted connection
}

func ExampleAnonymous() {
	a := gosasl.Anonymous("sirhc")
	mech, ir, err := a.Start(&auth.ServerInfo{Name: "mail.example.com"})
	fmt.Printf("%s %q %v\n", mech, ir, err)
	_, _, err = gosasl.Anonymous("two\r\nlines").Start(&auth.ServerInfo{})
	fmt.Println(err)
	// Output:
	// ANONYMOUS "sirhc" <nil>
	// gosasl: ANONYMOUS trace is not valid RFC 4505 trace information
}

func ExampleExternal() {
	a := gosasl.External("fred@example.com")
	mech, ir, err := a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: true})
	fmt.Printf("%s %q %v\n", mech, ir, err)
	// Output: EXTERNAL "fred@example.com" <nil>
}
