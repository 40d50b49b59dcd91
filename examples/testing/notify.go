// Package testing shows how an application tests its mail code with
// smtptest, the way net/http code is tested with httptest.
package testing

import (
	"context"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
	smtp "github.com/smtpauth/smtpauth/client"
)

// Notifier sends notifications through an SMTP submission server.
type Notifier struct {
	Dialer smtp.Dialer
	Addr   string
	Creds  registry.Credentials
	From   string
}

// Notify mails text to the recipient, authenticating with the strongest
// mechanism the server offers.
func (n *Notifier) Notify(ctx context.Context, to, subject, text string) error {
	c, err := n.Dialer.DialContext(ctx, n.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.StartTLS(n.Dialer.TLSConfig); err != nil {
		return err
	}
	if err := c.Auth(registry.Default.Auth(n.Creds)); err != nil {
		return err
	}
	msg := "From: " + n.From + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + text + "\r\n"
	if _, err := c.Send(ctx, &smtp.Envelope{From: n.From, To: []string{to}}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}
