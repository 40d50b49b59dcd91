package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

const demoMessage = "From: Alice <user@example.com>\r\n" +
	"To: Bob <bob@example.net>\r\n" +
	"Subject: Hello from smtpauth\r\n" +
	"\r\n" +
	"This message crossed STARTTLS and AUTH on loopback.\r\n" +
	".A line starting with a dot arrives intact.\r\n"

// demo sends demoMessage to an in-process server and prints the exchange.
func demo(ctx context.Context, out io.Writer) error {
	srv := smtptest.NewServer()
	defer srv.Close()
	const user, password = "user@example.com", "password"

	fmt.Fprintf(out, "server: %s (%s), STARTTLS, AUTH %s\n\n", srv.Addr, srv.ServerName, strings.Join(srv.Mechanisms, " "))
	d := client.Dialer{
		ServerName: srv.ServerName,
		TLSConfig:  srv.ClientTLSConfig(),
		Logger:     slog.New(transcript{out}),
	}
	a := client.PlainAuth("", user, password, srv.ServerName)
	if err := d.SendMail(ctx, srv.Addr, a, user, []string{"bob@example.net"}, []byte(demoMessage)); err != nil {
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

// transcript is a slog.Handler that prints the client's trace events as an
// SMTP transcript: "C:" for lines sent, "S:" for lines received.
type transcript struct{ w io.Writer }

func (transcript) Enabled(context.Context, slog.Level) bool { return true }

func (t transcript) Handle(_ context.Context, r slog.Record) error {
	prefix := "S: "
	if r.Message == "send" {
		prefix = "C: "
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			fmt.Fprintf(t.w, "%s%s\n", prefix, a.Value.String())
		}
		return true
	})
	return nil
}

func (t transcript) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t transcript) WithGroup(string) slog.Handler      { return t }
