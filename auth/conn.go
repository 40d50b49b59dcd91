package auth

import (
	"crypto/tls"
	"log/slog"
	"net"
)

// ConnState describes the connection a mechanism runs on, beyond what
// ServerInfo says.
type ConnState struct {
	// TLS is the connection's TLS state, or nil when it is not TLS. SCRAM's
	// -PLUS variants derive their channel binding from it (RFC 5929, 9266).
	TLS *tls.ConnectionState

	// RemoteAddr is the server's socket address, when known: a loopback
	// address proves that nothing leaves the machine, whatever the name.
	RemoteAddr net.Addr

	// Logger, when not nil, is the client's trace; a registry logs its
	// selection decisions there. Never log a secret to it.
	Logger *slog.Logger
}

// ConnStateAuth is implemented by an Auth that needs ConnState. smtpauth's
// client calls SetConnState before every Start; net/smtp's client does not,
// and such an Auth must then behave as it would without TLS data (SCRAM
// does not offer channel binding, for example).
type ConnStateAuth interface {
	Auth
	SetConnState(ConnState)
}

// Retrier is implemented by an Auth that can make another attempt on the
// same connection after the server refused one: with a refreshed OAuth
// token, or with the next mechanism a registry allows. When the server
// answers an exchange with a failure reply, smtpauth's client calls Retry
// with that reply's error instead of closing the connection; if Retry
// returns true, the client starts a new exchange with Start. Other clients
// never call Retry.
type Retrier interface {
	Auth
	Retry(refusal error) bool
}
