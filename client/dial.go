package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Timeouts bounds each wait for the server. A zero or negative field takes
// the value RFC 5321 §4.5.3.2 recommends, so a silent server can delay a
// caller but never hang it.
type Timeouts struct {
	Greeting  time.Duration // connecting, TLS and the 220 greeting; §4.5.3.2.1: 5 min
	Command   time.Duration // each other command's reply, STARTTLS handshake included; §4.5.3.2.2-3: 5 min
	DataStart time.Duration // the 354 reply to DATA; §4.5.3.2.4: 2 min
	DataBlock time.Duration // each write of message data; §4.5.3.2.5: 3 min
	DataEnd   time.Duration // the reply to the final "."; §4.5.3.2.6: 10 min
}

func (t Timeouts) withDefaults() Timeouts {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	return Timeouts{
		Greeting:  or(t.Greeting, 5*time.Minute),
		Command:   or(t.Command, 5*time.Minute),
		DataStart: or(t.DataStart, 2*time.Minute),
		DataBlock: or(t.DataBlock, 3*time.Minute),
		DataEnd:   or(t.DataEnd, 10*time.Minute),
	}
}

// A Dialer holds options for connecting to an SMTP server. The zero value
// connects in plain TCP, as Dial does.
type Dialer struct {
	// NetDialer makes the TCP connection; nil means a zero net.Dialer.
	NetDialer *net.Dialer

	// TLSConfig configures TLS: implicit TLS when ImplicitTLS is set, and
	// STARTTLS in SendMail. Nil, or an empty ServerName, verifies the
	// certificate against the host in addr.
	TLSConfig *tls.Config

	// ImplicitTLS starts TLS before the greeting (RFC 8314 §3, usually
	// port 465) instead of upgrading with STARTTLS.
	ImplicitTLS bool

	// ServerName is the name the server is known by: the certificate is
	// verified for it and mechanisms see it as ServerInfo.Name. Empty
	// means the host in addr.
	ServerName string

	// LocalName is the name sent with EHLO; empty means "localhost".
	LocalName string

	// Timeouts and Logger become the Client's.
	Timeouts Timeouts
	Logger   *slog.Logger
}

// DialContext returns a new Client connected to an SMTP server at addr. The
// context bounds connecting, any implicit TLS handshake and the greeting;
// without a deadline, Timeouts.Greeting does.
func DialContext(ctx context.Context, addr string) (*Client, error) {
	return new(Dialer).DialContext(ctx, addr)
}

// DialTLS returns a new Client connected with implicit TLS (RFC 8314) to an
// SMTP server at addr, usually on port 465. A nil config, or one without
// ServerName, verifies the certificate against the host in addr.
func DialTLS(addr string, config *tls.Config) (*Client, error) {
	return DialTLSContext(context.Background(), addr, config)
}

// DialTLSContext is DialTLS bounded by ctx, as DialContext is.
func DialTLSContext(ctx context.Context, addr string, config *tls.Config) (*Client, error) {
	d := Dialer{TLSConfig: config, ImplicitTLS: true}
	return d.DialContext(ctx, addr)
}

// DialContext connects to addr as the Dialer's fields say.
func (d *Dialer) DialContext(ctx context.Context, addr string) (*Client, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	if d.ServerName != "" {
		host = d.ServerName
	}
	if d.LocalName != "" {
		if err := validateDomain(d.LocalName); err != nil {
			return nil, err
		}
	}
	t := d.Timeouts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, t.Greeting)
	defer cancel()
	nd := d.NetDialer
	if nd == nil {
		nd = new(net.Dialer)
	}
	conn, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	var config *tls.Config
	if d.ImplicitTLS {
		config = withServerName(d.TLSConfig, host)
		tc := tls.Client(conn, config)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("smtp: TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := newClient(ctx, conn, host, config, d.Timeouts, d.Logger)
	if err != nil {
		return nil, err
	}
	if d.LocalName != "" {
		c.localName = d.LocalName
	}
	return c, nil
}

// withServerName returns config, or a copy of it, that verifies the
// certificate against host unless the caller chose another name.
func withServerName(config *tls.Config, host string) *tls.Config {
	if config == nil {
		return &tls.Config{ServerName: host}
	}
	if config.ServerName == "" {
		config = config.Clone()
		config.ServerName = host
	}
	return config
}
