package client

import (
	"context"
	"errors"
)

// SendMail connects to the server at addr, switches to TLS if
// possible, authenticates with the optional mechanism a if possible,
// and then sends an email from address from, to addresses to, with
// message msg.
// The addr must include a port, as in "mail.example.com:smtp".
//
// The addresses in the to parameter are the SMTP RCPT addresses.
//
// The msg parameter should be an RFC 822-style email with headers
// first, a blank line, and then the message body. The lines of msg
// should be CRLF terminated; bare CR and LF are sent as CRLF. The msg
// headers should usually include fields such as "From", "To", "Subject",
// and "Cc". Sending "Bcc" messages is accomplished by including an email
// address in the to parameter but not including it in the msg headers.
//
// If the server offers STARTTLS and the upgrade fails, SendMail returns the
// error: it never falls back to plaintext after trying TLS.
func SendMail(addr string, a Auth, from string, to []string, msg []byte) error {
	return new(Dialer).SendMail(context.Background(), addr, a, from, to, msg)
}

// SendMailContext is SendMail bounded by ctx: cancelling it, or reaching
// its deadline, ends the exchange and closes the connection.
func SendMailContext(ctx context.Context, addr string, a Auth, from string, to []string, msg []byte) error {
	return new(Dialer).SendMail(ctx, addr, a, from, to, msg)
}

// SendMail is the package's SendMail with the Dialer's options; the
// Dialer's TLSConfig is used for STARTTLS.
func (d *Dialer) SendMail(ctx context.Context, addr string, a Auth, from string, to []string, msg []byte) error {
	if err := validateAddress(from, true); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := validateAddress(rcpt, false); err != nil {
			return err
		}
	}
	c, err := d.DialContext(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.bind(ctx)()
	if err := c.hello(); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !d.ImplicitTLS {
		if err := c.StartTLS(d.TLSConfig); err != nil {
			return err
		}
	}
	if a != nil && c.ext != nil {
		if _, ok := c.ext["AUTH"]; !ok {
			return errors.New("smtp: server doesn't support AUTH")
		}
		if err := c.Auth(a); err != nil {
			return err
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
