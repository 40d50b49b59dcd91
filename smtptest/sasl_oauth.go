package smtptest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// xoauth2Error is the error challenge of Google's XOAUTH2 documentation
// (https://developers.google.com/workspace/gmail/imap/xoauth2-protocol).
const xoauth2Error = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`

// xoauth2Server implements XOAUTH2 as Google and Microsoft define it: the
// client sends "user=" user "\x01auth=Bearer " token "\x01\x01". go-sasl
// has neither side of it.
type xoauth2Server struct {
	e       *exchange
	refused bool // the error challenge has been sent
}

func newXOAUTH2Server(e *exchange) sasl.Server {
	return &xoauth2Server{e: e}
}

func (a *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	switch {
	case a.refused:
		// Gmail fails only once the client has answered its error
		// challenge with an empty response.
		if len(response) != 0 {
			return nil, true, errProtocol("Expected an empty response to the XOAUTH2 error challenge")
		}
		return nil, true, smtp.ErrAuthFailed
	case response == nil:
		return []byte{}, false, nil
	}
	user, token, ok := parseXOAUTH2(string(response))
	if !ok {
		return nil, true, errProtocol("Malformed XOAUTH2 response")
	}
	if !a.e.validToken(user, token) {
		a.refused = true
		return []byte(xoauth2Error), false, nil
	}
	a.e.login(user)
	return nil, true, nil
}

func parseXOAUTH2(s string) (user, token string, ok bool) {
	s, ok = strings.CutSuffix(s, "\x01\x01")
	if !ok {
		return "", "", false
	}
	u, auth, ok := strings.Cut(s, "\x01")
	if !ok || strings.Contains(auth, "\x01") {
		return "", "", false
	}
	user, ok = strings.CutPrefix(u, "user=")
	if !ok {
		return "", "", false
	}
	auth, ok = strings.CutPrefix(auth, "auth=")
	if !ok {
		return "", "", false
	}
	// The scheme is case-insensitive (RFC 6750 section 2.1).
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", "", false
	}
	return user, token, true
}

// oauthBearerError is the error challenge of RFC 7628 section 3.2.2.
type oauthBearerError struct {
	Status              string `json:"status"`
	Scope               string `json:"scope"`
	OpenIDConfiguration string `json:"openid-configuration"`
}

// oauthBearerServer implements OAUTHBEARER (RFC 7628) around go-sasl's
// server, which parses the client response. It sends our own error
// challenge, since go-sasl's has no openid-configuration, and ends the
// error flow itself, since go-sasl's check of the client's reply accepts
// any single byte and indexes an empty reply.
type oauthBearerServer struct {
	e        *exchange
	sasl     sasl.Server
	badToken bool // the response parsed but its token was refused
	failed   bool // an error challenge has been sent
}

func newOAuthBearerServer(e *exchange) sasl.Server {
	a := &oauthBearerServer{e: e}
	a.sasl = sasl.NewOAuthBearerServer(a.authenticate)
	return a
}

// saslName undoes the escaping of RFC 5801 section 4 in a gs2-authzid,
// which go-sasl leaves in place.
var saslName = strings.NewReplacer("=2C", ",", "=3D", "=")

func (a *oauthBearerServer) authenticate(opts sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
	user := saslName.Replace(opts.Username)
	if !a.e.validToken(user, opts.Token) {
		a.badToken = true
		// go-sasl's challenge text; Next sends its own instead.
		return &sasl.OAuthBearerError{Status: "invalid_token"}
	}
	a.e.login(user)
	return nil
}

func (a *oauthBearerServer) Next(response []byte) ([]byte, bool, error) {
	if a.failed {
		// RFC 7628 section 3.2.2: the client answers the error challenge
		// with a single %x01, and the server then fails the exchange.
		if !bytes.Equal(response, []byte{0x01}) {
			return nil, true, errProtocol("Expected %x01 in response to the OAUTHBEARER error challenge")
		}
		return nil, true, smtp.ErrAuthFailed
	}
	challenge, done, err := a.sasl.Next(response)
	if done || err != nil || len(challenge) == 0 {
		return challenge, done, err
	}
	// Any other challenge from go-sasl is an error challenge: a refused
	// token, or its own invalid_request for a malformed response.
	a.failed = true
	if a.badToken {
		challenge, err = json.Marshal(oauthBearerError{
			Status:              "invalid_token",
			Scope:               oauthBearerScope,
			OpenIDConfiguration: "https://" + a.e.s.srv.ServerName + "/.well-known/openid-configuration",
		})
	}
	return challenge, false, err
}

// oauthBearerScope is the scope named in the error challenge; RFC 7628
// leaves its value to the service.
const oauthBearerScope = "smtp"
