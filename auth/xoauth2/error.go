package xoauth2

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/smtpauth/smtpauth/auth"
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
	var b strings.Builder
	b.WriteString("xoauth2: server refused the token")
	for _, f := range [...]struct{ name, value string }{
		{"status", e.Status}, {"schemes", e.Schemes}, {"scope", e.Scope},
	} {
		if f.value != "" {
			fmt.Fprintf(&b, ", %s %q", f.name, f.value)
		}
	}
	return b.String()
}

// ServerError returns what the server's failure challenge said in the last
// exchange of a: an [*Error], an error wrapping [ErrMalformedChallenge], or
// nil if there was no failure challenge or a is not from [New]. The SMTP
// client only returns the final failure reply, which does not say why.
func ServerError(a auth.Auth) error {
	x, ok := a.(*xoauth2Auth)
	if !ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.failure
}

const (
	// maxChallenge bounds the JSON parsed. smtpauth's client already bounds
	// a reply line to 4 KiB; net/smtp's does not.
	maxChallenge = 4096
	// maxField bounds each value kept, so that error texts stay readable.
	maxField = 256
)

// parseFailure reads the failure challenge. It never fails: whatever the
// server sent, the caller answers with the dummy reply.
func parseFailure(b []byte) error {
	if len(b) > maxChallenge {
		return fmt.Errorf("%w: %d bytes", ErrMalformedChallenge, len(b))
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil || fields == nil {
		return ErrMalformedChallenge
	}
	return &Error{
		Status:  field(fields["status"]),
		Schemes: field(fields["schemes"]),
		Scope:   field(fields["scope"]),
	}
}

// field returns a JSON string or number as sanitised text, and "" for
// anything else: a server may send the status as 401 instead of "401".
func field(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		s = n.String()
	}
	return sanitize(s)
}

// sanitize makes a server's value safe to print: it could otherwise forge
// lines in logs or reorder text with bidirectional controls.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxField {
			b.WriteString("...")
			break
		}
		if !unicode.IsPrint(r) {
			r = unicode.ReplacementChar
		}
		b.WriteRune(r)
	}
	return b.String()
}
