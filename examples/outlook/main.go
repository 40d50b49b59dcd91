// Command outlook sends a message through Microsoft 365 (Exchange Online)
// with XOAUTH2, using an app-only token from golang.org/x/oauth2's client
// credentials flow against the Microsoft identity platform.
//
// The app registration needs the SMTP.SendAsApp permission and the mailbox
// SMTP AUTH enabled; the secret comes from the environment:
//
//	AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=... \
//	go run ./outlook -from mailbox@contoso.example -to someone@example.net
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/microsoft"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
)

func main() {
	from := flag.String("from", "", "mailbox to send as")
	to := flag.String("to", "", "recipient")
	flag.Parse()
	if *from == "" || *to == "" {
		log.Fatal("usage: outlook -from ADDRESS -to ADDRESS")
	}
	ctx := context.Background()
	cfg := clientcredentials.Config{
		ClientID:     os.Getenv("AZURE_CLIENT_ID"),
		ClientSecret: os.Getenv("AZURE_CLIENT_SECRET"),
		TokenURL:     microsoft.AzureADEndpoint(os.Getenv("AZURE_TENANT_ID")).TokenURL,
		Scopes:       []string{"https://outlook.office365.com/.default"},
	}
	// Exchange Online advertises LOGIN and XOAUTH2; with only a token
	// source, the registry can use only XOAUTH2.
	auth := registry.Default.Auth(registry.Credentials{Username: *from, TokenSource: cfg.TokenSource(ctx)})
	msg := "From: " + *from + "\r\nTo: " + *to + "\r\nSubject: sent with XOAUTH2\r\n\r\nHello from smtpauth.\r\n"
	if err := smtp.SendMailContext(ctx, "smtp.office365.com:587", auth, *from, []string{*to}, []byte(msg)); err != nil {
		log.Fatalf("%v\n%s", err, auth.Report())
	}
	log.Printf("sent with %s", auth.Report().Chosen())
}
