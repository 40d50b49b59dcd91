package smtptest_test

import (
	"fmt"
	"log"
	"net/smtp"

	"github.com/smtpauth/smtpauth/smtptest"
)

func ExampleNewServer() {
	s := smtptest.NewServer()
	defer s.Close()

	c, err := smtp.Dial(s.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(s.ClientTLSConfig()); err != nil {
		log.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", "user@example.com", "password", "127.0.0.1")); err != nil {
		log.Fatal(err)
	}
	if err := c.Mail("alice@example.com"); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt("bob@example.com"); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(w, "Subject: hello\r\n\r\nHi Bob.\r\n")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		log.Fatal(err)
	}

	for _, m := range s.Messages() {
		fmt.Println(m.From, m.To, m.Auth, m.TLS)
	}
	// Output: alice@example.com [bob@example.com] PLAIN true
}
