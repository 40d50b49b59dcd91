package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"slices"

	"github.com/smtpauth/smtpauth/auth"
)

// A Selector is an auth.Auth that chooses its mechanism in Start, from the
// ServerInfo it is given. Use one Selector per authentication.
type Selector struct {
	reg     *Registry
	creds   Credentials
	policy  Policy
	conn    auth.ConnState
	server  auth.ServerInfo // from the first Start
	report  *Report
	queue   []Mechanism // candidates not yet tried, in order
	current auth.Auth
	mech    Mechanism // of current
}

// Auth returns a Selector that authenticates with creds under the
// registry's policy, choosing when the exchange starts.
func (r *Registry) Auth(creds Credentials) *Selector {
	return &Selector{reg: r, creds: creds}
}

// Report returns the explanation of the selection so far, or nil before
// Start. With smtpauth's client it is complete once Auth returns.
func (s *Selector) Report() *Report { return s.report }

// SetConnState implements auth.ConnStateAuth: smtpauth's client gives the
// TLS state (for -PLUS mechanisms) and the server's socket address (for
// the loopback rule).
func (s *Selector) SetConnState(cs auth.ConnState) {
	s.conn = cs
	if ca, ok := s.current.(auth.ConnStateAuth); ok {
		ca.SetConnState(cs)
	}
}

// Start selects on the first call and starts the chosen mechanism; after a
// Retry that returned true it starts the mechanism Retry moved to.
func (s *Selector) Start(server *auth.ServerInfo) (string, []byte, error) {
	if s.report == nil {
		s.server = *server
		mechs := s.reg.Mechanisms()
		s.policy = s.reg.Policy()
		s.report = selectMechanisms(mechs, &s.policy, &s.creds, server, s.conn)
		for _, d := range s.report.Decisions {
			if d.Outcome == Chosen || d.Outcome == Candidate {
				s.queue = append(s.queue, mechanismNamed(mechs, d.Name))
			}
			s.log(d)
		}
		if err := s.advance(); err != nil {
			return "", nil, err
		}
	}
	if s.current == nil {
		return "", nil, s.report.errNoMechanism()
	}
	if ca, ok := s.current.(auth.ConnStateAuth); ok {
		ca.SetConnState(s.conn)
	}
	if s.mech.CleartextEquivalent && s.policy.protected(server, s.conn) {
		// The policy has judged this connection safe for the secret (by
		// socket address, or a tunnel the caller vouched for); the
		// mechanism's own check knows only ServerInfo, so it is told.
		vouched := *server
		vouched.TLS = true
		server = &vouched
	}
	return s.current.Start(server)
}

// advance moves to the next candidate, marking it chosen.
func (s *Selector) advance() error {
	s.current, s.mech = nil, Mechanism{}
	if len(s.queue) == 0 {
		return nil
	}
	m := s.queue[0]
	s.queue = s.queue[1:]
	a, err := m.New(&s.creds, &s.server)
	if err != nil {
		return fmt.Errorf("registry: %s: %w", m.Name, err)
	}
	s.current, s.mech = a, m
	d := s.report.find(m.Name)
	if d.Outcome == Candidate {
		d.Outcome, d.Reason = Chosen, "next usable after a refusal"
		s.log(*d)
	}
	return nil
}

// Next continues the chosen mechanism's exchange.
func (s *Selector) Next(fromServer []byte, more bool) ([]byte, error) {
	if s.current == nil {
		return nil, errors.New("registry: Next before Start")
	}
	return s.current.Next(fromServer, more)
}

// Retry implements auth.Retrier. It is called with the server's refusal of
// the current mechanism and decides whether to try again on the same
// connection:
//   - the mechanism itself may retry once if it implements auth.Retrier
//     (XOAUTH2 and OAUTHBEARER, with a fresh token);
//   - 504 (mechanism unknown, RFC 4954 §6) moves to the next candidate;
//   - 534 (mechanism too weak, RFC 4954 §6) moves only to a candidate ranked
//     above the refused one (possible when Policy.Prefer put a weaker one
//     first): a weaker one would be refused the same way;
//   - 535 (credentials invalid) moves on only if the policy's
//     RetryOnAuthFailure is set;
//   - anything else, 4xx and 421 included, stops.
//
// Every refusal is recorded in the Report. Candidates are all within the
// policy: a fallback never goes below it.
func (s *Selector) Retry(refusal error) bool {
	if s.current == nil {
		return false
	}
	d := s.report.find(s.mech.Name)
	if r, ok := s.current.(auth.Retrier); ok && r.Retry(refusal) {
		d.Reason = "retrying after: " + refusal.Error()
		s.log(*d)
		return true
	}
	d.Outcome, d.Reason = Tried, "refused: "+refusal.Error()
	s.log(*d)
	var tp *textproto.Error
	if !errors.As(refusal, &tp) {
		return false
	}
	switch {
	case tp.Code == 504:
	case tp.Code == 534:
		refused := s.mech.Rank
		s.queue = slices.DeleteFunc(s.queue, func(m Mechanism) bool { return m.Rank <= refused })
	case tp.Code == 535 && s.policy.RetryOnAuthFailure:
	default:
		return false
	}
	return s.advance() == nil && s.current != nil
}

// log records a decision in the client's trace, when there is one.
func (s *Selector) log(d Decision) {
	if s.conn.Logger == nil {
		return
	}
	s.conn.Logger.LogAttrs(context.Background(), slog.LevelDebug, "auth selection",
		slog.String("mechanism", d.Name), slog.String("outcome", string(d.Outcome)), slog.String("reason", d.Reason))
}

func mechanismNamed(mechs []Mechanism, name string) Mechanism {
	for _, m := range mechs {
		if m.Name == name {
			return m
		}
	}
	return Mechanism{}
}

// String describes the selector without its credentials.
func (s *Selector) String() string {
	if s.current == nil {
		return "registry.Selector"
	}
	return "registry.Selector(" + s.mech.Name + ")"
}

// GoString hides the credentials from %#v.
func (s *Selector) GoString() string { return s.String() }
