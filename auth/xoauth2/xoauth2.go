// Package xoauth2 implements the XOAUTH2 SASL mechanism for SMTP, in the
// format documented by Google (https://developers.google.com/workspace/gmail/imap/xoauth2-protocol)
// and Microsoft (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth),
// with access tokens from a golang.org/x/oauth2 TokenSource.
//
// A bearer token is a reusable secret: whoever sees it can use it until it
// expires. XOAUTH2 is therefore cleartext-equivalent, and the Auth returned
// by [New] refuses to run unless the connection is TLS with a certificate
// verified for the server name, or the server name is a loopback name, as
// auth/plain does.
//
// # Failures
//
// Google answers a refused token with a 334 challenge holding a JSON object
// such as {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}.
// The client must answer it with an empty response; the server then sends
// the final failure (535). The final reply is all the SMTP client returns,
// so [ServerError] gives what the challenge said, as an [*Error].
//
// # Refreshing a refused token
//
// The Auth implements auth.Retrier: smtpauth's client asks it, after a
// refusal, whether to try again on the same connection. It says yes at most
// once per Auth value, only when the refusal was about the token (status
// "401" in the failure challenge, or a 535 reply when the challenge named no
// status), and only when the token source, asked again at that moment,
// returns a different valid token; that token is the one the next Start
// sends. A token the server refused is never sent again by the same Auth:
// Start fails with [ErrTokenRejected] instead.
//
// golang.org/x/oauth2 has no way to force a refresh. The token sources of
// oauth2.Config.TokenSource and oauth2.ReuseTokenSource hand back their
// cached token until its expiry time, so with them a revoked token is not
// retried and the refusal stands. To have Retry fetch a really new token,
// pass a token source that refreshes on every call, for example one whose
// Token method returns conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
// (and keeps the new refresh token, for providers that rotate them).
//
// An Auth keeps the state of one exchange at a time. It is safe to share,
// but then its retry and failure bookkeeping is shared too; New is cheap,
// so give each connection its own.
package xoauth2

import (
	"errors"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
)

var (
	// ErrBadUsername reports a username that cannot appear in the initial
	// response: \x01 separates its fields, and no control character or
	// invalid UTF-8 belongs in a mail address.
	ErrBadUsername = errors.New("xoauth2: username contains a control character or invalid UTF-8")

	// ErrBadToken reports an access token that is not an RFC 6750 §2.1
	// b64token, so that it could not be sent without changing the
	// message's structure. The token itself is never part of the error.
	ErrBadToken = errors.New("xoauth2: access token is not an RFC 6750 b64token")

	// ErrTokenRejected reports that the token source returned a token the
	// server already refused; sending it again could only fail.
	ErrTokenRejected = errors.New("xoauth2: token source returned the token the server refused")
)

type xoauth2Auth struct {
	username string
	ex       *oauthtoken.Exchange // token, failure and retry bookkeeping
}

// New returns an Auth that implements XOAUTH2 for username with access
// tokens from ts, asked for one in every Start.
func New(username string, ts oauth2.TokenSource) auth.Auth {
	return &xoauth2Auth{username: username, ex: oauthtoken.NewExchange(mechanism(), ts)}
}

func (a *xoauth2Auth) Start(server *auth.ServerInfo) (string, []byte, error) {
	a.ex.Reset()
	// Checked before the token source is asked, so that no token is even
	// fetched for an unprotected link.
	if server == nil || !server.TLS && !auth.IsLocalhost(server.Name) {
		return "", nil, auth.ErrUnencrypted
	}
	if !oauthtoken.ValidUsername(a.username) {
		return "", nil, ErrBadUsername
	}
	token, err := a.ex.Token()
	if err != nil {
		return "", nil, err
	}
	// Google's format: "user=" user ^A "auth=Bearer " token ^A ^A.
	resp := make([]byte, 0, len(a.username)+len(token)+20)
	resp = append(resp, "user="...)
	resp = append(resp, a.username...)
	resp = append(resp, "\x01auth=Bearer "...)
	resp = append(resp, token...)
	resp = append(resp, "\x01\x01"...)
	return "XOAUTH2", resp, nil
}

func (a *xoauth2Auth) Next(fromServer []byte, more bool) ([]byte, error) {
	// The only challenge XOAUTH2 knows is the one failure challenge after
	// the initial response. The required dummy reply to it is an empty
	// response.
	return a.ex.Next(fromServer, more, []byte{})
}

// Retry implements auth.Retrier; see the package documentation.
func (a *xoauth2Auth) Retry(refusal error) bool { return a.ex.Retry(refusal) }

// String hides the token from fmt's %v and %+v.
func (a *xoauth2Auth) String() string { return "XOAUTH2" }

// GoString hides the token from fmt's %#v.
func (a *xoauth2Auth) GoString() string { return "xoauth2.New(...)" }
