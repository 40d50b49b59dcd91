package smtptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/xdg-go/scram"
)

// authFunc looks up user's password and reports whether verify accepts it,
// so that each mechanism decides how a password proves identity.
type authFunc func(user string, verify func(password string) bool) error

// saslServers holds the mechanisms a Server can offer.
var saslServers = map[string]func(e *exchange) sasl.Server{
	"PLAIN": func(e *exchange) sasl.Server {
		return sasl.NewPlainServer(func(identity, user, password string) error {
			// Acting on behalf of another identity is not supported.
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return e.checkPassword(user, equal(password))
		})
	},
	"LOGIN": func(e *exchange) sasl.Server {
		return &loginServer{auth: e.checkPassword, challenges: e.s.srv.loginChallenges()}
	},
	"CRAM-MD5": func(e *exchange) sasl.Server {
		return &cramMD5Server{serverName: e.s.srv.ServerName, auth: e.checkPassword}
	},
	"SCRAM-SHA-1":        newSCRAMServer(scram.SHA1, false),
	"SCRAM-SHA-1-PLUS":   newSCRAMServer(scram.SHA1, true),
	"SCRAM-SHA-256":      newSCRAMServer(scram.SHA256, false),
	"SCRAM-SHA-256-PLUS": newSCRAMServer(scram.SHA256, true),
	"SCRAM-SHA-512":      newSCRAMServer(scram.SHA512, false),
	"SCRAM-SHA-512-PLUS": newSCRAMServer(scram.SHA512, true),
	"XOAUTH2":            newXOAUTH2Server,
	"OAUTHBEARER":        newOAuthBearerServer,
}

// exchange is one AUTH command: the session that a successful exchange
// logs in, and the mechanism the client chose.
type exchange struct {
	s    *session
	mech string
}

// login records the outcome on the session. Mechanisms call it only once
// the exchange has succeeded, since a client can still cancel before that.
func (e *exchange) login(user string) {
	e.s.mech, e.s.user = e.mech, user
}

// checkPassword is the authFunc of password mechanisms; it logs the
// session in on success.
func (e *exchange) checkPassword(user string, verify func(password string) bool) error {
	password, ok := e.s.srv.Users[user]
	if !ok || !verify(password) {
		// An *smtp.SMTPError, so that go-smtp answers 535 and not 454.
		return smtp.ErrAuthFailed
	}
	e.login(user)
	return nil
}

// validToken reports whether token is user's bearer token. An empty token
// in Tokens is taken as no token rather than as one that matches nothing.
func (e *exchange) validToken(user, token string) bool {
	want, ok := e.s.srv.Tokens[user]
	return ok && want != "" && equal(token)(want)
}

func equal(given string) func(password string) bool {
	return func(password string) bool {
		return subtle.ConstantTimeCompare([]byte(given), []byte(password)) == 1
	}
}

// errProtocol answers a client that broke a mechanism's rules in a way no
// credential explains, so that tests can tell it from a refusal.
func errProtocol(msg string) error {
	return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: msg}
}

// loginServer implements LOGIN (draft-murchison-sasl-login-00), which
// go-sasl provides only as a client. Clients may send the user name as an
// initial response, skipping the first challenge.
type loginServer struct {
	auth       authFunc
	challenges [2]string
	step       int
	user       string
}

func (a *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case a.step == 0 && response == nil:
		a.step = 1
		return []byte(a.challenges[0]), false, nil
	case a.step <= 1:
		a.step, a.user = 2, string(response)
		return []byte(a.challenges[1]), false, nil
	default:
		return nil, true, a.auth(a.user, equal(string(response)))
	}
}

// cramMD5Server implements CRAM-MD5 (RFC 2195), which go-sasl lacks.
type cramMD5Server struct {
	serverName string
	auth       authFunc
	challenge  []byte
}

var errCRAMMD5Syntax = errors.New("smtptest: malformed CRAM-MD5 response")

func (a *cramMD5Server) Next(response []byte) ([]byte, bool, error) {
	if a.challenge == nil {
		// The server speaks first; an initial response is a protocol error.
		if response != nil {
			return nil, true, sasl.ErrUnexpectedClientResponse
		}
		a.challenge = fmt.Appendf(nil, "<%s.%d@%s>", rand.Text(), time.Now().Unix(), a.serverName)
		return a.challenge, false, nil
	}
	i := bytes.LastIndexByte(response, ' ')
	if i < 0 {
		return nil, true, errCRAMMD5Syntax
	}
	user, digest := string(response[:i]), response[i+1:]
	return nil, true, a.auth(user, func(password string) bool {
		mac := hmac.New(md5.New, []byte(password))
		mac.Write(a.challenge)
		return hmac.Equal(digest, hex.AppendEncode(nil, mac.Sum(nil)))
	})
}
