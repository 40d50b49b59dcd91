package gosasl_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/gosasl"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/plain"
	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

const (
	user     = "user@example.com"
	password = "password"
)

func startServer(t *testing.T, mechs ...string) *smtptest.Server {
	t.Helper()
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = mechs
	srv.RequireAuth = true
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestFromSASLOnTheWire sends mail with go-sasl clients through smtpauth's
// client, after STARTTLS.
func TestFromSASLOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		mech string
		c    sasl.Client
	}{
		{"PLAIN", sasl.NewPlainClient("", user, password)},
		{"LOGIN", sasl.NewLoginClient(user, password)},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			srv := startServer(t, tc.mech)
			d := smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.SendMail(ctx, srv.Addr, gosasl.FromSASL(tc.c), user, []string{"bob@example.net"}, []byte("\r\nHi.\r\n")); err != nil {
				t.Fatal(err)
			}
			if m := srv.Messages(); len(m) != 1 || m[0].Auth != tc.mech || m[0].User != user {
				t.Fatalf("delivered %+v", m)
			}
		})
	}
}

// TestToSASLOnTheWire sends mail with smtpauth mechanisms through go-smtp's
// client, after STARTTLS.
func TestToSASLOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		mech string
		new  func(host string) auth.Auth
	}{
		{"PLAIN", func(host string) auth.Auth { return plain.New("", user, password, host) }},
		{"LOGIN", func(host string) auth.Auth { return login.New(user, password, host) }},
		{"CRAM-MD5", func(string) auth.Auth { return crammd5.New(user, password) }},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			srv := startServer(t, tc.mech)
			c, err := gosmtp.DialStartTLS(srv.Addr, srv.ClientTLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// go-smtp verified the certificate for ServerName: that is
			// what makes TLS true here.
			info := &auth.ServerInfo{Name: srv.ServerName, TLS: true, Auth: []string{tc.mech}}
			if err := c.Auth(gosasl.ToSASL(tc.new(srv.ServerName), info)); err != nil {
				t.Fatal(err)
			}
			if err := c.SendMail(user, []string{"bob@example.net"}, strings.NewReader("\r\nHi.\r\n")); err != nil {
				t.Fatal(err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			if m := srv.Messages(); len(m) != 1 || m[0].Auth != tc.mech || m[0].User != user {
				t.Fatalf("delivered %+v", m)
			}
		})
	}
}

// saslBackend is a go-smtp server that offers EXTERNAL and ANONYMOUS, which
// smtptest lacks, and records what each exchange sent.
type saslBackend struct {
	mu   sync.Mutex
	seen []string // "MECH value" for each exchange that succeeded
	log  bytes.Buffer
}

func (b *saslBackend) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.Write(p)
}

func (b *saslBackend) record(mech, value string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, mech+" "+value)
	return nil
}

type saslSession struct{ b *saslBackend }

func (s saslSession) AuthMechanisms() []string { return []string{sasl.External, sasl.Anonymous} }

func (s saslSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.External:
		return sasl.NewExternalServer(func(id string) error { return s.b.record(mech, id) }), nil
	case sasl.Anonymous:
		return sasl.NewAnonymousServer(func(trace string) error { return s.b.record(mech, trace) }), nil
	}
	return nil, gosmtp.ErrAuthUnknownMechanism
}

func (saslSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (saslSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (saslSession) Data(r io.Reader) error                 { _, err := io.Copy(io.Discard, r); return err }
func (saslSession) Reset()                                 {}
func (saslSession) Logout() error                          { return nil }

// startSASLServer serves b on loopback, in plain text: EXTERNAL's external
// means do not matter to go-sasl's server, which takes any connection.
func startSASLServer(t *testing.T, b *saslBackend) (addr string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return saslSession{b}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.Debug = b
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(l) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// TestEmptyInitialResponseOnTheWire runs EXTERNAL and ANONYMOUS through
// smtpauth's client against go-smtp's server: an empty identity or trace is
// not sent with AUTH, the server answers "334 " with an empty challenge,
// and the adapter answers it with an empty line.
func TestEmptyInitialResponseOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		a    auth.Auth
		seen string
		wire string
	}{
		{gosasl.External(""), "EXTERNAL ", "\nAUTH EXTERNAL\r\n334 \r\n\r\n235 "},
		{gosasl.Anonymous(""), "ANONYMOUS ", "\nAUTH ANONYMOUS\r\n334 \r\n\r\n235 "},
		{gosasl.External("fred@example.com"), "EXTERNAL fred@example.com", "\nAUTH EXTERNAL ZnJlZEBleGFtcGxlLmNvbQ==\r\n235 "},
		{gosasl.Anonymous("sirhc"), "ANONYMOUS sirhc", "\nAUTH ANONYMOUS c2lyaGM=\r\n235 "},
	} {
		t.Run(tc.seen, func(t *testing.T) {
			b := &saslBackend{}
			addr, stop := startSASLServer(t, b)
			c, err := smtp.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Auth(tc.a); err != nil {
				t.Fatal(err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			stop()
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.seen) != 1 || b.seen[0] != tc.seen {
				t.Errorf("server saw %q, want %q", b.seen, tc.seen)
			}
			if tr := b.log.String(); !strings.Contains(tr, tc.wire) {
				t.Errorf("transcript lacks %q:\n%s", tc.wire, tr)
			}
		})
	}
}
