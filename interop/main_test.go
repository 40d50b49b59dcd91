package interop

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	// The client under test, a drop-in replacement for net/smtp (imported
	// under that name on purpose). Apart from TestDialTLS, these tests also
	// compile against the standard library with smtp "net/smtp", which is
	// useful to tell a client bug from a server or setup problem.
	smtp "github.com/smtpauth/smtpauth/client"
)

const (
	// serverName is the name in Dovecot's certificate and its hostname.
	serverName = "mail.smtpauth.test"
	// recipient is the envelope recipient of every test message.
	recipient = "bob@example.test"

	// relayWait bounds how long a test waits for Dovecot to relay a
	// message to the sink.
	relayWait = 10 * time.Second
	// connDeadline bounds every SMTP conversation with Dovecot.
	connDeadline = 30 * time.Second
)

// dovecotConfig is what .ci/dovecot-start exports.
type dovecotConfig struct {
	starttlsAddr string // SMTPAUTH_DOVECOT_STARTTLS
	tlsAddr      string // SMTPAUTH_DOVECOT_TLS
	caFile       string // SMTPAUTH_DOVECOT_CA
	relayAddr    string // SMTPAUTH_DOVECOT_RELAY
	user         string // SMTPAUTH_DOVECOT_USER
	password     string // SMTPAUTH_DOVECOT_PASSWORD
	roots        *x509.CertPool
}

var (
	cfg    *dovecotConfig // nil if SMTPAUTH_DOVECOT_STARTTLS is unset
	cfgErr error          // set if the environment is incomplete or broken
	relay  *sink          // started by TestMain when cfg != nil
)

func TestMain(m *testing.M) {
	cfg, cfgErr = loadConfig()
	var srv *gosmtp.Server
	if cfg != nil {
		var err error
		relay = &sink{}
		srv, err = relay.start(cfg.relayAddr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "interop: cannot start the relay sink on %s: %v\n", cfg.relayAddr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if srv != nil {
		srv.Close()
	}
	os.Exit(code)
}

func loadConfig() (*dovecotConfig, error) {
	if os.Getenv("SMTPAUTH_DOVECOT_STARTTLS") == "" {
		return nil, nil
	}
	c := &dovecotConfig{}
	var missing []string
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"SMTPAUTH_DOVECOT_STARTTLS", &c.starttlsAddr},
		{"SMTPAUTH_DOVECOT_TLS", &c.tlsAddr},
		{"SMTPAUTH_DOVECOT_CA", &c.caFile},
		{"SMTPAUTH_DOVECOT_RELAY", &c.relayAddr},
		{"SMTPAUTH_DOVECOT_USER", &c.user},
		{"SMTPAUTH_DOVECOT_PASSWORD", &c.password},
	} {
		*v.dst = os.Getenv(v.name)
		if *v.dst == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("SMTPAUTH_DOVECOT_STARTTLS is set but %s missing; source the env file written by .ci/dovecot-start", strings.Join(missing, ", "))
	}
	pem, err := os.ReadFile(c.caFile)
	if err != nil {
		return nil, fmt.Errorf("SMTPAUTH_DOVECOT_CA: %v", err)
	}
	c.roots = x509.NewCertPool()
	if !c.roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SMTPAUTH_DOVECOT_CA: no certificate in %s", c.caFile)
	}
	return c, nil
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// dovecot returns the server configuration, or skips the test if there is
// none (fails it in CI, where a missing server is an error).
func dovecot(t *testing.T) *dovecotConfig {
	t.Helper()
	if cfgErr != nil {
		t.Fatal(cfgErr)
	}
	if cfg == nil {
		const msg = "SMTPAUTH_DOVECOT_STARTTLS is not set: no Dovecot to test against; " +
			"run `bash .ci/dovecot-start` and source the dovecot.env it writes (see doc.go)"
		if inCI() {
			t.Fatal(msg + " (CI=true: this is a failure)")
		}
		t.Skip(msg)
	}
	return cfg
}

// tlsConfig verifies Dovecot's certificate against the test CA and
// serverName.
func (c *dovecotConfig) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: serverName, RootCAs: c.roots, MinVersion: tls.VersionTLS12}
}

// dialPlain connects to the STARTTLS listener without starting TLS. The
// client is closed when the test ends.
func dialPlain(t *testing.T, c *dovecotConfig) *smtp.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", c.starttlsAddr, connDeadline)
	if err != nil {
		t.Fatalf("dial %s: %v", c.starttlsAddr, err)
	}
	conn.SetDeadline(time.Now().Add(connDeadline))
	cl, err := smtp.NewClient(conn, serverName)
	if err != nil {
		conn.Close()
		t.Fatalf("NewClient(%s): %v", c.starttlsAddr, err)
	}
	t.Cleanup(func() { cl.Close() })
	hello(t, cl)
	return cl
}

// hello sends EHLO with a fixed client name; like net/smtp, the client
// requires Hello before any other command.
func hello(t *testing.T, cl *smtp.Client) {
	t.Helper()
	if err := cl.Hello("client.smtpauth.test"); err != nil {
		t.Fatalf("Hello: %v", err)
	}
}

// dialStartTLS connects to the STARTTLS listener and upgrades the connection.
func dialStartTLS(t *testing.T, c *dovecotConfig) *smtp.Client {
	t.Helper()
	cl := dialPlain(t, c)
	if err := cl.StartTLS(c.tlsConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	return cl
}

// dialImplicitTLS connects to the implicit-TLS (submissions) listener with
// tls.Dial + NewClient, naming the server serverName like the STARTTLS
// tests. DialTLS, which names the server after the host in addr, has its own
// test.
func dialImplicitTLS(t *testing.T, c *dovecotConfig) *smtp.Client {
	t.Helper()
	d := &net.Dialer{Timeout: connDeadline, Deadline: time.Now().Add(connDeadline)}
	conn, err := tls.DialWithDialer(d, "tcp", c.tlsAddr, c.tlsConfig())
	if err != nil {
		t.Fatalf("tls.Dial %s: %v", c.tlsAddr, err)
	}
	conn.SetDeadline(time.Now().Add(connDeadline))
	cl, err := smtp.NewClient(conn, serverName)
	if err != nil {
		conn.Close()
		t.Fatalf("NewClient(%s): %v", c.tlsAddr, err)
	}
	t.Cleanup(func() { cl.Close() })
	hello(t, cl)
	return cl
}

// newMessage returns a unique token and an RFC 5322 message carrying it in
// its Subject and body. The body also has a line starting with a dot, to
// check dot-stuffing end to end.
func newMessage(t *testing.T, from string) (token string, msg []byte) {
	t.Helper()
	token = "smtpauth-" + rand.Text()
	msg = []byte(strings.Join([]string{
		"From: Alice <" + from + ">",
		"To: Bob <" + recipient + ">",
		"Subject: interop " + t.Name() + " " + token,
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"Message-ID: <" + token + "@smtpauth.test>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=us-ascii",
		"",
		"Hello Bob,",
		"",
		"token " + token,
		".a line that starts with a dot",
		"..and one with two",
		"",
	}, "\r\n"))
	return token, msg
}

// submit runs one mail transaction and QUIT on an authenticated client.
func submit(t *testing.T, cl *smtp.Client, from string, msg []byte) {
	t.Helper()
	if err := cl.Mail(from); err != nil {
		t.Fatalf("Mail: %v", err)
	}
	if err := cl.Rcpt(recipient); err != nil {
		t.Fatalf("Rcpt: %v", err)
	}
	w, err := cl.Data()
	if err != nil {
		t.Fatalf("Data: %v", err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatalf("writing message: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing DATA: %v", err)
	}
	if err := cl.Quit(); err != nil {
		t.Fatalf("Quit: %v", err)
	}
}

// checkDelivered waits for the message with token at the sink and checks
// its envelope and that the submitted bytes arrived unchanged (Dovecot only
// prepends header fields such as Received).
func checkDelivered(t *testing.T, from, token string, msg []byte) {
	t.Helper()
	got := relay.waitFor(t, token, relayWait)
	if got.from != from {
		t.Errorf("relayed MAIL FROM = %q, want %q", got.from, from)
	}
	if len(got.to) != 1 || got.to[0] != recipient {
		t.Errorf("relayed RCPT TO = %q, want [%q]", got.to, recipient)
	}
	if !bytes.HasSuffix(got.data, msg) {
		t.Errorf("relayed data does not end with the submitted message\n--- got ---\n%s\n--- submitted ---\n%s", got.data, msg)
		return
	}
	// Dovecot's trace header says how the message was submitted: ESMTPSA is
	// ESMTP with TLS and authentication (RFC 3848).
	added := got.data[:len(got.data)-len(msg)]
	if !bytes.Contains(added, []byte("by "+serverName+" with ESMTPSA")) {
		t.Errorf("Dovecot's Received header does not record an authenticated TLS submission (ESMTPSA):\n%s", added)
	}
}

// checkAuthCode checks that err wraps a *textproto.Error with code.
func checkAuthCode(t *testing.T, err error, code int) {
	t.Helper()
	if err == nil {
		t.Fatalf("Auth succeeded, want error %d", code)
	}
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) {
		t.Fatalf("Auth error %v (%T) does not wrap a *textproto.Error", err, err)
	}
	if tpErr.Code != code {
		t.Fatalf("Auth error code = %d (%v), want %d", tpErr.Code, err, code)
	}
}

// sink is the relay server Dovecot delivers to. It accepts everything,
// without authentication, and records every message.
type sink struct {
	mu   sync.Mutex
	msgs []relayed
}

type relayed struct {
	from string
	to   []string
	data []byte
}

func (s *sink) start(addr string) (*gosmtp.Server, error) {
	// cmd/smtpauth's Dovecot test may hold the port for a few seconds: go
	// test runs packages in parallel.
	l, err := net.Listen("tcp", addr)
	for deadline := time.Now().Add(60 * time.Second); err != nil && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{sink: s}, nil
	}))
	srv.Domain = "relay-sink.smtpauth.test"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	go srv.Serve(l)
	return srv, nil
}

// find returns the first recorded message containing token.
func (s *sink) find(token string) (relayed, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if bytes.Contains(m.data, []byte(token)) {
			return m, true
		}
	}
	return relayed{}, false
}

// count returns how many recorded messages contain token.
func (s *sink) count(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		if bytes.Contains(m.data, []byte(token)) {
			n++
		}
	}
	return n
}

// waitFor polls for a message containing token, for at most timeout.
func (s *sink) waitFor(t *testing.T, token string, timeout time.Duration) relayed {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m, ok := s.find(token); ok {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message with token %s reached the relay sink within %v", token, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkNothing waits for a while and fails if a message with token arrives.
func (s *sink) checkNothing(t *testing.T, token string, wait time.Duration) {
	t.Helper()
	time.Sleep(wait)
	if m, ok := s.find(token); ok {
		t.Fatalf("a message with token %s reached the relay sink: MAIL FROM %q RCPT TO %q", token, m.from, m.to)
	}
}

type sinkSession struct {
	sink *sink
	from string
	to   []string
}

func (ss *sinkSession) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *gosmtp.MailOptions) error {
	ss.from, ss.to = from, nil
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := relayed{from: ss.from, to: append([]string(nil), ss.to...), data: data}
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, m)
	ss.sink.mu.Unlock()
	return nil
}
