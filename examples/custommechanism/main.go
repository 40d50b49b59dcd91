// Command custommechanism registers a mechanism written for the standard
// library's net/smtp (the LOGIN implementation found in countless Go
// projects) in a registry, and lets the registry use it.
//
// Because smtpauth's Auth is net/smtp's Auth, nothing needs adapting: one
// RegisterAuth call, with a name, a rank, whether it reveals a reusable
// secret, and which credentials it needs.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/smtp"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
	client "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

// loginAuth is a typical net/smtp LOGIN mechanism, as written before
// smtpauth existed.
type loginAuth struct{ username, password string }

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimRight(string(fromServer), ":\x00")) {
	case "username", "user name":
		return []byte(a.username), nil
	case "password":
		return []byte(a.password), nil
	}
	return nil, errors.New("unexpected server challenge")
}

func main() {
	// A server that offers nothing but LOGIN, like Office 365.
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = []string{"LOGIN"}
	srv.Start()
	defer srv.Close()

	reg := registry.Default.Clone()
	// Cleartext-equivalent: the policy keeps it to verified TLS.
	err := reg.RegisterAuth("LOGIN", registry.RankLOGIN, true, registry.NeedPassword,
		func(c *registry.Credentials) smtp.Auth { return &loginAuth{c.Username, c.Password} })
	if err != nil {
		log.Fatal(err)
	}

	d := client.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
	c, err := d.DialContext(context.Background(), srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(d.TLSConfig); err != nil {
		log.Fatal(err)
	}
	sel := reg.Auth(registry.Credentials{Username: "user@example.com", Password: srv.Users["user@example.com"]})
	if err := c.Auth(sel); err != nil {
		log.Fatalf("%v\n%s", err, sel.Report())
	}
	fmt.Print(sel.Report())
	fmt.Println("authenticated with the custom", sel.Report().Chosen())
}
