// Package scripttest plays the server side of an SMTP conversation from a
// script and records the exact bytes the client sent. It is test support
// for smtpauth's own tests: the client's unit tests and the adversarial
// suite. It does not import the client, whose internal tests import it.
//
// A script is a list of lines:
//
//	S: text   the server sends text CRLF; consecutive S lines go in one write
//	S! text   the server sends text with no CRLF
//	C: text   the client must send exactly text CRLF next
//	TLS       the server starts TLS with the test certificate
//	TLSFAIL   the server starts TLS, and the client must abort the handshake
//	STEP      the server runs the next Step given to New
//	HANG      the server sends what is pending and stops answering
//	DISCARD   the server reads and records anything until the client goes away
//	CLOSE     the server closes the connection and ends the script
//
// After the last line the server reads until the client closes, so any
// byte the client sends beyond the script is caught.
package scripttest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// connTimeout bounds a whole conversation on the server's side, so that a
// client that never closes cannot keep a test waiting for ever.
const connTimeout = 10 * time.Second

// testCert is net/http/httptest's certificate for "example.com",
// 127.0.0.1 and ::1, and a pool that trusts it.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	s := httptest.NewUnstartedServer(nil)
	s.StartTLS()
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s.TLS.Certificates[0], pool
})

// Certificate returns the certificate the server presents in TLS: valid
// for "example.com", 127.0.0.1 and ::1, signed by the key of Pool.
func Certificate() tls.Certificate {
	cert, _ := testCert()
	return cert
}

// Pool returns a pool that trusts Certificate.
func Pool() *x509.CertPool {
	_, pool := testCert()
	return pool
}

// TrustingConfig returns a new client configuration that trusts only
// Certificate and verifies it for "example.com".
func TrustingConfig() *tls.Config {
	return &tls.Config{RootCAs: Pool(), ServerName: "example.com"}
}

// A Step is a part of a conversation written in Go, for what a fixed
// script cannot say: a SCRAM server needs the client's random nonce. A
// Step that returns an error fails the script there.
type Step func(c *Conn) error

// Server is one scripted conversation on a loopback listener.
type Server struct {
	// Addr is the listener's address, "127.0.0.1:port".
	Addr string

	ln    net.Listener
	steps []Step
	done  chan struct{}

	mu       sync.Mutex
	accepted bool
	got      bytes.Buffer // client bytes, TLS decrypted
	errs     []string
}

// New starts a server that plays script with the first client that
// connects. Steps run, in order, at the script's STEP lines. The server is
// stopped when t's test ends.
func New(t testing.TB, script string, steps ...Step) *Server {
	t.Helper()
	// Only newlines are trimmed at the end: a last line "S: " means CRLF.
	lines := strings.Split(strings.TrimRight(strings.TrimLeft(script, " \t\r\n"), "\n"), "\n")
	nsteps := 0
	for i, line := range lines {
		line = strings.TrimLeft(line, " \t")
		lines[i] = line
		if !validLine(line) {
			t.Fatalf("scripttest: bad script line %d: %q", i+1, line)
		}
		if line == "STEP" {
			nsteps++
		}
	}
	if nsteps != len(steps) {
		t.Fatalf("scripttest: %d STEP lines for %d steps", nsteps, len(steps))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, steps: steps, done: make(chan struct{})}
	go s.serve(lines)
	t.Cleanup(s.Close)
	return s
}

func validLine(line string) bool {
	switch line {
	case "", "TLS", "TLSFAIL", "STEP", "HANG", "DISCARD", "CLOSE":
		return true
	}
	return strings.HasPrefix(line, "S: ") || strings.HasPrefix(line, "S! ") || strings.HasPrefix(line, "C: ")
}

// Close stops accepting and waits for the conversation to end.
func (s *Server) Close() {
	s.ln.Close()
	<-s.done
}

func (s *Server) errorf(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *Server) record(b string) {
	s.mu.Lock()
	s.got.WriteString(b)
	s.mu.Unlock()
}

func (s *Server) serve(script []string) {
	defer close(s.done)
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	s.ln.Close() // one conversation per server
	s.mu.Lock()
	s.accepted = true
	s.mu.Unlock()
	c := &Conn{s: s, conn: conn, br: bufio.NewReader(conn)}
	defer func() { c.conn.Close() }()
	conn.SetDeadline(time.Now().Add(connTimeout))
	steps := s.steps
	for i, line := range script {
		switch {
		case line == "":
		case strings.HasPrefix(line, "S: "):
			c.pending.WriteString(line[3:] + "\r\n")
		case strings.HasPrefix(line, "S! "):
			c.pending.WriteString(line[3:])
		case strings.HasPrefix(line, "C: "):
			c.flush()
			got, err := c.br.ReadString('\n')
			s.record(got)
			if want := line[3:] + "\r\n"; got != want {
				s.errorf("script line %d: client sent %q (%v), want %q", i+1, got, err, want)
				return
			}
		case line == "TLS":
			if err := c.StartTLS(nil); err != nil {
				s.errorf("script line %d: %v", i+1, err)
				return
			}
		case line == "TLSFAIL":
			if err := c.StartTLS(nil); err == nil {
				s.errorf("script line %d: the client completed a TLS handshake it should have refused", i+1)
			}
			return
		case line == "STEP":
			c.flush()
			step := steps[0]
			steps = steps[1:]
			if err := step(c); err != nil {
				s.errorf("script line %d (STEP): %v", i+1, err)
				return
			}
		case line == "HANG":
			c.flush()
		case line == "DISCARD":
			c.flush()
			rest, _ := io.ReadAll(c.br)
			s.record(string(rest))
			return
		case line == "CLOSE":
			c.flush()
			return
		}
	}
	c.flush()
	rest, _ := io.ReadAll(c.br)
	s.record(string(rest))
	if len(rest) > 0 {
		s.errorf("client sent %q after the script ended", rest)
	}
}

// Check waits for the conversation to end and fails t if the client
// strayed from the script.
func (s *Server) Check(t testing.TB) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(connTimeout + 5*time.Second):
		t.Fatal("scripttest: the conversation did not end")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Error(e)
	}
}

// Wire returns everything the client sent, TLS decrypted, once the
// conversation has ended.
func (s *Server) Wire() string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

// Accepted reports whether a client connected.
func (s *Server) Accepted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Dial connects to the server, for a client constructor such as
// NewClient(s.Dial(t), host).
func (s *Server) Dial(t testing.TB) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// Conn is the server's side of the connection, given to a Step.
type Conn struct {
	s       *Server
	conn    net.Conn
	br      *bufio.Reader
	pending bytes.Buffer // S lines not yet written
}

func (c *Conn) flush() {
	if c.pending.Len() > 0 {
		c.conn.Write(c.pending.Bytes())
		c.pending.Reset()
	}
}

// ReadLine reads one line from the client, its line ending included, and
// records it.
func (c *Conn) ReadLine() (string, error) {
	line, err := c.br.ReadString('\n')
	c.s.record(line)
	return line, err
}

// Expect reads one line and fails unless it is exactly want CRLF.
func (c *Conn) Expect(want string) error {
	got, err := c.ReadLine()
	if got != want+"\r\n" {
		return fmt.Errorf("client sent %q (%v), want %q", got, err, want+"\r\n")
	}
	return nil
}

// Write sends s as it is.
func (c *Conn) Write(s string) error {
	_, err := io.WriteString(c.conn, s)
	return err
}

// WriteLine sends s and CRLF.
func (c *Conn) WriteLine(s string) error { return c.Write(s + "\r\n") }

// StartTLS runs the server side of a TLS handshake; a nil config presents
// Certificate.
func (c *Conn) StartTLS(config *tls.Config) error {
	c.flush()
	if config == nil {
		config = &tls.Config{Certificates: []tls.Certificate{Certificate()}}
	}
	tc := tls.Server(c.conn, config)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	c.conn, c.br = tc, bufio.NewReader(tc)
	return nil
}

// TLS returns the connection's TLS state, if it is TLS.
func (c *Conn) TLS() (tls.ConnectionState, error) {
	tc, ok := c.conn.(*tls.Conn)
	if !ok {
		return tls.ConnectionState{}, errors.New("not a TLS connection")
	}
	return tc.ConnectionState(), nil
}
