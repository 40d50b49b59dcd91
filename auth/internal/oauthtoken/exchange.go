package oauthtoken

import (
	"errors"
	"fmt"
	"net/textproto"
	"sync"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
)

// Exchange is what a token Auth remembers between Start, Next and Retry:
// the token of the current exchange, what its failure challenge said, the
// last token the server refused, and the one fresh token Retry may get.
//
// The rules it keeps: the only challenge is one failure challenge after
// the initial response; a success after it is an error; Retry says yes at
// most once, only when the refusal was about the token and the token
// source gives a different valid token; a refused token is never sent
// again.
//
// An Exchange is safe for concurrent use, so an Auth shared between
// connections stays memory-safe; its bookkeeping is then shared too.
type Exchange struct {
	mech Mechanism
	ts   oauth2.TokenSource

	mu       sync.Mutex
	sent     string // token of the current exchange, "" until Token succeeds
	answered bool   // the failure challenge of the current exchange got its reply
	failure  error  // what that challenge said: from NewError, ErrMalformedChallenge or nil
	status   string // that challenge's status, "" if it named none
	rejected string // last token the server refused
	fresh    string // token Retry obtained for the next Start
	retried  bool
}

// NewExchange returns an Exchange for mechanism m that asks ts for tokens.
func NewExchange(m Mechanism, ts oauth2.TokenSource) *Exchange {
	return &Exchange{mech: m, ts: ts}
}

// Reset forgets the current exchange. Start calls it first, so that a
// Start that fails leaves nothing for Next or Retry to act on.
func (x *Exchange) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.sent, x.answered = "", false
}

// Token returns the token for Start to send: the one Retry obtained, or
// else a new one from the token source. It fails with ErrTokenRejected,
// wrapping what the server said if it said anything, when that is the
// token the server refused. Its success begins the exchange.
func (x *Exchange) Token() (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	token := x.fresh
	x.fresh = ""
	if token == "" {
		var err error
		if token, err = x.mech.Fetch(x.ts); err != nil {
			return "", err
		}
	}
	if token == x.rejected {
		if x.failure != nil {
			return "", fmt.Errorf("%w: %w", x.mech.ErrTokenRejected, x.failure)
		}
		return "", x.mech.ErrTokenRejected
	}
	x.sent, x.answered, x.failure, x.status = token, false, nil, ""
	return token, nil
}

// Next is Auth.Next after an initial response with the token of Token. It
// answers the failure challenge with dummy, whatever the challenge held,
// so that the server sends its final reply; it refuses any other
// challenge with auth.ErrUnexpectedChallenge. A success after a failure
// challenge contradicts it; trusting either side would be a guess, so the
// exchange fails.
func (x *Exchange) Next(fromServer []byte, more bool, dummy []byte) ([]byte, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !more {
		if x.failure != nil {
			return nil, fmt.Errorf("%s: server accepted after refusing the token: %w", x.mech.Name, x.failure)
		}
		return nil, nil
	}
	if x.sent == "" || x.answered {
		return nil, auth.ErrUnexpectedChallenge
	}
	x.answered = true
	if fields, err := ParseChallenge(fromServer, x.mech.ErrMalformedChallenge); err != nil {
		x.failure, x.status = err, ""
	} else {
		x.failure, x.status = x.mech.NewError(fields), fields.Get("status")
	}
	if x.status != "" && x.mech.RefusesToken(x.status) {
		x.rejected = x.sent
	}
	return dummy, nil
}

// Retry is auth.Retrier's Retry: it reports whether Start should run
// again, with a fresh token it has already obtained.
func (x *Exchange) Retry(refusal error) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.retried || x.sent == "" || !x.tokenRefused(refusal) {
		return false
	}
	x.rejected = x.sent
	token, err := x.mech.Fetch(x.ts)
	if err != nil || token == x.rejected {
		return false
	}
	x.retried, x.fresh = true, token
	return true
}

// tokenRefused reports whether the refusal was about the token: the
// failure challenge's status says so when it names one, otherwise a 535
// (RFC 4954 §6, credentials invalid) does.
func (x *Exchange) tokenRefused(refusal error) bool {
	if x.status != "" {
		return x.mech.RefusesToken(x.status)
	}
	var tp *textproto.Error
	return errors.As(refusal, &tp) && tp.Code == 535
}

// Failure returns what the failure challenge of the last exchange said: the
// error of NewError, an error wrapping ErrMalformedChallenge, or nil if
// there was none.
func (x *Exchange) Failure() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.failure
}
