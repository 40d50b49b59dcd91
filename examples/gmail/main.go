// Command gmail sends a message through Gmail with XOAUTH2, using a token
// from golang.org/x/oauth2/google.
//
// It needs a service account key with domain-wide delegation for the
// https://mail.google.com/ scope (GOOGLE_APPLICATION_CREDENTIALS), or
// application default credentials for a user, and the address to send as:
//
//	go run ./gmail -from you@your-domain.example -to someone@example.net
//
// The registry picks XOAUTH2 (or OAUTHBEARER, which Gmail also offers) from
// Gmail's list because a token source is the only credential given, and
// only over the verified TLS connection to smtp.gmail.com.
package main

import (
	"context"
	"flag"
	"log"

	"golang.org/x/oauth2/google"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
)

func main() {
	from := flag.String("from", "", "Gmail or Workspace address to send as")
	to := flag.String("to", "", "recipient")
	flag.Parse()
	if *from == "" || *to == "" {
		log.Fatal("usage: gmail -from ADDRESS -to ADDRESS")
	}
	ctx := context.Background()

	creds, err := google.FindDefaultCredentials(ctx, "https://mail.google.com/")
	if err != nil {
		log.Fatal(err)
	}
	// A service account acts for the user through domain-wide delegation.
	ts := creds.TokenSource
	if cfg, err := google.JWTConfigFromJSON(creds.JSON, "https://mail.google.com/"); err == nil {
		cfg.Subject = *from
		ts = cfg.TokenSource(ctx)
	}

	auth := registry.Default.Auth(registry.Credentials{Username: *from, TokenSource: ts})
	msg := "From: " + *from + "\r\nTo: " + *to + "\r\nSubject: sent with XOAUTH2\r\n\r\nHello from smtpauth.\r\n"
	if err := smtp.SendMailContext(ctx, "smtp.gmail.com:587", auth, *from, []string{*to}, []byte(msg)); err != nil {
		log.Fatalf("%v\n%s", err, auth.Report())
	}
	log.Printf("sent with %s", auth.Report().Chosen())
}
