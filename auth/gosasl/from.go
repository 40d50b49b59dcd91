package gosasl

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
)

// ErrInvalidIdentity reports an EXTERNAL authorization identity that RFC
// 4422 Appendix A.1 does not allow: authz-id-string is UTF-8 without NUL.
var ErrInvalidIdentity = errors.New("gosasl: EXTERNAL identity is not UTF-8 without NUL")

// ErrInvalidTrace reports ANONYMOUS trace information that RFC 4505 does not
// allow: invalid UTF-8, a control character (prohibited by the "trace"
// profile of §3, and what would let it forge lines in a server's log), or a
// token without '@' longer than 255 characters (§2).
var ErrInvalidTrace = errors.New("gosasl: ANONYMOUS trace is not valid RFC 4505 trace information")

type fromSASL struct {
	c       sasl.Client
	name    string // for String: the mechanism, when the constructor knows it
	invalid error  // the constructor's verdict on its arguments, for Start

	// owesEmpty records that Start returned an empty initial response, not
	// sent on the wire: it is owed to the server's first challenge.
	owesEmpty bool
	mech      string
}

// FromSASL returns an Auth that runs the go-sasl client c.
//
// Start ignores its ServerInfo: go-sasl's clients make no check of their
// own, so FromSASL(sasl.NewPlainClient(...)) sends a password on any
// connection. Register such an Auth with the registry under the policy its
// mechanism needs, or check the ServerInfo before using it.
//
// When c's Start returns an empty, non-nil initial response (go-sasl's
// EXTERNAL and ANONYMOUS do so for an empty identity or trace), the Auth
// returns it as it is; net/smtp and smtpauth's client then send none, and
// the server asks for it with an empty challenge (RFC 4422 §3 and §5 2a).
// The Auth answers that first empty challenge with the empty response
// itself, because go-sasl's clients would reject it as unexpected. A first
// challenge that is not empty goes to c, as one sent after the initial
// response would.
//
// Next(text, false), the report of success, never reaches c, which has no
// such step.
func FromSASL(c sasl.Client) auth.Auth {
	return &fromSASL{c: c}
}

// External returns an Auth that implements EXTERNAL (RFC 4422 Appendix A)
// with go-sasl's client: the server authenticates the client by means
// outside SASL, usually its TLS client certificate. identity is the
// authorization identity to act as, or empty to act as the one the server
// associates with those means.
func External(identity string) auth.Auth {
	a := &fromSASL{c: sasl.NewExternalClient(identity), name: sasl.External}
	if !utf8.ValidString(identity) || strings.ContainsRune(identity, 0) {
		a.invalid = ErrInvalidIdentity
	}
	return a
}

// Anonymous returns an Auth that implements ANONYMOUS (RFC 4505) with
// go-sasl's client. trace is the optional trace information of RFC 4505
// §2: an email address, or an opaque token without '@' that the client's
// administrator can interpret; empty sends none. The servers that offer
// ANONYMOUS let anyone in, with restricted rights.
func Anonymous(trace string) auth.Auth {
	a := &fromSASL{c: sasl.NewAnonymousClient(trace), name: sasl.Anonymous}
	if !validTrace(trace) {
		a.invalid = ErrInvalidTrace
	}
	return a
}

// validTrace checks what matters of RFC 4505's grammar (§2) and "trace"
// profile (§3): UTF-8, no control character, the length of a token. The
// profile's other prohibited tables (private use, non-characters, display
// properties, bidi rules) would need stringprep tables and make no
// difference to safety; the server checks them if it cares.
func validTrace(trace string) bool {
	if !utf8.ValidString(trace) || strings.IndexFunc(trace, unicode.IsControl) >= 0 {
		return false
	}
	return strings.Contains(trace, "@") || utf8.RuneCountInString(trace) <= 255
}

func (a *fromSASL) Start(*auth.ServerInfo) (string, []byte, error) {
	a.owesEmpty, a.mech = false, ""
	if a.invalid != nil {
		return "", nil, a.invalid
	}
	if a.c == nil {
		return "", nil, errNilClient
	}
	mech, ir, err := a.c.Start()
	if err != nil {
		return "", nil, wrap(mech, err)
	}
	if mech == "" {
		return "", nil, ErrNoMechanism
	}
	a.mech = mech
	a.owesEmpty = ir != nil && len(ir) == 0
	return mech, ir, nil
}

func (a *fromSASL) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.c == nil {
		return nil, errNilClient
	}
	if a.owesEmpty {
		a.owesEmpty = false
		// RFC 4422 §5 2a: a client-first mechanism whose initial response
		// was not sent gets an empty first challenge, answered with it.
		if len(challenge) == 0 {
			return []byte{}, nil
		}
	}
	resp, err := a.c.Next(challenge)
	if err != nil {
		return nil, wrap(a.mech, err)
	}
	return resp, nil
}

// String names the mechanism when it is known, and never shows what the
// go-sasl client holds (go-sasl's own clients keep passwords and tokens in
// exported fields).
func (a *fromSASL) String() string {
	if a.name != "" {
		return a.name
	}
	return "gosasl.FromSASL(...)"
}

// GoString hides the go-sasl client from fmt's %#v.
func (a *fromSASL) GoString() string { return "gosasl.FromSASL(...)" }
