// Package registry chooses an SMTP authentication mechanism at run time.
//
// A [Registry] holds mechanisms, each with a name, a rank, whether it is
// cleartext-equivalent (it reveals a reusable secret to the server and to
// anyone who can read the connection), and the credentials it needs.
// Selection is
//
//	advertised ∩ registered ∩ allowed by the Policy ∩ usable with the Credentials
//
// and then the highest rank, or the caller's preference order. It is
// deterministic and explained: a [Report] says, for every advertised and
// every registered mechanism, whether it was chosen, skipped (and why), or
// tried. [Registry.Auth] returns an auth.Auth that selects lazily in Start,
// so it works with smtpauth's client and with net/smtp's:
//
//	sel := registry.Default.Auth(registry.Credentials{Username: u, Password: p})
//	err := c.Auth(sel)
//	fmt.Println(sel.Report())
//
// With smtpauth's client the selection can also fall back, on the same
// connection, to the next candidate when the server refuses one; see
// [Selector.Retry] for the rules.
package registry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
)

// Errors callers can branch on with errors.Is.
var (
	// ErrNoMechanism reports that no registered mechanism is advertised,
	// allowed and usable with the credentials; the Report says why each
	// was skipped.
	ErrNoMechanism = errors.New("registry: no usable mechanism")

	// ErrInvalidMechanism reports a registration without a valid name
	// (RFC 4422 §3.1: 1 to 20 of A-Z, 0-9, '-', '_') or constructor.
	ErrInvalidMechanism = errors.New("registry: invalid mechanism")
)

// Need is a set of kinds of credentials a mechanism needs.
type Need uint8

// The kinds of credentials.
const (
	NeedPassword    Need = 1 << iota // Credentials.Username and Password
	NeedToken                        // Credentials.TokenSource
	NeedCertificate                  // Credentials.Certificate, presented in the TLS handshake
	NeedNothing                      // Credentials.Anonymous
)

// Credentials are what a caller can authenticate with; the registry only
// considers mechanisms these can serve.
type Credentials struct {
	// Identity is the authorization identity, to act as another user.
	// Usually empty: act as Username.
	Identity string

	Username string
	Password string

	// TokenSource supplies OAuth 2.0 bearer tokens for XOAUTH2 and
	// OAUTHBEARER.
	TokenSource oauth2.TokenSource

	// Certificate is the client certificate the caller configured for the
	// TLS connection; non-nil makes EXTERNAL usable on TLS connections.
	Certificate *tls.Certificate

	// Anonymous allows ANONYMOUS (RFC 4505), with Username as its trace.
	Anonymous bool

	// Host, if set, is the only server name these credentials may be sent
	// to: a server presenting another name gets nothing.
	Host string
}

// has reports whether c holds every kind of credential in n.
func (c *Credentials) has(n Need) bool {
	return (n&NeedPassword == 0 || c.Username != "" && c.Password != "") &&
		(n&NeedToken == 0 || c.TokenSource != nil) &&
		(n&NeedCertificate == 0 || c.Certificate != nil) &&
		(n&NeedNothing == 0 || c.Anonymous)
}

// Mechanism describes a mechanism to a Registry.
type Mechanism struct {
	// Name is the SASL name, as servers advertise it.
	Name string

	// Rank orders mechanisms: the highest usable one wins. The built-in
	// ranks are in docs/mechanisms.md.
	Rank int

	// CleartextEquivalent marks a mechanism that reveals a reusable secret
	// (a password, a bearer token) to whoever can read the exchange. The
	// Policy decides where such a mechanism may run.
	CleartextEquivalent bool

	// ChannelBinding marks a -PLUS mechanism, usable only on TLS with the
	// connection's state available.
	ChannelBinding bool

	// Needs says which credentials the mechanism uses.
	Needs Need

	// New returns the mechanism for one authentication with creds, toward
	// the server described by server.
	New func(creds *Credentials, server *auth.ServerInfo) (auth.Auth, error)
}

// A Registry is a set of mechanisms and the Policy that governs selection
// among them. It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	mechs  map[string]Mechanism
	policy Policy
}

// New returns an empty Registry with the default Policy.
func New() *Registry {
	return &Registry{mechs: make(map[string]Mechanism)}
}

// Default is the registry of every built-in mechanism, with the default
// Policy. Changing it changes selection for the whole program; prefer a
// Clone.
var Default = newDefault()

// Register adds m, replacing any mechanism of the same name.
func (r *Registry) Register(m Mechanism) error {
	name, ok := auth.CanonicalMechanism(m.Name)
	if !ok || m.New == nil {
		return fmt.Errorf("%w: %q", ErrInvalidMechanism, m.Name)
	}
	m.Name = name
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mechs[m.Name] = m
	return nil
}

// RegisterAuth registers a mechanism built from any auth.Auth, such as a
// LOGIN written for net/smtp. newAuth is called once per authentication.
func (r *Registry) RegisterAuth(name string, rank int, cleartextEquivalent bool, needs Need, newAuth func(*Credentials) auth.Auth) error {
	if newAuth == nil {
		return fmt.Errorf("%w: %q has no constructor", ErrInvalidMechanism, name)
	}
	return r.Register(Mechanism{
		Name: name, Rank: rank, CleartextEquivalent: cleartextEquivalent, Needs: needs,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) { return newAuth(c), nil },
	})
}

// Unregister removes the mechanism called name, if any.
func (r *Registry) Unregister(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name, ok := auth.CanonicalMechanism(name); ok {
		delete(r.mechs, name)
	}
}

// Mechanisms returns the registered mechanisms, highest rank first, ties
// broken by name.
func (r *Registry) Mechanisms() []Mechanism {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ms := make([]Mechanism, 0, len(r.mechs))
	for _, m := range r.mechs {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Mechanism) int {
		if a.Rank != b.Rank {
			return b.Rank - a.Rank
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ms
}

// Policy returns the registry's policy.
func (r *Registry) Policy() Policy {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.policy.clone()
}

// SetPolicy replaces the registry's policy.
func (r *Registry) SetPolicy(p Policy) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policy = p.clone()
}

// Clone returns a copy of r that can be changed independently.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := &Registry{mechs: make(map[string]Mechanism, len(r.mechs)), policy: r.policy.clone()}
	for k, v := range r.mechs {
		c.mechs[k] = v
	}
	return c
}
