// Package ntlm implements the NTLM SASL mechanism for SMTP as Microsoft
// Exchange on-premises speaks it ([MS-SMTPNTLM] over [MS-NLMP]), client
// side, NTLMv2 only.
//
// The exchange has two rounds: the client sends a NEGOTIATE_MESSAGE as the
// initial response of "AUTH NTLM", the server answers with a
// CHALLENGE_MESSAGE, and the client proves knowledge of the password with an
// AUTHENTICATE_MESSAGE carrying an NTLMv2 response.
//
// Threat model. The password itself never crosses the wire, but NTLM is
// cleartext-equivalent for policy purposes: whoever sees an NTLMv2 response
// can crack the password offline, and whoever sits between client and
// server can relay the exchange to another service that accepts NTLM.
// NTLM does not authenticate the server either. The Auth returned by [New]
// therefore runs only on TLS connections with a verified certificate or
// towards a loopback name, like PLAIN. NTLMv1 and the LM hash are broken
// beyond repair and are refused: a server that cannot do NTLMv2 gets an
// error wrapping [ErrNoNTLMv2] and nothing derived from the password.
//
// Left out on purpose: session key exchange (NTLMSSP_NEGOTIATE_KEY_EXCH),
// signing and sealing, since SMTP uses none of them after AUTH; the MIC,
// a SHOULD of MS-NLMP §3.1.5.1.2 that servers check only when the client
// announces one; channel bindings (Extended Protection), so a server that
// requires them, such as an Exchange receive connector whose
// ExtendedProtectionPolicy is Require, refuses this client; the workstation
// name, which would only disclose the client machine; and OEM code-page
// strings, which only pre-Unicode servers ask for.
package ntlm

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smtpauth/smtpauth/auth"
)

var (
	// ErrMalformed reports a CHALLENGE_MESSAGE that does not follow
	// [MS-NLMP] §2.2.1.2: wrong signature or type, a field outside the
	// message, an AV pair list that does not end with MsvAvEOL.
	ErrMalformed = errors.New("ntlm: malformed CHALLENGE_MESSAGE")

	// ErrNoNTLMv2 reports a well-formed challenge from a server that cannot
	// do NTLMv2 as this client requires: it sent no TargetInfo (an
	// NTLMv1-only server) or did not select Unicode strings.
	ErrNoNTLMv2 = errors.New("ntlm: server does not offer NTLMv2 with Unicode")

	// ErrBadCredentials reports a username, domain or password that is not
	// valid UTF-8 or is too long for an NTLM message field.
	ErrBadCredentials = errors.New("ntlm: username, domain or password is not valid UTF-8 or too long")
)

type ntlmAuth struct {
	domain, username, password string
	challenged                 bool

	// Hooks for tests, which must fix what is otherwise random or the
	// clock: nil means crypto/rand and time.Now.
	random io.Reader
	now    func() time.Time
}

// New returns an Auth that implements NTLM (NTLMv2 only) for username in
// domain with password. When domain is empty and username has the form
// `DOMAIN\user`, the domain is taken from username. A user principal name
// such as "user@example.com" with an empty domain is passed as it is, which
// Windows accepts.
//
// The Auth only runs when the connection is TLS with a verified certificate
// or the server's name is a loopback name; otherwise Start returns
// [auth.ErrUnencrypted] before producing anything.
func New(domain, username, password string) auth.Auth {
	if domain == "" {
		if d, u, ok := strings.Cut(username, `\`); ok {
			domain, username = d, u
		}
	}
	return &ntlmAuth{domain: domain, username: username, password: password}
}

func (a *ntlmAuth) Start(server *auth.ServerInfo) (string, []byte, error) {
	// An NTLMv2 response is crackable and relayable: see the package
	// documentation.
	if !server.TLS && !auth.IsLocalhost(server.Name) {
		return "", nil, auth.ErrUnencrypted
	}
	for _, s := range []string{a.domain, a.username, a.password} {
		// Each is sent (or hashed) as UTF-16LE into a field whose length
		// is 16 bits; a UTF-16 code unit never takes more bytes than UTF-8.
		if !utf8.ValidString(s) || len(s) > maxCredential {
			return "", nil, ErrBadCredentials
		}
	}
	a.challenged = false
	// [MS-SMTPNTLM] §3.1.5.1: the NEGOTIATE_MESSAGE may ride as the
	// initial response, saving the "334 NTLM supported" round trip.
	return "NTLM", negotiateMessage(), nil
}

func (a *ntlmAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		// NTLM has no server proof to check in the success reply.
		return nil, nil
	}
	// [MS-SMTPNTLM] §3.1.5: one CHALLENGE_MESSAGE, then 235 or a failure.
	if a.challenged {
		return nil, auth.ErrUnexpectedChallenge
	}
	a.challenged = true

	ch, err := parseChallenge(fromServer)
	if err != nil {
		return nil, err
	}
	random := a.random
	if random == nil {
		random = rand.Reader
	}
	var clientChallenge [8]byte
	if _, err := io.ReadFull(random, clientChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: reading the client challenge: %w", err)
	}
	// [MS-NLMP] §3.1.5.1.2: the server's own time, when it sends one, so
	// that clock skew between client and server does not matter.
	timestamp := ch.timestamp
	if timestamp == nil {
		now := a.now
		if now == nil {
			now = time.Now
		}
		timestamp = filetime(now())
	}

	key := ntowfv2(a.password, a.username, a.domain)
	nt := ntlmv2Response(key, ch.serverChallenge[:], clientChallenge[:], timestamp, ch.targetInfo)
	// [MS-NLMP] §3.3.2: with MsvAvTimestamp the client sends Z(24)
	// instead of an LMv2 response, which would only give an attacker a
	// second, weaker thing to crack.
	var lm []byte
	if ch.timestamp != nil {
		lm = make([]byte, 24)
	} else {
		lm = lmv2Response(key, ch.serverChallenge[:], clientChallenge[:])
	}
	return authenticateMessage(authenticate{
		flags:  ch.flags & negotiateFlags,
		domain: utf16le(a.domain),
		user:   utf16le(a.username),
		lm:     lm,
		nt:     nt,
	}), nil
}

// String hides the credentials from fmt's %v and %+v.
func (a *ntlmAuth) String() string { return "NTLM" }

// GoString hides the credentials from fmt's %#v.
func (a *ntlmAuth) GoString() string { return "ntlm.New(...)" }
