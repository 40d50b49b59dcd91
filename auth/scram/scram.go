// Package scram implements the client side of the SCRAM SASL mechanisms
// for SMTP: SCRAM-SHA-1 (RFC 5802), SCRAM-SHA-256 (RFC 7677), SCRAM-SHA-512
// (the same construction with SHA-512) and their -PLUS variants, which add
// channel binding (RFC 5802 §6): tls-exporter (RFC 9266) on TLS 1.3 and
// tls-unique (RFC 5929 §3) on TLS 1.2.
//
// Threat model, in five lines:
//   - the password never crosses the wire, only a proof bound to both nonces
//     (RFC 5802 §3), so an exchange cannot be replayed;
//   - an eavesdropper can still run an offline dictionary attack on it;
//   - the server proves it holds the user's verifier (v=), so an impostor
//     without the password database is caught (mutual authentication);
//   - -PLUS also binds the proof to this TLS channel, so a man in the middle
//     who terminates TLS cannot relay the exchange (RFC 5802 §6, RFC 9266).
//
// The Auth returned by [New] runs one exchange at a time: do not share one
// value between concurrent connections.
package scram

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/text/secure/precis"

	"github.com/smtpauth/smtpauth/auth"
)

// Iteration bounds used when the corresponding Config field is zero.
const (
	// DefaultMinIterations is the floor RFC 7677 §4 recommends: a server
	// asking for fewer makes stolen exchanges cheap to brute-force.
	DefaultMinIterations = 4096

	// DefaultMaxIterations caps the PBKDF2 work a hostile server can demand:
	// about 0.3 s of one core with SHA-1 or SHA-256, 1.2 s with SHA-512
	// (measured in 2025). It is above OWASP's 2023 recommendations for
	// PBKDF2-HMAC-SHA-256 (600,000) and -SHA-512 (210,000).
	DefaultMaxIterations = 1_000_000
)

var (
	// ErrUnknownMechanism reports a mechanism name that New does not know.
	ErrUnknownMechanism = errors.New("scram: unknown mechanism")

	// ErrNoChannelBinding reports a -PLUS mechanism started without TLS
	// channel binding data: it fails closed rather than send an unbound
	// exchange under a name that promises binding.
	ErrNoChannelBinding = errors.New("scram: no TLS channel binding data for -PLUS")

	// ErrWeakIterations reports a server iteration count below the minimum.
	ErrWeakIterations = errors.New("scram: server iteration count below the minimum")

	// ErrTooManyIterations reports a server iteration count above the
	// maximum; it is refused before any PBKDF2 work.
	ErrTooManyIterations = errors.New("scram: server iteration count above the maximum")

	// ErrServerNotVerified reports that the server did not prove that it
	// knows the password: a missing or wrong server signature (v=).
	ErrServerNotVerified = errors.New("scram: server signature not verified")

	// ErrBadServerMessage reports a server message that is not SCRAM.
	ErrBadServerMessage = errors.New("scram: malformed server message")

	// ErrInvalidCredentials reports a username, password or authorization
	// identity that PRECIS preparation rejects (RFC 8265).
	ErrInvalidCredentials = errors.New("scram: credential rejected by PRECIS preparation")
)

// ServerError is the server's e= attribute (RFC 5802 §7), such as
// "invalid-proof" or "unknown-user".
type ServerError struct {
	// Value is the server's error value, limited to 64 printable
	// characters so that it cannot forge log lines.
	Value string
}

// Error returns the server's error value with the package prefix.
func (e *ServerError) Error() string { return "scram: server error: " + e.Value }

// Config holds what a SCRAM client needs.
type Config struct {
	Username, Password string

	// Authzid is the optional authorization identity (gs2 "a=", RFC 5802
	// §7): the user to act as, when it differs from Username.
	Authzid string

	// MinIterations is the lowest PBKDF2 iteration count accepted from the
	// server; zero means DefaultMinIterations. Fewer: ErrWeakIterations.
	MinIterations int

	// MaxIterations is the highest iteration count accepted; zero means
	// DefaultMaxIterations. More: ErrTooManyIterations.
	MaxIterations int
}

// String hides the password from fmt's %v and %+v.
func (c Config) String() string {
	return fmt.Sprintf("scram.Config{Username: %q, Authzid: %q, MinIterations: %d, MaxIterations: %d}",
		c.Username, c.Authzid, c.MinIterations, c.MaxIterations)
}

// GoString hides the password from fmt's %#v.
func (c Config) GoString() string { return c.String() }

// MarshalJSON encodes the Config without its password.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username, Authzid            string
		MinIterations, MaxIterations int
	}{c.Username, c.Authzid, c.MinIterations, c.MaxIterations})
}

// Mechanisms returns the names New accepts, strongest first: every -PLUS
// variant ranks above every unbound one, because channel binding stops a
// man in the middle, while HMAC-SHA-1 has no practical attack in SCRAM.
func Mechanisms() []string {
	return []string{
		"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
		"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
	}
}

func hashFor(base string) func() hash.Hash {
	switch base {
	case "SCRAM-SHA-1":
		return sha1.New
	case "SCRAM-SHA-256":
		return sha256.New
	case "SCRAM-SHA-512":
		return sha512.New
	}
	return nil
}

// New returns an Auth for mechanism (one of [Mechanisms], in any case).
// The Auth also implements [auth.ConnStateAuth]: a -PLUS variant needs the
// TLS state, and without it fails in Start with ErrNoChannelBinding.
//
// Credentials are prepared here, so that a bad one fails before any
// connection. RFC 5802 §2.2 asks for SASLprep (RFC 4013), which RFC 8265
// replaced: the username goes through PRECIS UsernameCasePreserved, since
// servers compare it as sent and case mapping could name another account,
// and the password through OpaqueString, which maps and normalizes as
// SASLprep did. Both give SASLprep's result on ASCII; unlike SASLprep,
// UsernameCasePreserved rejects spaces. Empty credentials are rejected.
func New(mechanism string, cfg Config) (auth.Auth, error) {
	name, _ := auth.CanonicalMechanism(mechanism)
	base, plus := strings.CutSuffix(name, "-PLUS")
	h := hashFor(base)
	if h == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMechanism, mechanism)
	}
	minIter, maxIter := cfg.MinIterations, cfg.MaxIterations
	if minIter == 0 {
		minIter = DefaultMinIterations
	}
	if maxIter == 0 {
		maxIter = DefaultMaxIterations
	}
	if minIter < 1 || maxIter < minIter {
		return nil, fmt.Errorf("scram: invalid iteration bounds [%d, %d]", minIter, maxIter)
	}
	// RFC 5802 §7: saslname is 1*(...); x/text's precis allows "" here.
	if cfg.Username == "" {
		return nil, fmt.Errorf("%w: empty username", ErrInvalidCredentials)
	}
	user, err := precis.UsernameCasePreserved.String(cfg.Username)
	if err != nil {
		return nil, fmt.Errorf("%w: username: %w", ErrInvalidCredentials, err)
	}
	pass, err := precis.OpaqueString.String(cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("%w: password: %w", ErrInvalidCredentials, err)
	}
	var authzid string
	if cfg.Authzid != "" {
		if authzid, err = precis.UsernameCasePreserved.String(cfg.Authzid); err != nil {
			return nil, fmt.Errorf("%w: authzid: %w", ErrInvalidCredentials, err)
		}
		authzid = "a=" + escape(authzid)
	}
	return &client{
		mech: name, hash: h, plus: plus,
		user: escape(user), authzid: authzid, password: pass,
		minIter: minIter, maxIter: maxIter,
		newNonce: randomNonce,
	}, nil
}

// escape encodes a saslname (RFC 5802 §5.1): ',' and '=' would otherwise
// end or forge an attribute.
func escape(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// randomNonce returns 24 bytes from crypto/rand in base64: printable, and
// with no ',' (no padding either, as 24 is a multiple of 3). rand.Read
// never fails since Go 1.24.
func randomNonce() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

type state int

const (
	idle      state = iota // before Start, or after a failure
	sentFirst              // client-first-message sent
	sentFinal              // client-final-message sent
	verified               // server signature checked
)

type client struct {
	mech     string // canonical name, e.g. "SCRAM-SHA-256-PLUS"
	hash     func() hash.Hash
	plus     bool
	user     string // prepared and escaped
	authzid  string // "a=" and the prepared, escaped identity, or ""
	password string // prepared
	minIter  int
	maxIter  int
	conn     auth.ConnState
	newNonce func() string // replaced by tests to replay RFC vectors

	// One exchange.
	state       state
	cbind       string // c= value: base64(gs2 header + channel binding data)
	clientNonce string
	firstBare   string // client-first-message-bare
	serverSig   []byte // expected ServerSignature

	cache      keyCache
	pbkdf2Runs int // observed by tests
}

// SetConnState gives the TLS state for channel binding. The next Start
// consumes it, so that a later Start without a fresh call (net/smtp's
// client never calls it) cannot bind to a connection that is gone.
func (a *client) SetConnState(cs auth.ConnState) { a.conn = cs }

// Start sends the client-first-message as the initial response (RFC 4954
// §4), saving a round trip.
func (a *client) Start(server *auth.ServerInfo) (string, []byte, error) {
	cs := a.conn
	a.conn = auth.ConnState{}
	a.state = idle
	typ, data := bindingData(cs.TLS)
	// RFC 5802 §6: "p" binds; "y" says the client could bind but the server
	// seems not to offer it, which lets a server that does offer -PLUS
	// detect a man in the middle that removed it from the AUTH line.
	flag := "n"
	switch {
	case a.plus && typ == "":
		return "", nil, ErrNoChannelBinding
	case a.plus:
		flag = "p=" + typ
	case typ != "" && !offersPlus(server):
		flag, data = "y", nil
	default:
		data = nil
	}
	gs2 := flag + "," + a.authzid + ","
	a.cbind = base64.StdEncoding.EncodeToString(append([]byte(gs2), data...))
	a.clientNonce = a.newNonce()
	a.firstBare = "n=" + a.user + ",r=" + a.clientNonce
	a.state = sentFirst
	return a.mech, []byte(gs2 + a.firstBare), nil
}

// bindingData returns the channel binding type and data that cs allows, or
// "" when there is none.
func bindingData(cs *tls.ConnectionState) (typ string, data []byte) {
	if cs == nil || !cs.HandshakeComplete {
		return "", nil
	}
	if cs.Version >= tls.VersionTLS13 {
		// RFC 9266 §2: 32 bytes, this label, no context.
		b, err := exportKeyingMaterial(cs)
		if err != nil || len(b) == 0 {
			return "", nil
		}
		return "tls-exporter", b
	}
	// crypto/tls leaves TLSUnique nil where it is unsafe (RFC 7627).
	if len(cs.TLSUnique) == 0 {
		return "", nil
	}
	return "tls-unique", cs.TLSUnique
}

// exportKeyingMaterial guards against a ConnectionState built by hand
// rather than by crypto/tls: its exporter is a nil func, and calling it
// would panic.
func exportKeyingMaterial(cs *tls.ConnectionState) (b []byte, err error) {
	defer func() {
		if recover() != nil {
			b, err = nil, errors.New("no keying material exporter")
		}
	}()
	return cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
}

// offersPlus reports whether the server advertises any SCRAM -PLUS variant.
func offersPlus(server *auth.ServerInfo) bool {
	if server == nil {
		return false
	}
	for _, m := range server.Auth {
		m, _ = auth.CanonicalMechanism(m)
		if strings.HasPrefix(m, "SCRAM-") && strings.HasSuffix(m, "-PLUS") {
			return true
		}
	}
	return false
}

// Next answers the server-first-message with the client-final-message, then
// checks the server-final-message, which SMTP servers send as a 334
// challenge (SMTP has no additional data with success, RFC 4422 §3.6) and
// which the client acknowledges with an empty response. On the final 235
// reply, it fails unless the server signature was verified.
func (a *client) Next(fromServer []byte, more bool) ([]byte, error) {
	st := a.state
	a.state = idle // any failure below ends the exchange
	if !more {
		return nil, a.finish(st, fromServer)
	}
	switch st {
	case sentFirst:
		resp, err := a.clientFinal(fromServer)
		if err != nil {
			return nil, err
		}
		a.state = sentFinal
		return resp, nil
	case sentFinal:
		if err := a.verify(fromServer); err != nil {
			return nil, err
		}
		a.state = verified
		return []byte{}, nil
	}
	return nil, auth.ErrUnexpectedChallenge
}

// finish handles the success reply, whose text may carry the
// server-final-message in base64 instead of a 334 challenge.
func (a *client) finish(st state, text []byte) error {
	switch st {
	case verified:
		return nil
	case sentFinal:
		fields := strings.Fields(string(text))
		if len(fields) == 0 {
			break
		}
		msg, err := base64.StdEncoding.Strict().DecodeString(fields[len(fields)-1])
		if err == nil && (strings.HasPrefix(string(msg), "v=") || strings.HasPrefix(string(msg), "e=")) {
			return a.verify(msg)
		}
	}
	return ErrServerNotVerified
}
