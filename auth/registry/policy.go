package registry

import (
	"net"
	"slices"
	"strings"

	"github.com/smtpauth/smtpauth/auth"
)

// Policy governs which mechanisms may be selected. The zero value is the
// safe default: cleartext-equivalent mechanisms only over TLS with a
// verified certificate or to a loopback server, every registered mechanism
// otherwise allowed, ranks decide, and a 535 refusal ends the attempt.
type Policy struct {
	// Allow, if not empty, lists the only mechanisms that may be used.
	Allow []string

	// Deny lists mechanisms that must not be used.
	Deny []string

	// MinRank excludes mechanisms ranked below it.
	MinRank int

	// Prefer orders the listed mechanisms before all others, in its order;
	// the rest follow by rank. Preference never overrides the other rules.
	Prefer []string

	// NoLoopbackException removes the exception that lets
	// cleartext-equivalent mechanisms run without TLS to a loopback server.
	NoLoopbackException bool

	// InsecureAllowCleartext lets cleartext-equivalent mechanisms run on
	// any connection, verified TLS or not. It exists for links the program
	// knows to be protected by other means (an SSH or WireGuard tunnel, a
	// Unix socket proxy); anywhere else it sends reusable secrets to
	// whoever can read or redirect the connection.
	InsecureAllowCleartext bool

	// RetryOnAuthFailure lets a 535 (credentials rejected) move on to the
	// next candidate. Off by default: the same credentials with a weaker
	// mechanism rarely succeed, and each try is a failed login on the
	// server, which may lock the account.
	RetryOnAuthFailure bool
}

func (p Policy) clone() Policy {
	p.Allow = slices.Clone(p.Allow)
	p.Deny = slices.Clone(p.Deny)
	p.Prefer = slices.Clone(p.Prefer)
	return p
}

// refuse returns why p excludes m on the connection described by server
// and conn, or "" if it does not.
func (p *Policy) refuse(m *Mechanism, server *auth.ServerInfo, conn auth.ConnState) string {
	switch {
	case len(p.Allow) > 0 && !containsFold(p.Allow, m.Name):
		return "not in the policy's allow list"
	case containsFold(p.Deny, m.Name):
		return "in the policy's deny list"
	case m.Rank < p.MinRank:
		return "below the policy's minimum rank"
	case m.ChannelBinding && conn.TLS == nil:
		return "needs TLS channel binding data, which this connection does not give"
	case m.Needs&NeedCertificate != 0 && conn.TLS == nil && !server.TLS:
		return "needs a TLS connection to present the client certificate"
	case m.CleartextEquivalent && !p.protected(server, conn):
		return "reveals a reusable secret: needs TLS with a verified certificate"
	}
	return ""
}

// protected reports whether a reusable secret may cross this connection.
func (p *Policy) protected(server *auth.ServerInfo, conn auth.ConnState) bool {
	if server.TLS || p.InsecureAllowCleartext {
		return true
	}
	if p.NoLoopbackException {
		return false
	}
	// The socket address is proof; the name is all net/smtp's client gives.
	if conn.RemoteAddr != nil {
		return isLoopback(conn.RemoteAddr)
	}
	return auth.IsLocalhost(server.Name)
}

func isLoopback(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

func containsFold(list []string, name string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
}
