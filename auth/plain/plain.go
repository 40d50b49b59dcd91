// Package plain implements the PLAIN SASL mechanism (RFC 4616) for SMTP.
//
// PLAIN sends the password itself, base64-encoded. It is therefore
// cleartext-equivalent: the Auth returned by [New] refuses to run unless the
// connection is TLS with a certificate verified for the expected host, or
// the host is a loopback name, exactly as net/smtp's PlainAuth does.
package plain

import (
	"errors"
	"strings"

	"github.com/smtpauth/smtpauth/auth"
)

// ErrNUL reports a NUL byte in a credential: RFC 4616 §2 uses NUL as the
// separator, so such a credential cannot be encoded without ambiguity.
var ErrNUL = errors.New("plain: NUL byte in identity, username or password")

type plainAuth struct {
	identity, username, password string
	host                         string
}

// New returns an Auth that implements PLAIN. It authenticates as username
// with password and acts as identity (usually empty, to act as username).
// It only sends the credentials when the server's name is host and the
// connection is TLS with a verified certificate, or host is a loopback name.
func New(identity, username, password, host string) auth.Auth {
	return &plainAuth{identity, username, password, host}
}

func (a *plainAuth) Start(server *auth.ServerInfo) (string, []byte, error) {
	// Both checks come before anything else so that no credential byte is
	// ever produced for the wrong server or an unprotected link.
	if !server.TLS && !auth.IsLocalhost(server.Name) {
		return "", nil, auth.ErrUnencrypted
	}
	if server.Name != a.host {
		return "", nil, auth.ErrWrongHost
	}
	if strings.ContainsRune(a.identity+a.username+a.password, 0) {
		return "", nil, ErrNUL
	}
	// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
	resp := make([]byte, 0, len(a.identity)+len(a.username)+len(a.password)+2)
	resp = append(resp, a.identity...)
	resp = append(resp, 0)
	resp = append(resp, a.username...)
	resp = append(resp, 0)
	resp = append(resp, a.password...)
	return "PLAIN", resp, nil
}

func (a *plainAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	// RFC 4616 §2: the whole exchange is the initial response; any further
	// challenge is a protocol error, and answering it could leak more.
	if more {
		return nil, auth.ErrUnexpectedChallenge
	}
	return nil, nil
}

// String hides the credentials from fmt's %v and %+v.
func (a *plainAuth) String() string { return "PLAIN" }

// GoString hides the credentials from fmt's %#v.
func (a *plainAuth) GoString() string { return "plain.New(...)" }
