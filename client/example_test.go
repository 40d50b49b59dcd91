package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/textproto"

	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

func ExampleDialer_SendMail() {
	srv := smtptest.NewServer()
	defer srv.Close()

	d := smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
	auth := smtp.PlainAuth("", "user@example.com", "password", srv.ServerName)
	msg := []byte("Subject: hello\r\n\r\nHello, world.\r\n")
	if err := d.SendMail(context.Background(), srv.Addr, auth, "user@example.com", []string{"bob@example.net"}, msg); err != nil {
		log.Fatal(err)
	}
	m := srv.Messages()[0]
	fmt.Printf("%s -> %v over TLS=%v with %s: %q\n", m.From, m.To, m.TLS, m.Auth, m.Data)
	// Output: user@example.com -> [bob@example.net] over TLS=true with PLAIN: "Subject: hello\r\n\r\nHello, world.\r\n"
}

func ExampleError() {
	srv := smtptest.NewServer()
	defer srv.Close()

	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Mail("user@example.com")
	err = c.Rcpt("reject@example.net")

	var serr *smtp.Error
	if errors.As(err, &serr) {
		fmt.Println(serr.Code, serr.EnhancedCode, serr.Temporary())
	}
	// Code written for net/smtp finds the same reply as a *textproto.Error.
	var tperr *textproto.Error
	fmt.Println(errors.As(err, &tperr), tperr.Code)
	// Output:
	// 550 5.1.1 false
	// true 550
}
