package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	mail "github.com/wneessen/go-mail"
)

// GoMail is the name of the go-mail driver.
const GoMail = "go-mail"

// goMail drives github.com/wneessen/go-mail's Client. go-mail composes
// every message itself from a mail.Msg (Date, Message-ID, MIME headers),
// so Send turns each raw message into a Msg with the same X-Bench-*
// headers and body: its numbers include that composition. It sends all
// messages in one Client.Send call, which says NOOP once and RSET after
// each message.
type goMail struct{ c *mail.Client }

func openGoMail(conn net.Conn) (Sender, error) {
	c, err := mail.NewClient(host,
		mail.WithDialContextFunc(func(context.Context, string, string) (net.Conn, error) { return conn, nil }),
		mail.WithTLSPolicy(mail.NoTLS),
		mail.WithHELO("client."+Domain))
	if err == nil {
		err = c.DialWithContext(context.Background())
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("bench: %s: %w", GoMail, err)
	}
	return goMail{c}, nil
}

func (s goMail) Send(from string, to []string, msgs [][]byte) error {
	ms := make([]*mail.Msg, len(msgs))
	for i, raw := range msgs {
		m, err := toMsg(from, to, raw)
		if err != nil {
			return fmt.Errorf("bench: %s: %w", GoMail, err)
		}
		ms[i] = m
	}
	if err := s.c.Send(ms...); err != nil {
		return fmt.Errorf("bench: %s: %w", GoMail, err)
	}
	return nil
}

// toMsg copies a Message into a mail.Msg: envelope from the arguments,
// X-Bench-* and Subject headers from raw, body unencoded.
func toMsg(from string, to []string, raw []byte) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithEncoding(mail.NoEncoding))
	if err := m.From(from); err != nil {
		return nil, err
	}
	if err := m.To(to...); err != nil {
		return nil, err
	}
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		k, v, _ := bytes.Cut(line, []byte(": "))
		if bytes.HasPrefix(k, []byte("X-Bench-")) || string(k) == "Subject" {
			m.SetGenHeader(mail.Header(k), string(v))
		}
	}
	// A body writer, unlike SetBodyString, does not copy the body.
	m.SetBodyWriter(mail.TypeTextPlain, func(w io.Writer) (int64, error) {
		n, err := w.Write(body)
		return int64(n), err
	})
	return m, nil
}

func (s goMail) Close() error { return s.c.Close() }
