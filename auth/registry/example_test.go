package registry_test

import (
	"fmt"
	"log"
	"net"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
	client "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

func ExampleRegistry_Auth() {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = []string{"PLAIN", "CRAM-MD5", "SCRAM-SHA-256"}
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.NewClient(conn, srv.ServerName)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(srv.ClientTLSConfig()); err != nil {
		log.Fatal(err)
	}
	sel := registry.Default.Auth(registry.Credentials{Username: "user@example.com", Password: "password"})
	if err := c.Auth(sel); err != nil {
		log.Fatal(err)
	}
	for _, d := range sel.Report().Decisions[:3] {
		fmt.Printf("%s: %s (%s)\n", d.Name, d.Outcome, d.Reason)
	}
	// Output:
	// SCRAM-SHA-256: chosen (strongest usable)
	// CRAM-MD5: candidate (usable; next if the chosen one is refused)
	// PLAIN: candidate (usable; next if the chosen one is refused)
}

func ExampleRegistry_Select() {
	// Without TLS, a cleartext-equivalent mechanism is skipped, and says why.
	server := &auth.ServerInfo{Name: "mail.example.com", Auth: []string{"PLAIN", "LOGIN"}}
	conn := auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.ParseIP("192.0.2.25"), Port: 587}}
	rep := registry.Default.Select(registry.Credentials{Username: "u", Password: "p"}, server, conn)
	fmt.Printf("chosen: %q\n", rep.Chosen())
	for _, d := range rep.Decisions {
		if d.Advertised {
			fmt.Printf("%s: %s\n", d.Name, d.Reason)
		}
	}
	// Output:
	// chosen: ""
	// PLAIN: reveals a reusable secret: needs TLS with a verified certificate
	// LOGIN: reveals a reusable secret: needs TLS with a verified certificate
}

func ExampleRegistry_RegisterAuth() {
	reg := registry.New()
	err := reg.RegisterAuth("X-TOKEN", 40, true, registry.NeedPassword, func(c *registry.Credentials) auth.Auth {
		return nil // a constructor returning your smtp.Auth
	})
	fmt.Println(err, reg.Mechanisms()[0].Name)
	// Output: <nil> X-TOKEN
}
