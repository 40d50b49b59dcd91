package bench

import (
	"fmt"
	"io"
	"net"
	netsmtp "net/smtp"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/smtpauth/smtpauth/client"
)

// A Sender sends messages over the one connection its Driver set up.
type Sender interface {
	// Send sends every message in msgs from from to to, and returns the
	// first error.
	Send(from string, to []string, msgs [][]byte) error
	// Close says QUIT and closes the connection.
	Close() error
}

// A Driver is one client under test.
type Driver struct {
	Name string
	// Open reads the greeting and says EHLO on conn: the setup that is
	// not timed.
	Open func(conn net.Conn) (Sender, error)
}

// Names of the drivers, for flags and tables.
const (
	NetSMTP           = "net/smtp"
	GoSMTP            = "go-smtp"
	SmtpauthLockstep  = "smtpauth lock-step"
	SmtpauthPipelined = "smtpauth pipelined"
	SmtpauthBatch     = "smtpauth batch"
)

// Drivers returns every driver built into this binary, net/smtp first.
func Drivers() []Driver {
	return append([]Driver{
		{NetSMTP, openNetSMTP},
		{GoSMTP, openGoSMTP},
		{GoMail, openGoMail},
		{SmtpauthLockstep, openLockstep},
	}, pipelinedDrivers()...)
}

// host is the server name given to clients that want one; no TLS or AUTH
// is used, so it only has to be accepted.
const host = "127.0.0.1"

// lockstepClient is the net/smtp API, which smtpauth's client keeps.
type lockstepClient interface {
	Hello(localName string) error
	Mail(from string) error
	Rcpt(to string) error
	Data() (io.WriteCloser, error)
	Quit() error
	Close() error
}

type lockstep struct {
	name string
	c    lockstepClient
}

func openNetSMTP(conn net.Conn) (Sender, error) {
	c, err := netsmtp.NewClient(conn, host)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", NetSMTP, err)
	}
	return hello(NetSMTP, c)
}

func openLockstep(conn net.Conn) (Sender, error) {
	c, err := client.NewClient(conn, host)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", SmtpauthLockstep, err)
	}
	return hello(SmtpauthLockstep, c)
}

func hello(name string, c lockstepClient) (Sender, error) {
	if err := c.Hello("client." + Domain); err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: %s: %w", name, err)
	}
	return &lockstep{name, c}, nil
}

func (s *lockstep) Send(from string, to []string, msgs [][]byte) error {
	for _, msg := range msgs {
		if err := s.send(from, to, msg); err != nil {
			return fmt.Errorf("bench: %s: %w", s.name, err)
		}
	}
	return nil
}

func (s *lockstep) send(from string, to []string, msg []byte) error {
	if err := s.c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := s.c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := s.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (s *lockstep) Close() error {
	err := s.c.Quit()
	s.c.Close()
	return err
}

type goSMTP struct{ c *gosmtp.Client }

func openGoSMTP(conn net.Conn) (Sender, error) {
	c := gosmtp.NewClient(conn)
	if err := c.Hello("client." + Domain); err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: %s: %w", GoSMTP, err)
	}
	return goSMTP{c}, nil
}

func (s goSMTP) Send(from string, to []string, msgs [][]byte) error {
	for _, msg := range msgs {
		if err := s.send(from, to, msg); err != nil {
			return fmt.Errorf("bench: %s: %w", GoSMTP, err)
		}
	}
	return nil
}

func (s goSMTP) send(from string, to []string, msg []byte) error {
	if err := s.c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := s.c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := s.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

func (s goSMTP) Close() error {
	err := s.c.Quit()
	s.c.Close()
	return err
}
