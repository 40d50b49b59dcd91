// Package smtptest provides an in-process SMTP server for tests, in the
// manner of net/http/httptest.
//
// The server listens on a loopback address, presents a freshly generated
// self-signed certificate, authenticates a fixed set of users and records
// every message it accepts. It is built on github.com/emersion/go-smtp and
// is meant for tests only: it keeps everything in memory and logs
// credentials in its transcript.
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

	// Users maps user names to passwords, accepted by every mechanism.
	Users map[string]string

	// Mechanisms lists the SASL mechanisms advertised after EHLO, in order.
	// Supported are "PLAIN", "LOGIN" and "CRAM-MD5".
	Mechanisms []string

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
func NewUnstartedServer() *Server {
	return &Server{
		ServerName: "mail.smtpauth.test",
		Users:      map[string]string{"user@example.com": "password"},
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
	for _, m := range s.Mechanisms {
		if _, ok := saslServers[m]; !ok {
			panic(fmt.Sprintf("smtptest: unsupported SASL mechanism %q in Mechanisms", m))
		}
	}
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
	s.ln = &listener{Listener: l, conns: make(map[net.Conn]struct{})}
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
// This is a test server's raw log: it includes AUTH exchanges, hence
// passwords in base64. Bytes of concurrent connections may interleave.
func (s *Server) Transcript() string {
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
