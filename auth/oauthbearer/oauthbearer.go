// Package oauthbearer implements the OAUTHBEARER SASL mechanism (RFC 7628)
// for SMTP, with access tokens from a golang.org/x/oauth2 TokenSource.
//
// A bearer token is a reusable secret: whoever sees it can use it until it
// expires (RFC 7628 §5: "without TLS ... this method is completely
// insecure"). OAUTHBEARER is therefore cleartext-equivalent, and the Auth
// returned by [New] refuses to run unless the connection is TLS with a
// certificate verified for the server name, or the server name is a
// loopback name, as auth/plain does.
//
// # Failures
//
// RFC 7628 §3.2.2: a server that refuses the token sends a 334 challenge
// holding a JSON object such as {"status":"invalid_token","scope":"..."};
// the client must answer it with a single %x01 (§3.2.3), and the server
// then sends the final failure (535). The final reply is all the SMTP
// client returns, so [ServerError] gives what the challenge said, as an
// [*Error].
//
// # Refreshing a refused token
//
// The Auth implements auth.Retrier: smtpauth's client asks it, after a
// refusal, whether to try again on the same connection. It says yes at most
// once per Auth value, only when the refusal was about the token (status
// "invalid_token", or "401" as some servers send, in the failure challenge;
// or a 535 reply when the challenge named no status), and only when the
// token source, asked again at that moment, returns a different valid
// token; that token is the one the next Start sends. A token the server
// refused is never sent again by the same Auth: Start fails with
// [ErrTokenRejected] instead.
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
package oauthbearer

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
)

var (
	// ErrBadUsername reports a username that cannot appear in the GS2
	// header: \x01 separates the message's fields, and no control
	// character or invalid UTF-8 belongs in a mail address.
	ErrBadUsername = errors.New("oauthbearer: username contains a control character or invalid UTF-8")

	// ErrBadHost reports a server name that cannot be the value of the
	// "host" key: RFC 7628 §3.1 allows only VCHAR there.
	ErrBadHost = errors.New("oauthbearer: server name is not printable ASCII")

	// ErrBadToken reports an access token that is not an RFC 6750 §2.1
	// b64token, so that it could not be sent without changing the
	// message's structure. The token itself is never part of the error.
	ErrBadToken = errors.New("oauthbearer: access token is not an RFC 6750 b64token")

	// ErrTokenRejected reports that the token source returned a token the
	// server already refused; sending it again could only fail.
	ErrTokenRejected = errors.New("oauthbearer: token source returned the token the server refused")
)

type bearerAuth struct {
	username string

	port atomic.Int32         // server's port from the last SetConnState, 0 if unknown
	ex   *oauthtoken.Exchange // token, failure and retry bookkeeping
}

// New returns an Auth that implements OAUTHBEARER for username with access
// tokens from ts, asked for one in every Start. The username goes in the
// GS2 header as the authzid; an empty one is left out.
//
// The message carries the "host" key from ServerInfo.Name and, with
// smtpauth's client, the "port" key from the server's TCP address
// (auth.ConnStateAuth); other clients give no address, so "port" is left
// out, which RFC 7628 §3.1 allows for bearer tokens.
func New(username string, ts oauth2.TokenSource) auth.Auth {
	return &bearerAuth{username: username, ex: oauthtoken.NewExchange(mechanism(), ts)}
}

// SetConnState implements auth.ConnStateAuth. The port it gives is used by
// the next Start only, so that a value reused with another client never
// sends a stale one.
func (a *bearerAuth) SetConnState(cs auth.ConnState) {
	var port int32
	if addr, ok := cs.RemoteAddr.(*net.TCPAddr); ok && addr != nil && addr.Port > 0 && addr.Port <= 65535 {
		port = int32(addr.Port)
	}
	a.port.Store(port)
}

func (a *bearerAuth) Start(server *auth.ServerInfo) (string, []byte, error) {
	port := int(a.port.Swap(0))
	a.ex.Reset()
	// Checked before the token source is asked, so that no token is even
	// fetched for an unprotected link.
	if server == nil || !server.TLS && !auth.IsLocalhost(server.Name) {
		return "", nil, auth.ErrUnencrypted
	}
	if !oauthtoken.ValidUsername(a.username) {
		return "", nil, ErrBadUsername
	}
	if !validHost(server.Name) {
		return "", nil, ErrBadHost
	}
	token, err := a.ex.Token()
	if err != nil {
		return "", nil, err
	}
	return "OAUTHBEARER", clientResponse(a.username, server.Name, port, token), nil
}

// clientResponse builds RFC 7628 §3.1's client-resp:
// gs2-header kvsep *kvpair kvsep, with the gs2-header of RFC 5801 §4.
func clientResponse(username, host string, port int, token string) []byte {
	var b strings.Builder
	b.WriteString("n,")
	if username != "" {
		// RFC 5801 §4: saslname escapes "," as "=2C" and "=" as "=3D".
		b.WriteString("a=")
		b.WriteString(strings.NewReplacer("=", "=3D", ",", "=2C").Replace(username))
	}
	b.WriteString(",\x01")
	if host != "" {
		b.WriteString("host=" + host + "\x01")
	}
	if port != 0 {
		b.WriteString("port=" + strconv.Itoa(port) + "\x01")
	}
	b.WriteString("auth=Bearer " + token + "\x01\x01")
	return []byte(b.String())
}

func (a *bearerAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	// RFC 7628 §3: the only challenge is the one failure challenge after
	// the initial response. §3.2.3: the dummy reply to it is a single %x01.
	return a.ex.Next(fromServer, more, []byte{0x01})
}

// Retry implements auth.Retrier; see the package documentation.
func (a *bearerAuth) Retry(refusal error) bool { return a.ex.Retry(refusal) }

// validHost reports whether s fits RFC 7628 §3.1's value as a host name:
// VCHAR only (SP, HTAB, CR and LF are allowed there but never in a name).
func validHost(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// String hides the token from fmt's %v and %+v.
func (a *bearerAuth) String() string { return "OAUTHBEARER" }

// GoString hides the token from fmt's %#v.
func (a *bearerAuth) GoString() string { return "oauthbearer.New(...)" }
