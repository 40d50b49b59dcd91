// Command autoselect sends a message with the mechanism the Default
// registry chooses, and prints why it chose it.
//
// With no flags it runs against an in-process smtptest server offering
// PLAIN, CRAM-MD5 and SCRAM; with -addr it sends to a real server, with the
// password read from the environment variable SMTP_PASSWORD.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

func main() {
	addr := flag.String("addr", "", "server host:port (default: an in-process test server)")
	user := flag.String("user", "user@example.com", "user name")
	from := flag.String("from", "user@example.com", "sender")
	to := flag.String("to", "bob@example.net", "recipient")
	flag.Parse()

	d := smtp.Dialer{}
	password := os.Getenv("SMTP_PASSWORD")
	if *addr == "" {
		srv := smtptest.NewUnstartedServer()
		srv.Mechanisms = []string{"PLAIN", "CRAM-MD5", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
		srv.Start()
		defer srv.Close()
		*addr, password = srv.Addr, srv.Users[*user]
		d.ServerName, d.TLSConfig = srv.ServerName, srv.ClientTLSConfig()
	}

	ctx := context.Background()
	c, err := d.DialContext(ctx, *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(d.TLSConfig); err != nil {
		log.Fatal(err)
	}
	sel := registry.Default.Auth(registry.Credentials{Username: *user, Password: password})
	err = c.Auth(sel)
	fmt.Print(sel.Report())
	if err != nil {
		log.Fatal(err)
	}
	msg := "Subject: chosen for me\r\n\r\nThe registry picked " + sel.Report().Chosen() + ".\r\n"
	if err := c.SendMail(*from, []string{*to}, strings.NewReader(msg)); err != nil {
		log.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent with", sel.Report().Chosen())
}
