package gosasl_test

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
)

// wire returns b as the other end decodes it from its base64 line: never
// nil, as go-smtp's server and smtpauth's client decode an empty line.
func wire(b []byte) []byte {
	out, err := base64.StdEncoding.DecodeString(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		panic(err)
	}
	return out
}

// runAuth runs a against srv as smtpauth's client and net/smtp do: an empty
// initial response is not sent, and the text of the success reply reaches
// a with more = false.
func runAuth(a auth.Auth, info *auth.ServerInfo, srv sasl.Server) (mech string, err error) {
	mech, ir, err := a.Start(info)
	if err != nil {
		return "", err
	}
	var resp []byte // nil: no initial response
	if len(ir) > 0 {
		resp = wire(ir)
	}
	for range 16 {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return mech, fmt.Errorf("server: %w", err)
		}
		if done {
			_, err := a.Next([]byte("2.7.0 Authentication successful"), false)
			return mech, err
		}
		r, err := a.Next(wire(challenge), true)
		if err != nil {
			return mech, err
		}
		resp = wire(r)
	}
	return mech, errors.New("too many challenges")
}

var errStopped = errors.New("client returned a nil response: go-smtp's client would stop answering")

// runSASL runs c against srv as go-smtp's client does: an empty, non-nil
// initial response is sent as "=", and a nil response ends the exchange
// on the client's side.
func runSASL(c sasl.Client, srv sasl.Server) (mech string, err error) {
	mech, ir, err := c.Start()
	if err != nil {
		return "", err
	}
	resp := ir
	if ir != nil {
		resp = wire(ir)
	}
	for range 16 {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return mech, fmt.Errorf("server: %w", err)
		}
		if done {
			return mech, nil
		}
		r, err := c.Next(wire(challenge))
		if err != nil {
			return mech, err
		}
		if r == nil {
			return mech, errStopped
		}
		resp = wire(r)
	}
	return mech, errors.New("too many challenges")
}

// script is a sasl.Client that returns what it is told and records what it
// is asked.
type script struct {
	mech       string
	ir         []byte
	startErr   error
	responses  [][]byte
	nextErr    error
	challenges [][]byte
}

func (s *script) Start() (string, []byte, error) { return s.mech, s.ir, s.startErr }

func (s *script) Next(challenge []byte) ([]byte, error) {
	s.challenges = append(s.challenges, challenge)
	if s.nextErr != nil {
		return nil, s.nextErr
	}
	if len(s.responses) == 0 {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	r := s.responses[0]
	s.responses = s.responses[1:]
	return r, nil
}

// authScript is an auth.Auth that returns what it is told and records what
// it is given.
type authScript struct {
	mech      string
	ir        []byte
	startErr  error
	responses [][]byte
	nextErr   error
	infos     []auth.ServerInfo
	calls     []string
}

func (a *authScript) Start(info *auth.ServerInfo) (string, []byte, error) {
	a.infos = append(a.infos, *info)
	info.Name = "changed by the mechanism"
	return a.mech, a.ir, a.startErr
}

func (a *authScript) Next(challenge []byte, more bool) ([]byte, error) {
	a.calls = append(a.calls, fmt.Sprintf("%q %v", challenge, more))
	if a.nextErr != nil {
		return nil, a.nextErr
	}
	if len(a.responses) == 0 {
		return nil, auth.ErrUnexpectedChallenge
	}
	r := a.responses[0]
	a.responses = a.responses[1:]
	return r, nil
}
