// Package smtptest provides an in-process SMTP server for tests, in the
// manner of net/http/httptest.
//
// The server listens on a loopback address, presents a freshly generated
// self-signed certificate, authenticates a fixed set of users and records
// every message it accepts. It is built on github.com/emersion/go-smtp and
// is meant for tests only: it keeps everything in memory and logs
// credentials in its transcript.
//
// It accepts any sender and any recipient, except that a recipient whose
// local part is "reject" (reject@example.net) is refused with
// 550 5.1.1, so that tests can exercise per-recipient refusals.
package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is an SMTP server listening on a loopback address.
//
// Fields must be set before Start or StartTLS and not changed afterwards.
type Server struct {
	// Addr is the "127.0.0.1:port" address the server listens on, set once
	// started.
	Addr string

	// ServerName is the name the certificate is valid for, besides
	// "localhost", 127.0.0.1 and ::1. It is also the domain in the greeting.
	ServerName string

	// Users maps user names to passwords, accepted by every password
	// mechanism. SCRAM derives its stored credentials from them with a salt
	// fixed per user and 4096 iterations.
	Users map[string]string

	// Tokens maps user names to the OAuth 2.0 bearer tokens that XOAUTH2
	// and OAUTHBEARER accept. OAUTHBEARER takes the user name from its GS2
	// header ("a=user"); without one, the token is refused.
	//
	// A refused token gets the mechanism's error challenge, then 535 5.7.8
	// once the client has answered as the mechanism requires (501 5.5.2 for
	// any other answer):
	//   - XOAUTH2, as Gmail does:
	//     {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"},
	//     answered by an empty response;
	//   - OAUTHBEARER, as RFC 7628 section 3.2.2 has it:
	//     {"status":"invalid_token","scope":"smtp","openid-configuration":"https://ServerName/.well-known/openid-configuration"},
	//     answered by "\x01".
	Tokens map[string]string

	// Mechanisms lists the SASL mechanisms advertised after EHLO, in order.
	// Supported are "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
	// "SCRAM-SHA-256", "SCRAM-SHA-512", their "-PLUS" variants, "XOAUTH2"
	// and "OAUTHBEARER"; Start panics on any other name not in Refuse504.
	// Office 365's long-standing shape, LOGIN alone, is []string{"LOGIN"}.
	//
	// The -PLUS variants are advertised only under TLS and bind to it with
	// tls-exporter (RFC 9266) on TLS 1.3 and tls-unique (RFC 5929) on TLS
	// 1.2. While one is advertised, its base mechanism refuses a client
	// that could have bound but did not see it (RFC 5802 section 6).
	Mechanisms []string

	// LoginChallenges are the challenges LOGIN sends for the user name and
	// the password; an empty one stands for "Username:" or "Password:".
	// Servers in the wild also send "username:" and "password:", or
	// "User Name\x00" and "Password\x00".
	LoginChallenges [2]string

	// Refuse504 lists mechanisms of Mechanisms that are advertised but
	// answered with "504 5.5.4 Unrecognized authentication type" when a
	// client tries them, as some servers do. They need no implementation:
	// any name of RFC 4422 section 3.1 will do.
	Refuse504 []string

	// AllowInsecureAuth offers AUTH on connections not protected by TLS.
	AllowInsecureAuth bool

	// RequireAuth refuses MAIL with 530 5.7.0 until the client has
	// authenticated.
	RequireAuth bool

	srv       *smtp.Server
	ln        *listener
	serveDone chan struct{}
	cert      *x509.Certificate
	closeOnce sync.Once

	mu       sync.Mutex // guards messages
	messages []Message
	log      lockedBuffer
}

// Message is a message delivered to a Server.
type Message struct {
	From string   // reverse path given in MAIL FROM
	To   []string // accepted RCPT TO addresses, in order

	// Data is the message as received after dot-unstuffing, with the CRLF
	// line endings of the wire.
	Data []byte

	Auth string // SASL mechanism the session authenticated with, or ""
	User string // authenticated user name, or ""
	TLS  bool   // whether the session was under TLS at delivery
}

// maxMessageBytes is generous so tests can send attachments, yet bounded so
// a runaway client cannot exhaust memory.
const maxMessageBytes = 10 << 20

// NewServer starts and returns a new Server that speaks plain SMTP and
// offers STARTTLS. The caller should call Close when finished.
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewTLSServer starts and returns a new Server that uses implicit TLS
// (RFC 8314): the connection is TLS from the first byte. The caller should
// call Close when finished.
func NewTLSServer() *Server {
	s := NewUnstartedServer()
	s.StartTLS()
	return s
}

// NewUnstartedServer returns a new Server with default settings that is not
// yet listening, so that its fields can be changed before Start or StartTLS.
// Its one user is "user@example.com", with password "password" and token
// "token".
func NewUnstartedServer() *Server {
	return &Server{
		ServerName: "mail.smtpauth.test",
		Users:      map[string]string{"user@example.com": "password"},
		Tokens:     map[string]string{"user@example.com": "token"},
		Mechanisms: []string{"PLAIN", "CRAM-MD5"},
	}
}

// Start starts a server that offers STARTTLS, as NewServer does.
func (s *Server) Start() {
	s.start(false)
}

// StartTLS starts a server that uses implicit TLS, as NewTLSServer does.
func (s *Server) StartTLS() {
	s.start(true)
}

// start panics rather than returning an error, as httptest does, because
// its callers are tests that cannot proceed without a server.
func (s *Server) start(implicitTLS bool) {
	if s.srv != nil {
		panic("smtptest: Server already started")
	}
	s.checkMechanisms()
	cert, err := newCertificate(s.ServerName)
	if err != nil {
		panic(fmt.Sprintf("smtptest: %v", err))
	}
	s.cert = cert.Leaf
	tlsConfig := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("smtptest: failed to listen on a port: %v", err))
	}
	s.ln = &listener{Listener: l, conns: make(map[*conn]struct{})}
	s.Addr = l.Addr().String()

	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = s.ServerName
	s.srv.TLSConfig = tlsConfig
	s.srv.AllowInsecureAuth = s.AllowInsecureAuth
	s.srv.MaxMessageBytes = maxMessageBytes
	s.srv.EnableSMTPUTF8 = true
	s.srv.EnableDSN = true
	// Tests under -race can be slow; timeouts here would only cause flakes.
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.Debug = &s.log
	// Failed handshakes and dropped connections are often what a test
	// provokes on purpose; go-smtp's default stderr logging would be noise.
	s.srv.ErrorLog = log.New(io.Discard, "", 0)

	var ln net.Listener = s.ln
	if implicitTLS {
		ln = tls.NewListener(s.ln, tlsConfig)
	}
	s.serveDone = make(chan struct{})
	go func() {
		defer close(s.serveDone)
		s.srv.Serve(ln)
	}()
}

// checkMechanisms panics unless every advertised mechanism is implemented
// or refused on purpose, so that a typo fails the test at once rather than
// as a puzzling 454 reply.
func (s *Server) checkMechanisms() {
	for _, m := range s.Refuse504 {
		if !slices.Contains(s.Mechanisms, m) {
			panic(fmt.Sprintf("smtptest: %q in Refuse504 is not in Mechanisms", m))
		}
	}
	for _, m := range s.Mechanisms {
		if !validMechanism(m) {
			panic(fmt.Sprintf("smtptest: invalid SASL mechanism name %q in Mechanisms", m))
		}
		if _, ok := saslServers[m]; !ok && !slices.Contains(s.Refuse504, m) {
			panic(fmt.Sprintf("smtptest: unsupported SASL mechanism %q in Mechanisms", m))
		}
	}
}

// validMechanism reports whether m is a SASL mechanism name: 1 to 20
// upper-case letters, digits, hyphens and underscores (RFC 4422 section
// 3.1). go-smtp upper-cases the name a client sends, so no other could
// ever match.
func validMechanism(m string) bool {
	if len(m) < 1 || len(m) > 20 {
		return false
	}
	for _, c := range []byte(m) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) loginChallenges() [2]string {
	c := s.LoginChallenges
	if c[0] == "" {
		c[0] = "Username:"
	}
	if c[1] == "" {
		c[1] = "Password:"
	}
	return c
}

// Close shuts down the server and waits until every connection has been
// closed and its goroutine has returned. Close may be called more than once.
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	s.closeOnce.Do(func() {
		// go-smtp's Close does not wait for connection goroutines, and its
		// Shutdown waits but never interrupts them, so stop accepting and
		// interrupt the connections ourselves, then let Shutdown wait.
		s.ln.Close()
		<-s.serveDone
		s.ln.closeConns()
		s.srv.Shutdown(context.Background())
	})
}

// Certificate returns the certificate the server presents, or nil if the
// server has not been started.
func (s *Server) Certificate() *x509.Certificate {
	return s.cert
}

// ClientTLSConfig returns a new TLS configuration that trusts only the
// server's certificate and verifies it against ServerName.
func (s *Server) ClientTLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	if s.cert != nil {
		pool.AddCert(s.cert)
	}
	return &tls.Config{
		RootCAs:    pool,
		ServerName: s.ServerName,
		MinVersion: tls.VersionTLS12,
	}
}

// Messages returns copies of the messages delivered so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs := make([]Message, len(s.messages))
	for i, m := range s.messages {
		m.To = slices.Clone(m.To)
		m.Data = bytes.Clone(m.Data)
		msgs[i] = m
	}
	return msgs
}

func (s *Server) deliver(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
}

// Transcript returns the raw log of everything that crossed the wire in
// both directions on all connections, as go-smtp's debug output writes it.
// Traffic under TLS is logged in clear text; the TLS handshake is not.
//
// Transcript first waits, for a few seconds at most, until the server is
// waiting for every client or has closed the connection, so that every
// reply a client has received is in it.
//
// This is a test server's raw log: it includes AUTH exchanges, hence
// passwords in base64. Bytes of concurrent connections may interleave.
func (s *Server) Transcript() string {
	if s.ln != nil {
		s.ln.waitIdle(5 * time.Second)
	}
	return s.log.String()
}

// lockedBuffer is the go-smtp Debug writer; go-smtp shares it between all
// connection goroutines without synchronisation.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
