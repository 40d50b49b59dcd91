package smtptest

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/xdg-go/scram"
)

// scramIterations is the minimum of RFC 7677 section 4, which is also the
// least that xdg-go/scram's client accepts.
const scramIterations = 4096

var errUnknownUser = errors.New("smtptest: unknown user")

// scramServer implements SCRAM (RFC 5802, RFC 7677) and its -PLUS variants
// on top of xdg-go/scram, so that our own client is checked against code
// written by others. It adds what the library leaves to the protocol: the
// SMTP framing and the choice of channel binding.
type scramServer struct {
	e    *exchange
	hash scram.HashGeneratorFcn
	plus bool
	conv *scram.ServerConversation
}

func newSCRAMServer(hash scram.HashGeneratorFcn, plus bool) func(e *exchange) sasl.Server {
	return func(e *exchange) sasl.Server {
		return &scramServer{e: e, hash: hash, plus: plus}
	}
}

func (a *scramServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case a.conv == nil && response == nil:
		// Without an initial response, an empty challenge asks for
		// client-first-message (RFC 4954 section 4).
		return []byte{}, false, nil
	case a.conv == nil:
		return a.first(response)
	case !a.conv.Done():
		return a.final(response)
	}
	// go-smtp's 235 reply carries no data, so server-final-message went
	// out as a last challenge, which the client acknowledges with an empty
	// response (RFC 4422 section 3.6).
	if len(response) != 0 {
		return nil, true, errProtocol("Expected an empty response to the SCRAM server-final-message")
	}
	a.e.login(a.conv.Username())
	return nil, true, nil
}

func (a *scramServer) first(response []byte) ([]byte, bool, error) {
	// RFC 5802 section 6: "p" binds to the channel, which only the -PLUS
	// mechanism does. The library cannot check it: it does not know which
	// name the client chose.
	if !a.plus && bytes.HasPrefix(response, []byte("p=")) {
		return nil, true, scramFailure(scram.ErrChannelBindingNotSupported)
	}
	srv, err := a.hash.NewServer(a.lookup)
	if err != nil {
		return nil, true, err
	}
	cb, bound := a.e.s.channelBinding()
	switch {
	case a.plus:
		a.conv = srv.NewConversationWithChannelBindingRequired(cb)
	case bound && a.e.s.offers(a.e.mech+"-PLUS"):
		// Lets the library refuse "y", the mark of a downgrade: the client
		// could bind but did not see the -PLUS variant we advertised.
		a.conv = srv.NewConversationWithChannelBinding(cb)
	default:
		a.conv = srv.NewConversation()
	}
	msg, err := a.conv.Step(string(response))
	if err != nil {
		return nil, true, scramFailure(msg)
	}
	// Acting on behalf of another identity is not supported.
	if authz := a.conv.AuthzID(); authz != "" && authz != a.conv.Username() {
		return nil, true, smtp.ErrAuthFailed
	}
	return []byte(msg), false, nil
}

func (a *scramServer) final(response []byte) ([]byte, bool, error) {
	msg, err := a.conv.Step(string(response))
	if err != nil || !a.conv.Valid() {
		return nil, true, scramFailure(msg)
	}
	return []byte(msg), false, nil
}

// lookup derives the stored credentials of RFC 5802 section 3 from Users,
// with a salt fixed per user so that they are the same on every exchange.
func (a *scramServer) lookup(user string) (scram.StoredCredentials, error) {
	password, ok := a.e.s.srv.Users[user]
	if !ok {
		return scram.StoredCredentials{}, errUnknownUser
	}
	// Only the password matters here; NewClient applies SASLprep to it,
	// as RFC 5802 section 5.1 asks of both sides.
	c, err := a.hash.NewClient("", password, "")
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	salt := sha256.Sum256([]byte("smtptest SCRAM salt\x00" + user))
	return c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt[:16]), Iters: scramIterations})
}

// scramFailure answers 535 at once, which RFC 5802 section 5.1 allows
// instead of a server-final-message with an error, and names that error
// in the reply text, so that tests can tell a bad proof from a channel
// binding mismatch.
func scramFailure(serverError string) error {
	if serverError == "" {
		return smtp.ErrAuthFailed
	}
	return &smtp.SMTPError{
		Code:         535,
		EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message:      "Authentication failed (" + serverError + ")",
	}
}

// channelBinding returns what -PLUS mechanisms bind to on this connection:
// tls-exporter (RFC 9266) under TLS 1.3 and tls-unique (RFC 5929 section
// 3) under TLS 1.2, as our client chooses; SCRAM does not negotiate the
// type. Go gives no tls-unique for a TLS 1.2 session resumed without the
// extended master secret, and then there is nothing to bind to.
func (s *session) channelBinding() (scram.ChannelBinding, bool) {
	cs, ok := s.conn.TLSConnectionState()
	switch {
	case !ok:
		return scram.ChannelBinding{}, false
	case cs.Version >= tls.VersionTLS13:
		cb, err := scram.NewTLSExporterBinding(&cs)
		return cb, err == nil
	case len(cs.TLSUnique) > 0:
		return scram.NewTLSUniqueBinding(cs.TLSUnique), true
	}
	return scram.ChannelBinding{}, false
}
