// Package auth is the contract every smtpauth mechanism shares.
//
// [Auth] and [ServerInfo] are type aliases of the standard library's
// net/smtp types, not copies. Every mechanism in this repository therefore
// works with net/smtp's Client, and every smtp.Auth written for net/smtp
// works with smtpauth's client and registry unchanged.
package auth

import (
	"errors"
	"net/smtp"
)

// Auth is implemented by an SMTP authentication mechanism. It is net/smtp's
// Auth; see its documentation for the Start/Next protocol.
type Auth = smtp.Auth

// ServerInfo records what a mechanism may know about the server: the name
// the client was told to expect, whether the connection is TLS with a
// certificate verified for that name, and the advertised mechanisms.
type ServerInfo = smtp.ServerInfo

// The error texts below are those of net/smtp, on purpose: code written for
// net/smtp may compare them, and mechanisms here replace net/smtp's.
var (
	// ErrUnencrypted reports that a mechanism refused to reveal a reusable
	// secret over a connection that is not TLS with a verified certificate.
	ErrUnencrypted = errors.New("unencrypted connection")

	// ErrWrongHost reports that the server's name is not the one the
	// mechanism was created for, so its credentials are not meant for it.
	ErrWrongHost = errors.New("wrong host name")

	// ErrUnexpectedChallenge reports a challenge the mechanism does not
	// expect at this step of its exchange.
	ErrUnexpectedChallenge = errors.New("unexpected server challenge")
)

// IsLocalhost reports whether name is a loopback name, the one case in
// which net/smtp lets PlainAuth send credentials without TLS: nothing leaves
// the machine.
func IsLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// CanonicalMechanism returns name upper-cased and true if it is a valid
// SASL mechanism name (RFC 4422 §3.1: 1 to 20 characters from A-Z, 0-9,
// '-' and '_'; lower case accepted). Only ASCII letters change case:
// strings.ToUpper would turn "plaın" (dotless i) into "PLAIN" and "ſ" into
// "S", letting a server spell a registered name with look-alikes.
func CanonicalMechanism(name string) (string, bool) {
	if name == "" || len(name) > 20 {
		return "", false
	}
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return "", false
		}
	}
	return string(b), true
}
