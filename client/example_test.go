package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/textproto"
	"strings"

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

func ExampleClient_Send() {
	srv := smtptest.NewServer()
	defer srv.Close()
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// go-smtp's server offers PIPELINING and CHUNKING: MAIL, both RCPTs
	// and BDAT with the message go in one round trip.
	env := &smtp.Envelope{From: "app@example.com", To: []string{"ops@example.net", "reject@example.net"}}
	res, err := c.Send(context.Background(), env, strings.NewReader("Subject: disk\r\n\r\n98% full\r\n"))
	fmt.Println(errors.Is(err, smtp.ErrRecipientsRefused))
	fmt.Println("accepted:", res.Accepted)
	for _, r := range res.Refused {
		fmt.Println("refused:", r.Addr, r.Err.Code, r.Err.EnhancedCode)
	}
	// Output:
	// true
	// accepted: [ops@example.net]
	// refused: reject@example.net 550 5.1.1
}

func ExampleClient_SendBatch() {
	srv := smtptest.NewServer()
	defer srv.Close()
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var msgs []smtp.Outgoing
	for _, to := range []string{"a@example.net", "reject@example.net", "b@example.net"} {
		msgs = append(msgs, smtp.Outgoing{
			Envelope: smtp.Envelope{From: "app@example.com", To: []string{to}},
			Body:     strings.NewReader("Subject: hello\r\n\r\nhi\r\n"),
		})
	}
	for i, r := range c.SendBatch(context.Background(), msgs) {
		fmt.Println(i, r.Status)
	}
	// Output:
	// 0 delivered
	// 1 refused
	// 2 delivered
}
