package client

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// testCert is the scripted server's certificate, for "example.com",
// 127.0.0.1 and ::1, and a pool that trusts it.
func testCert() (tls.Certificate, *x509.CertPool) {
	return scripttest.Certificate(), scripttest.Pool()
}

// trustingConfig verifies the test certificate for "example.com".
func trustingConfig() *tls.Config { return scripttest.TrustingConfig() }

// scriptServer is internal/scripttest's scripted server, whose package
// documentation describes the script lines, with the client's own dial.
type scriptServer struct{ *scripttest.Server }

func newScriptServer(t *testing.T, script string) *scriptServer {
	t.Helper()
	return &scriptServer{scripttest.New(t, script)}
}

// check waits for the conversation to end and fails t if the client
// strayed from the script.
func (s *scriptServer) check(t *testing.T) {
	t.Helper()
	s.Check(t)
}

// wire is everything the client sent, once the conversation has ended.
func (s *scriptServer) wire() string { return s.Wire() }

// dial connects a Client to s as server name host.
func (s *scriptServer) dial(t *testing.T, host string) *Client {
	t.Helper()
	c, err := NewClient(s.Dial(t), host)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
