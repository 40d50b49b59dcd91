package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/smtpauth/smtpauth/client"
)

// pipelinedDrivers returns the drivers for smtpauth's pipelining API:
// SendMail pipelines MAIL, RCPT and BDAT (or DATA) for one message when the
// server offers PIPELINING and CHUNKING; SendBatch sends many messages.
func pipelinedDrivers() []Driver {
	return []Driver{
		{SmtpauthPipelined, openSmtpauth(func(c *client.Client) Sender { return pipelined{c} })},
		{SmtpauthBatch, openSmtpauth(func(c *client.Client) Sender { return batch{c} })},
	}
}

func openSmtpauth(wrap func(*client.Client) Sender) func(net.Conn) (Sender, error) {
	return func(conn net.Conn) (Sender, error) {
		c, err := client.NewClient(conn, host)
		if err == nil {
			err = c.Hello("client." + Domain)
		}
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("bench: smtpauth: %w", err)
		}
		return wrap(c), nil
	}
}

type pipelined struct{ c *client.Client }

func (s pipelined) Send(from string, to []string, msgs [][]byte) error {
	for _, msg := range msgs {
		if err := s.c.SendMail(from, to, bytes.NewReader(msg)); err != nil {
			return fmt.Errorf("bench: %s: %w", SmtpauthPipelined, err)
		}
	}
	return nil
}

func (s pipelined) Close() error {
	err := s.c.Quit()
	s.c.Close()
	return err
}

type batch struct{ c *client.Client }

func (s batch) Send(from string, to []string, msgs [][]byte) error {
	out := make([]client.Outgoing, len(msgs))
	for i, msg := range msgs {
		out[i] = client.Outgoing{
			Envelope: client.Envelope{From: from, To: to, Size: int64(len(msg))},
			Body:     bytes.NewReader(msg),
		}
	}
	for i, res := range s.c.SendBatch(context.Background(), out) {
		if res.Err != nil || res.Status != client.Delivered {
			return fmt.Errorf("bench: %s: message %d: %v: %w", SmtpauthBatch, i, res.Status, res.Err)
		}
	}
	return nil
}

func (s batch) Close() error {
	err := s.c.Quit()
	s.c.Close()
	return err
}
