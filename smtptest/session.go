package smtptest

import (
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// errAuthRequired uses the reply code of RFC 4954 section 6; go-smtp's
// ErrAuthRequired answers 502 instead.
var errAuthRequired = &smtp.SMTPError{
	Code:         530,
	EnhancedCode: smtp.EnhancedCode{5, 7, 0},
	Message:      "Authentication required",
}

// errRefused answers a mechanism in Refuse504 with the reply of RFC 4954
// section 4 for an unsupported mechanism.
var errRefused = &smtp.SMTPError{
	Code:         504,
	EnhancedCode: smtp.EnhancedCode{5, 5, 4},
	Message:      "Unrecognized authentication type",
}

var errNoMailbox = &smtp.SMTPError{
	Code:         550,
	EnhancedCode: smtp.EnhancedCode{5, 1, 1},
	Message:      "Mailbox unavailable",
}

// session is one SMTP session. go-smtp starts a new one after STARTTLS, so
// authentication never carries over from plain text to TLS.
type session struct {
	srv  *Server
	conn *smtp.Conn

	mech, user string
	from       string
	to         []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// AuthMechanisms leaves out the -PLUS variants when the connection offers
// nothing to bind to, as servers do on a connection without TLS.
func (s *session) AuthMechanisms() []string {
	return slices.DeleteFunc(slices.Clone(s.srv.Mechanisms), func(m string) bool {
		return !s.offers(m)
	})
}

// offers reports whether the session advertises mech.
func (s *session) offers(mech string) bool {
	if !slices.Contains(s.srv.Mechanisms, mech) {
		return false
	}
	if !strings.HasSuffix(mech, "-PLUS") || slices.Contains(s.srv.Refuse504, mech) {
		return true
	}
	_, bound := s.channelBinding()
	return bound
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	newServer, ok := saslServers[mech]
	switch {
	case !s.offers(mech):
		return nil, smtp.ErrAuthUnknownMechanism
	case slices.Contains(s.srv.Refuse504, mech):
		return nil, errRefused
	case !ok:
		// Unreachable: Start checks Mechanisms.
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return newServer(&exchange{s: s, mech: mech}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.RequireAuth && s.user == "" {
		return errAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	local, _, _ := strings.Cut(to, "@")
	if strings.EqualFold(local, "reject") {
		return errNoMailbox
	}
	s.to = append(s.to, to)
	return nil
}

// Data needs no limit of its own: go-smtp's reader stops at MaxMessageBytes
// with ErrDataTooLarge, which is answered 552.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.deliver(Message{
		From: s.from,
		To:   slices.Clone(s.to),
		Data: data,
		Auth: s.mech,
		User: s.user,
		TLS:  isTLS,
	})
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error {
	return nil
}
