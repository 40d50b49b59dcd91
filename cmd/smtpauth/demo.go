package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

const demoMessage = "From: Alice <user@example.com>\r\n" +
	"To: Bob <bob@example.net>\r\n" +
	"Subject: Hello from smtpauth\r\n" +
	"\r\n" +
	"This message crossed STARTTLS and AUTH on loopback.\r\n" +
	".A line starting with a dot arrives intact.\r\n"

// The demo server's user; smtptest accepts it by default.
const demoUser, demoPassword = "user@example.com", "password"

// demo sends demoMessage to an in-process server, letting registry.Default
// choose the mechanism, and prints the exchange.
func demo(ctx context.Context, out io.Writer) error {
	srv := smtptest.NewServer()
	defer srv.Close()

	fmt.Fprintf(out, "server: %s (%s), STARTTLS, AUTH %s\n\n", srv.Addr, srv.ServerName, strings.Join(srv.Mechanisms, " "))
	d := client.Dialer{
		ServerName: srv.ServerName,
		TLSConfig:  srv.ClientTLSConfig(),
		Logger:     slog.New(transcript{out}),
	}
	sel := registry.Default.Auth(registry.Credentials{Username: demoUser, Password: demoPassword})
	err := d.SendMail(ctx, srv.Addr, sel, demoUser, []string{"bob@example.net"}, []byte(demoMessage))
	if r := sel.Report(); r != nil {
		fmt.Fprintln(out, "\nselection by registry.Default (strongest usable first):")
		writeReport(out, r, true)
	}
	if err != nil {
		return err
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		return fmt.Errorf("server recorded %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	fmt.Fprintf(out, "\nserver received, over TLS=%v, authenticated as %s with %s:\n", m.TLS, m.User, m.Auth)
	fmt.Fprintf(out, "  MAIL FROM:<%s>\n  RCPT TO:%v\n", m.From, m.To)
	for _, line := range strings.SplitAfter(string(m.Data), "\r\n") {
		if line != "" {
			fmt.Fprintf(out, "  | %s\n", strings.TrimSuffix(line, "\r\n"))
		}
	}
	return nil
}
