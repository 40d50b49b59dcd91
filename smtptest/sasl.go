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
)

// authFunc looks up user's password and reports whether verify accepts it,
// so that each mechanism decides how a password proves identity.
type authFunc func(user string, verify func(password string) bool) error

// saslServers holds the mechanisms a Server can offer.
var saslServers = map[string]func(serverName string, auth authFunc) sasl.Server{
	"PLAIN": func(_ string, auth authFunc) sasl.Server {
		return sasl.NewPlainServer(func(identity, user, password string) error {
			// Acting on behalf of another identity is not supported.
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return auth(user, equal(password))
		})
	},
	"LOGIN": func(_ string, auth authFunc) sasl.Server {
		return &loginServer{auth: auth}
	},
	"CRAM-MD5": func(serverName string, auth authFunc) sasl.Server {
		return &cramMD5Server{serverName: serverName, auth: auth}
	},
}

func equal(given string) func(password string) bool {
	return func(password string) bool {
		return subtle.ConstantTimeCompare([]byte(given), []byte(password)) == 1
	}
}

// loginServer implements LOGIN (draft-murchison-sasl-login-00), which
// go-sasl provides only as a client. Clients may send the user name as an
// initial response, skipping the first challenge.
type loginServer struct {
	auth authFunc
	step int
	user string
}

func (a *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case a.step == 0 && response == nil:
		a.step = 1
		return []byte("Username:"), false, nil
	case a.step <= 1:
		a.step, a.user = 2, string(response)
		return []byte("Password:"), false, nil
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
