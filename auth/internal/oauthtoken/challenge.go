package oauthtoken

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

const (
	// maxChallenge bounds the JSON parsed. smtpauth's client already bounds
	// a reply line to 4 KiB; net/smtp's does not.
	maxChallenge = 4096
	// maxField bounds each value kept, so that error texts stay readable.
	maxField = 256
)

// Fields are the members of a failure challenge's JSON object.
type Fields struct {
	members map[string]json.RawMessage
}

// ParseChallenge reads a failure challenge: a JSON object of at most 4096
// bytes. For anything else it returns malformed, wrapped with the length
// when the challenge is too long.
func ParseChallenge(b []byte, malformed error) (Fields, error) {
	if len(b) > maxChallenge {
		return Fields{}, fmt.Errorf("%w: %d bytes", malformed, len(b))
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(b, &members) != nil || members == nil {
		return Fields{}, malformed
	}
	return Fields{members}, nil
}

// Get returns the member named key as text safe to print, cut after 256
// bytes: a JSON string, or a number as written (a server may send a status
// as 401 instead of "401"). For anything else, or no such member, it
// returns "".
func (f Fields) Get(key string) string {
	raw, ok := f.members[key]
	if !ok {
		return ""
	}
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

// RefusalText is the text of a mechanism's Error: name, then each pair of
// namesAndValues whose value is not empty, the value quoted so that a
// hand-made Error cannot forge lines either. A last name without a value
// is ignored.
func RefusalText(name string, namesAndValues ...string) string {
	var b strings.Builder
	b.WriteString(name + ": server refused the token")
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		if v := namesAndValues[i+1]; v != "" {
			fmt.Fprintf(&b, ", %s %q", namesAndValues[i], v)
		}
	}
	return b.String()
}
