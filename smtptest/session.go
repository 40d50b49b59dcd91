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

func (s *session) AuthMechanisms() []string {
	return slices.Clone(s.srv.Mechanisms)
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	newServer, ok := saslServers[mech]
	if !ok || !slices.Contains(s.srv.Mechanisms, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return newServer(s.srv.ServerName, func(user string, verify func(password string) bool) error {
		password, ok := s.srv.Users[user]
		if !ok || !verify(password) {
			// An *smtp.SMTPError, so that go-smtp answers 535 and not 454.
			return smtp.ErrAuthFailed
		}
		s.mech, s.user = mech, user
		return nil
	}), nil
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
