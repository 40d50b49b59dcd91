// Package crammd5 implements the CRAM-MD5 SASL mechanism (RFC 2195) for SMTP.
//
// CRAM-MD5 never sends the password, only an HMAC-MD5 of the server's
// challenge keyed by it; an observer can still mount an offline dictionary
// attack on what it sees, and servers must store the password in a
// recoverable form. Prefer SCRAM where the server offers it.
package crammd5

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"

	"github.com/smtpauth/smtpauth/auth"
)

// ErrBadUsername reports a username that cannot appear in the response:
// RFC 2195 §2 separates it from the digest with a space, so control
// characters would let it forge protocol lines.
var ErrBadUsername = errors.New("crammd5: username contains a control character")

type cramAuth struct {
	username, secret string
	answered         bool
}

// New returns an Auth that implements CRAM-MD5 with the given username and
// shared secret.
func New(username, secret string) auth.Auth {
	return &cramAuth{username: username, secret: secret}
}

func (a *cramAuth) Start(*auth.ServerInfo) (string, []byte, error) {
	for _, r := range a.username {
		if r < 0x20 || r == 0x7f {
			return "", nil, ErrBadUsername
		}
	}
	a.answered = false
	return "CRAM-MD5", nil, nil
}

func (a *cramAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	// RFC 2195 §2 has exactly one challenge; a second one is not CRAM-MD5.
	// It must be a unique msg-id: an empty one would make the response a
	// fixed function of the password, replayable and precomputable.
	if a.answered || len(fromServer) == 0 {
		return nil, auth.ErrUnexpectedChallenge
	}
	a.answered = true
	// RFC 2195 §2: response = user SP lowercase-hex(HMAC-MD5(secret, challenge)).
	mac := hmac.New(md5.New, []byte(a.secret))
	mac.Write(fromServer)
	resp := make([]byte, 0, len(a.username)+1+2*md5.Size)
	resp = append(resp, a.username...)
	resp = append(resp, ' ')
	return hex.AppendEncode(resp, mac.Sum(nil)), nil
}

// String hides the secret from fmt's %v and %+v.
func (a *cramAuth) String() string { return "CRAM-MD5" }

// GoString hides the secret from fmt's %#v.
func (a *cramAuth) GoString() string { return "crammd5.New(...)" }
