package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"

	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/client"
)

// errNoSTARTTLS reports a server that does not offer STARTTLS when --tls
// starttls asked for it. Continuing in plaintext would be the silent
// downgrade an attacker on the path provokes by removing the keyword.
var errNoSTARTTLS = errors.New("the server does not offer STARTTLS; not continuing without TLS (--tls none allows plaintext)")

// connect reads the TLS settings and credentials the flags name, dials
// o.addr, greets, and secures the connection as --tls says. The client's
// deadline is ctx's, so that --timeout bounds every wait.
func (o *options) connect(ctx context.Context, stderr io.Writer) (*client.Client, registry.Credentials, error) {
	cfg, cert, err := o.tlsConfig()
	if err != nil {
		return nil, registry.Credentials{}, err
	}
	creds, err := o.credentials(cert)
	if err != nil {
		return nil, registry.Credentials{}, err
	}
	c, err := o.dial(ctx, cfg, stderr)
	return c, creds, err
}

func (o *options) dial(ctx context.Context, cfg *tls.Config, stderr io.Writer) (*client.Client, error) {
	d := client.Dialer{
		ServerName:  o.serverName,
		TLSConfig:   cfg,
		ImplicitTLS: o.tlsMode == tlsImplicit,
	}
	if o.trace {
		d.Logger = slog.New(transcript{stderr})
	}
	c, err := d.DialContext(ctx, o.addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	// Hello now, rather than implicitly in Extension, to report its error.
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, err
	}
	if o.tlsMode == tlsStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Quit()
			return nil, errNoSTARTTLS
		}
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// tlsVersion describes the connection's TLS: "TLS 1.3", or "none".
func tlsVersion(c *client.Client) string {
	st, ok := c.TLSConnectionState()
	if !ok {
		return "none"
	}
	return tls.VersionName(st.Version)
}
