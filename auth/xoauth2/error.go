package xoauth2

import (
	"errors"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
)

// ErrMalformedChallenge reports a failure challenge that is not a JSON
// object of reasonable size. The Auth still sends the required empty reply.
var ErrMalformedChallenge = errors.New("xoauth2: failure challenge is not a JSON object")

// Error is what the server's failure challenge said about a refused token.
// The fields are the server's values with non-printable characters
// replaced by U+FFFD and cut to a bounded length; the token is never here.
type Error struct {
	Status  string // HTTP-style status, such as "401" (token invalid or expired) or "400"
	Schemes string // authentication schemes the server accepts, such as "Bearer"
	Scope   string // OAuth scope a token needs, such as "https://mail.google.com/"
}

// Error lists the fields the server gave, quoted.
func (e *Error) Error() string {
	return oauthtoken.RefusalText("xoauth2", "status", e.Status, "schemes", e.Schemes, "scope", e.Scope)
}

// ServerError returns what the server's failure challenge said in the last
// exchange of a: an [*Error], an error wrapping [ErrMalformedChallenge], or
// nil if there was no failure challenge or a is not from [New]. The SMTP
// client only returns the final failure reply, which does not say why.
func ServerError(a auth.Auth) error {
	if x, ok := a.(*xoauth2Auth); ok {
		return x.ex.Failure()
	}
	return nil
}

// newError keeps the members Google documents for the failure challenge;
// any other is ignored.
func newError(f oauthtoken.Fields) error {
	return &Error{Status: f.Get("status"), Schemes: f.Get("schemes"), Scope: f.Get("scope")}
}

// refusesToken reports whether a failure challenge's status says the token
// is invalid or expired: Google sends HTTP's "401" for that.
func refusesToken(status string) bool { return status == "401" }

// mechanism tells the token code shared with the other bearer mechanism
// how XOAUTH2 reports its failures.
func mechanism() oauthtoken.Mechanism {
	return oauthtoken.Mechanism{
		Name: "xoauth2", NewError: newError, RefusesToken: refusesToken,
		ErrBadToken: ErrBadToken, ErrTokenRejected: ErrTokenRejected, ErrMalformedChallenge: ErrMalformedChallenge,
	}
}
