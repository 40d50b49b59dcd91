package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// attr is one attribute of a SCRAM message: a letter, "=", a value.
type attr struct {
	key byte
	val string
}

// parseAttrs splits a server message into attributes (RFC 5802 §7).
func parseAttrs(msg []byte) ([]attr, error) {
	if !utf8.Valid(msg) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrBadServerMessage)
	}
	parts := strings.Split(string(msg), ",")
	attrs := make([]attr, 0, len(parts))
	for _, p := range parts {
		if len(p) < 2 || p[1] != '=' || !('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z') {
			return nil, fmt.Errorf("%w: not an attribute list", ErrBadServerMessage)
		}
		attrs = append(attrs, attr{p[0], p[2:]})
	}
	return attrs, nil
}

// checkCommon handles what any server message may carry instead of its
// content: an error (e=), or a mandatory extension (m=), which RFC 5802
// §5.1 tells the client to fail on since it cannot know what it demands.
func checkCommon(attrs []attr) error {
	if attrs[0].key == 'e' {
		return &ServerError{Value: sanitize(attrs[0].val)}
	}
	for _, at := range attrs {
		if at.key == 'm' {
			return fmt.Errorf("%w: mandatory extension m= is not supported", ErrBadServerMessage)
		}
	}
	return nil
}

// sanitize keeps the server's error value readable and harmless in logs.
func sanitize(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i == 64 {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// clientFinal parses the server-first-message (RFC 5802 §7:
// r=nonce,s=salt,i=count[,extensions]) and returns the
// client-final-message with the proof.
func (a *client) clientFinal(msg []byte) ([]byte, error) {
	attrs, err := parseAttrs(msg)
	if err != nil {
		return nil, err
	}
	if err := checkCommon(attrs); err != nil {
		return nil, err
	}
	// The order is fixed; later attributes are optional extensions, ignored.
	if len(attrs) < 3 || attrs[0].key != 'r' || attrs[1].key != 's' || attrs[2].key != 'i' {
		return nil, fmt.Errorf("%w: server-first-message is not r=,s=,i=", ErrBadServerMessage)
	}
	nonce := attrs[0].val
	// RFC 5802 §5.1: the server appends its own nonce to the client's; a
	// nonce that does not extend ours may be a replay.
	if !strings.HasPrefix(nonce, a.clientNonce) || len(nonce) == len(a.clientNonce) || !printable(nonce) {
		return nil, fmt.Errorf("%w: server nonce does not extend the client nonce", ErrBadServerMessage)
	}
	salt, err := base64.StdEncoding.Strict().DecodeString(attrs[1].val)
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: salt is not non-empty base64", ErrBadServerMessage)
	}
	iter, err := a.iterations(attrs[2].val)
	if err != nil {
		return nil, err
	}
	clientKey, serverKey, err := a.keys(salt, iter)
	if err != nil {
		return nil, err
	}

	// RFC 5802 §3.
	withoutProof := "c=" + a.cbind + ",r=" + nonce
	authMessage := []byte(a.firstBare + "," + string(msg) + "," + withoutProof)
	h := a.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	proof := a.mac(storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	a.serverSig = a.mac(serverKey, authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// printable reports whether s is made of RFC 5802 §7's printable
// characters: %x21-2B / %x2D-7E, ASCII without ','.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

// iterations parses i= (RFC 5802 §7: a positive decimal without leading
// zero) and checks it against the bounds before any PBKDF2 work.
func (a *client) iterations(s string) (int, error) {
	if s == "" || s[0] < '1' || s[0] > '9' || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: iteration count is not a positive decimal", ErrBadServerMessage)
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || n > a.maxIter: // digits only, so err is a range error
		return 0, fmt.Errorf("%w: %.20s > %d", ErrTooManyIterations, s, a.maxIter)
	case n < a.minIter:
		return 0, fmt.Errorf("%w: %d < %d", ErrWeakIterations, n, a.minIter)
	}
	return n, nil
}

// keyCache remembers the keys of the last salt and iteration count (the
// hash is fixed per Auth), so that logging in again with the same Auth
// skips PBKDF2, as RFC 5802 §5.1 suggests. It keeps ClientKey and
// ServerKey rather than SaltedPassword: they are all an exchange needs,
// while SaltedPassword is a plain PBKDF2 password hash that other systems
// might store or accept. ClientKey still logs in as the user wherever this
// salt is used; the Auth keeps the password itself anyway, for a new salt.
type keyCache struct {
	salt                 string
	iter                 int
	clientKey, serverKey []byte
}

func (a *client) keys(salt []byte, iter int) (clientKey, serverKey []byte, err error) {
	c := &a.cache
	if c.clientKey != nil && c.iter == iter && c.salt == string(salt) {
		return c.clientKey, c.serverKey, nil
	}
	a.pbkdf2Runs++
	salted, err := pbkdf2.Key(a.hash, a.password, salt, iter, a.hash().Size())
	if err != nil {
		return nil, nil, fmt.Errorf("scram: PBKDF2: %w", err)
	}
	defer clear(salted)
	*c = keyCache{
		salt:      string(salt),
		iter:      iter,
		clientKey: a.mac(salted, []byte("Client Key")),
		serverKey: a.mac(salted, []byte("Server Key")),
	}
	return c.clientKey, c.serverKey, nil
}

func (a *client) mac(key, msg []byte) []byte {
	m := hmac.New(a.hash, key)
	m.Write(msg)
	return m.Sum(nil)
}

// verify checks the server-final-message (RFC 5802 §7:
// (e=error / v=signature)[,extensions]).
func (a *client) verify(msg []byte) error {
	attrs, err := parseAttrs(msg)
	if err != nil {
		return err
	}
	if err := checkCommon(attrs); err != nil {
		return err
	}
	if attrs[0].key != 'v' {
		return fmt.Errorf("%w: server-final-message has no v=", ErrBadServerMessage)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(attrs[0].val)
	if err != nil {
		return fmt.Errorf("%w: v= is not base64", ErrBadServerMessage)
	}
	if len(a.serverSig) == 0 || !hmac.Equal(sig, a.serverSig) {
		return fmt.Errorf("%w: wrong server signature", ErrServerNotVerified)
	}
	return nil
}

// String hides the credentials from fmt's %v and %+v.
func (a *client) String() string { return a.mech }

// GoString hides the credentials from fmt's %#v.
func (a *client) GoString() string { return "scram.New(" + strconv.Quote(a.mech) + ", ...)" }
