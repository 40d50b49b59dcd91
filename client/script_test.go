package client

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCert is a certificate for "example.com", 127.0.0.1 and ::1, borrowed
// from net/http/httptest, and a pool that trusts it.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	s := httptest.NewUnstartedServer(nil)
	s.StartTLS()
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s.TLS.Certificates[0], pool
})

// trustingConfig verifies the test certificate for "example.com".
func trustingConfig() *tls.Config {
	_, pool := testCert()
	return &tls.Config{RootCAs: pool, ServerName: "example.com"}
}

// scriptServer plays one side of an SMTP conversation from a script and
// records the exact bytes the client sent. Script lines:
//
//	S: text   the server sends text CRLF; consecutive S lines go in one write
//	S! text   the server sends text with no CRLF
//	C: text   the client must send exactly text CRLF next
//	TLS       the server starts TLS with the test certificate
//	HANG      the server stops answering until the client goes away
//	CLOSE     the server closes the connection and ends the script
//
// After the last line the server reads until the client closes, so any byte
// the client sends beyond the script is caught.
type scriptServer struct {
	Addr string
	ln   net.Listener
	done chan struct{}
	mu   sync.Mutex
	got  bytes.Buffer // client bytes, TLS decrypted
	errs []string
}

func newScriptServer(t *testing.T, script string) *scriptServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptServer{Addr: ln.Addr().String(), ln: ln, done: make(chan struct{})}
	go s.serve(strings.Split(strings.TrimSpace(script), "\n"))
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

func (s *scriptServer) errorf(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *scriptServer) serve(script []string) {
	defer close(s.done)
	conn, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	var pending bytes.Buffer
	flush := func() {
		if pending.Len() > 0 {
			conn.Write(pending.Bytes())
			pending.Reset()
		}
	}
	for i, line := range script {
		line = strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(line, "S: "):
			pending.WriteString(line[3:] + "\r\n")
		case strings.HasPrefix(line, "S! "):
			pending.WriteString(line[3:])
		case strings.HasPrefix(line, "C: "):
			flush()
			got, err := br.ReadString('\n')
			s.record(got)
			if want := line[3:] + "\r\n"; got != want {
				s.errorf("script line %d: client sent %q (%v), want %q", i+1, got, err, want)
				return
			}
		case line == "TLS":
			flush()
			cert, _ := testCert()
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				s.errorf("script line %d: TLS handshake: %v", i+1, err)
				return
			}
			conn, br = tc, bufio.NewReader(tc)
		case line == "HANG":
			flush()
		case line == "CLOSE":
			flush()
			return
		default:
			panic("bad script line: " + line)
		}
	}
	flush()
	rest, _ := io.ReadAll(br)
	s.record(string(rest))
	if len(rest) > 0 {
		s.errorf("client sent %q after the script ended", rest)
	}
}

func (s *scriptServer) record(b string) {
	s.mu.Lock()
	s.got.WriteString(b)
	s.mu.Unlock()
}

// check waits for the conversation to end and fails t if the client
// strayed from the script.
func (s *scriptServer) check(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatal("script server did not finish")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Error(e)
	}
}

// wire is everything the client sent, once the conversation has ended.
func (s *scriptServer) wire() string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

// dial connects a Client to s as server name host.
func (s *scriptServer) dial(t *testing.T, host string) *Client {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(conn, host)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
