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
