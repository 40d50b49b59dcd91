package oauthbearer

import (
	"errors"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
)

// ErrMalformedChallenge reports a failure challenge that is not a JSON
// object of reasonable size. The Auth still sends the required %x01 reply.
var ErrMalformedChallenge = errors.New("oauthbearer: failure challenge is not a JSON object")

// Error is what the server's failure challenge said about a refused token
// (RFC 7628 §3.2.2). The fields are the server's values with non-printable
// characters replaced by U+FFFD and cut to a bounded length; the token is
// never here.
type Error struct {
	// Status is the OAuth error code, such as "invalid_token" (RFC 6750
	// §3.1: expired, revoked or malformed) or "insufficient_scope".
	Status string
	// Scope is an OAuth scope a token needs for this server, if given.
	Scope string
	// OpenIDConfiguration is the URL of an OpenID Connect discovery
	// document for the user, if given.
	OpenIDConfiguration string
	// Schemes lists the token types the server accepts, such as
	// "bearer mac", if given (RFC 7628 §4.4's example sends it).
	Schemes string
}

// Error lists the fields the server gave, quoted.
func (e *Error) Error() string {
	return oauthtoken.RefusalText("oauthbearer", "status", e.Status, "scope", e.Scope,
		"openid-configuration", e.OpenIDConfiguration, "schemes", e.Schemes)
}

// ServerError returns what the server's failure challenge said in the last
// exchange of a: an [*Error], an error wrapping [ErrMalformedChallenge], or
// nil if there was no failure challenge or a is not from [New]. The SMTP
// client only returns the final failure reply, which does not say why.
func ServerError(a auth.Auth) error {
	if x, ok := a.(*bearerAuth); ok {
		return x.ex.Failure()
	}
	return nil
}

// newError keeps the members RFC 7628 §3.2.2 defines, and "schemes" that
// its §4.4 example sends; any other is ignored.
func newError(f oauthtoken.Fields) error {
	return &Error{
		Status:              f.Get("status"),
		Scope:               f.Get("scope"),
		OpenIDConfiguration: f.Get("openid-configuration"),
		Schemes:             f.Get("schemes"),
	}
}

// refusesToken reports whether a failure challenge's status says the token
// itself is bad (RFC 6750 §3.1 "invalid_token"; Google sends HTTP's "401"),
// rather than, say, its scope.
func refusesToken(status string) bool {
	return status == "invalid_token" || status == "401"
}

// mechanism tells the token code shared with the other bearer mechanism
// how OAUTHBEARER reports its failures.
func mechanism() oauthtoken.Mechanism {
	return oauthtoken.Mechanism{
		Name: "oauthbearer", NewError: newError, RefusesToken: refusesToken,
		ErrBadToken: ErrBadToken, ErrTokenRejected: ErrTokenRejected, ErrMalformedChallenge: ErrMalformedChallenge,
	}
}
