// Package gosasl adapts between github.com/emersion/go-sasl's sasl.Client
// and [auth.Auth], in both directions.
//
// [FromSASL] lets the mechanisms of go-sasl (and of any library written
// against its interface) run in smtpauth's client, in net/smtp's and in the
// registry; [External] and [Anonymous] are two of them, ready to register.
// [ToSASL] lets every smtpauth mechanism run in clients written for go-sasl,
// such as go-smtp's and go-imap's.
//
// The two interfaces differ in three ways that the adapters bridge:
//
//   - Policy. An auth.Auth sees the ServerInfo and may refuse to send its
//     secret; a sasl.Client sees nothing of the connection. FromSASL
//     therefore checks nothing: deciding whether a go-sasl mechanism may
//     run on a connection is the registry's job (or the caller's).
//   - Initial responses. go-sasl tells "no initial response" (nil) from an
//     empty one ([]byte{}); net/smtp's contract does not, and both net/smtp
//     and smtpauth's client send no initial response when it is empty. See
//     FromSASL and ToSASL for how each side keeps the exchange right.
//   - The end. An auth.Auth is told of success with Next(text, false); a
//     sasl.Client never is.
//
// The package is named gosasl so that it can be imported beside go-sasl's
// package sasl without renaming either.
package gosasl

import (
	"errors"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
)

// ErrNoMechanism reports a mechanism that returned no name from Start.
// Neither side may pass that on: smtpauth's client would take it as "skip
// authentication" and report success for a go-sasl client that meant no
// such thing, and a go-sasl client's caller would send "AUTH" with no name.
var ErrNoMechanism = errors.New("gosasl: mechanism returned no name")

var (
	errNilClient = errors.New("gosasl: nil sasl.Client")
	errNilAuth   = errors.New("gosasl: nil auth.Auth")
)

// adapterError is an error that crossed the adapter. Callers on either side
// test for an unexpected challenge with their own sentinel, so Is maps
// go-sasl's onto smtpauth's and back.
type adapterError struct {
	mech string
	err  error
}

func wrap(mech string, err error) error {
	var ae *adapterError
	if errors.As(err, &ae) {
		return err // already named once, on the way through the other adapter
	}
	return &adapterError{mech, err}
}

func (e *adapterError) Error() string {
	if e.mech == "" {
		return "gosasl: " + e.err.Error()
	}
	return "gosasl: " + e.mech + ": " + e.err.Error()
}

func (e *adapterError) Unwrap() error { return e.err }

func (e *adapterError) Is(target error) bool {
	switch target {
	case auth.ErrUnexpectedChallenge:
		return errors.Is(e.err, sasl.ErrUnexpectedServerChallenge)
	case sasl.ErrUnexpectedServerChallenge:
		return errors.Is(e.err, auth.ErrUnexpectedChallenge)
	}
	return false
}
