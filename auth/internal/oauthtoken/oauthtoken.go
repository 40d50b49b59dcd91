// Package oauthtoken holds what the bearer-token SASL mechanisms share:
// XOAUTH2 (auth/xoauth2) and OAUTHBEARER (auth/oauthbearer, RFC 7628).
// Both send an access token from a golang.org/x/oauth2 TokenSource, read
// the JSON failure challenge a server sends for a refused token, and may
// start again once with a fresh token.
//
// Each mechanism keeps its message format, its Error type and its
// sentinel errors. It describes them in a [Mechanism], so that every error
// this package returns reads as the mechanism package's own ("xoauth2:
// ...") and matches its sentinels with errors.Is.
package oauthtoken

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// Mechanism is what a token mechanism package tells this package about
// itself. All fields are required.
type Mechanism struct {
	// Name prefixes the texts of the errors made here, as in
	// "xoauth2: token source: ...".
	Name string

	// ErrBadToken is returned for a token that is not an RFC 6750 §2.1
	// b64token.
	ErrBadToken error

	// ErrTokenRejected is returned by Start for a token the server
	// already refused.
	ErrTokenRejected error

	// ErrMalformedChallenge is returned, possibly wrapped, for a failure
	// challenge that is not a JSON object of reasonable size.
	ErrMalformedChallenge error

	// NewError makes the mechanism's error from the members of a failure
	// challenge. The values in Fields are already sanitised.
	NewError func(Fields) error

	// RefusesToken reports whether a failure challenge's status says the
	// token itself is bad (expired, revoked, malformed), rather than, say,
	// its scope. It is only asked about a status that is not empty.
	RefusesToken func(status string) bool
}

// Fetch asks ts for a token and returns its access token if it can be
// sent. The token is never part of an error.
func (m *Mechanism) Fetch(ts oauth2.TokenSource) (string, error) {
	if ts == nil {
		return "", errors.New(m.Name + ": no token source")
	}
	tok, err := ts.Token()
	if err != nil {
		return "", fmt.Errorf("%s: token source: %w", m.Name, err)
	}
	if tok == nil || !IsB64Token(tok.AccessToken) {
		return "", m.ErrBadToken
	}
	return tok.AccessToken, nil
}

// IsB64Token reports whether s matches RFC 6750 §2.1:
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// Only such a token can follow "auth=Bearer " without changing the
// structure of the message around it.
func IsB64Token(s string) bool {
	i := 0
	for i < len(s) && isB64Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func isB64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// ValidUsername reports whether s can stand in a mechanism's message: both
// formats separate their fields with \x01, and no control character or
// invalid UTF-8 belongs in a mail address.
func ValidUsername(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
