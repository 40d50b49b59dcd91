// Command netsmtp uses smtpauth's mechanisms with the standard library's
// net/smtp client, unchanged: SCRAM-SHA-256 here, which net/smtp lacks.
package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net/smtp"
	"strings"

	"github.com/smtpauth/smtpauth/auth/scram"
	"github.com/smtpauth/smtpauth/smtptest"
)

func main() {
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = []string{"SCRAM-SHA-256"}
	srv.Start()
	defer srv.Close()

	a, err := scram.New("SCRAM-SHA-256", scram.Config{Username: "user@example.com", Password: srv.Users["user@example.com"]})
	if err != nil {
		log.Fatal(err)
	}
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: srv.ServerName, RootCAs: srv.ClientTLSConfig().RootCAs}); err != nil {
		log.Fatal(err)
	}
	if err := c.Auth(a); err != nil {
		log.Fatal(err)
	}
	if err := c.Mail("user@example.com"); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt("bob@example.net"); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	strings.NewReader("Subject: hi\r\n\r\nSCRAM through net/smtp.\r\n").WriteTo(w)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		log.Fatal(err)
	}
	m := srv.Messages()[0]
	fmt.Printf("net/smtp authenticated as %s with %s\n", m.User, m.Auth)
}
