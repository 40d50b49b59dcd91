package smtptest_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/smtptest"
)

const (
	user     = "user@example.com"
	password = "password"
	// The dot-stuffed line checks that Data is recorded after unstuffing.
	body = "From: a@example.com\r\nSubject: test\r\n\r\nHello.\r\n.leading dot\r\n"
)

// dial connects over plain TCP and upgrades with STARTTLS.
func dial(t *testing.T, s *smtptest.Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.StartTLS(s.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	return c
}

func send(c *smtp.Client, from string, to []string, data string) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return err
	}
	return w.Close()
}

// loginAuth is a LOGIN client, which net/smtp lacks.
type loginAuth struct{ user, password string }

func (a loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	switch {
	case !more:
		return nil, nil
	case string(challenge) == "Username:":
		return []byte(a.user), nil
	case string(challenge) == "Password:":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected challenge %q", challenge)
}

func checkCode(t *testing.T, err error, code int) {
	t.Helper()
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || tpErr.Code != code {
		t.Fatalf("got error %v, want code %d", err, code)
	}
}

func TestAuthOverSTARTTLS(t *testing.T) {
	for _, tc := range []struct {
		mech string
		auth smtp.Auth
	}{
		{"PLAIN", smtp.PlainAuth("", user, password, "127.0.0.1")},
		{"CRAM-MD5", smtp.CRAMMD5Auth(user, password)},
		{"LOGIN", loginAuth{user, password}},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			s := smtptest.NewUnstartedServer()
			s.Mechanisms = []string{tc.mech}
			s.Start()
			defer s.Close()

			c := dial(t, s)
			if err := c.Auth(tc.auth); err != nil {
				t.Fatal(err)
			}
			to := []string{"b@example.com", "c@example.com"}
			if err := send(c, "a@example.com", to, body); err != nil {
				t.Fatal(err)
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}

			want := []smtptest.Message{{
				From: "a@example.com",
				To:   to,
				Data: []byte(body),
				Auth: tc.mech,
				User: user,
				TLS:  true,
			}}
			if got := s.Messages(); !reflect.DeepEqual(got, want) {
				t.Errorf("Messages() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	s := smtptest.NewTLSServer()
	defer s.Close()

	conn, err := tls.Dial("tcp", s.Addr, s.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised on an implicit TLS connection")
	}
	if err := c.Auth(smtp.PlainAuth("", user, password, "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Auth != "PLAIN" {
		t.Errorf("Messages() = %+v, want one PLAIN message under TLS", msgs)
	}
}

func TestWrongPassword(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()
	for _, auth := range []smtp.Auth{
		smtp.PlainAuth("", user, "wrong", "127.0.0.1"),
		smtp.PlainAuth("", "nobody@example.com", password, "127.0.0.1"),
		smtp.PlainAuth("other@example.com", user, password, "127.0.0.1"),
		smtp.CRAMMD5Auth(user, "wrong"),
	} {
		checkCode(t, dial(t, s).Auth(auth), 535)
	}
}

func TestUnadvertisedMechanism(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()
	checkCode(t, dial(t, s).Auth(loginAuth{user, password}), 504)
}

func TestRejectRecipient(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()

	c := dial(t, s)
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	checkCode(t, c.Rcpt("reject@example.com"), 550)
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || !reflect.DeepEqual(msgs[0].To, []string{"b@example.com"}) {
		t.Errorf("Messages() = %+v, want one message to b@example.com", msgs)
	}
	if msgs[0].Auth != "" || msgs[0].User != "" {
		t.Errorf("unauthenticated message recorded Auth %q, User %q", msgs[0].Auth, msgs[0].User)
	}
}

func TestRequireAuth(t *testing.T) {
	s := smtptest.NewUnstartedServer()
	s.RequireAuth = true
	s.Start()
	defer s.Close()

	c := dial(t, s)
	checkCode(t, c.Mail("a@example.com"), 530)
	if err := c.Auth(smtp.PlainAuth("", user, password, "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
}

func TestInsecureAuth(t *testing.T) {
	for _, allow := range []bool{false, true} {
		s := smtptest.NewUnstartedServer()
		s.AllowInsecureAuth = allow
		s.Start()
		defer s.Close()

		c, err := smtp.Dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.example"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Error("STARTTLS not advertised")
		}
		if ok, mechs := c.Extension("AUTH"); ok != allow || ok && mechs != "PLAIN CRAM-MD5" {
			t.Errorf("AllowInsecureAuth %v: AUTH advertised %v with %q", allow, ok, mechs)
		}
	}
}

func TestCertificate(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()
	for _, name := range []string{s.ServerName, "localhost", "127.0.0.1", "::1"} {
		if err := s.Certificate().VerifyHostname(name); err != nil {
			t.Error(err)
		}
	}
	cfg := s.ClientTLSConfig()
	cfg.ServerName = "other.example"
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(cfg); err == nil {
		t.Error("StartTLS succeeded with the wrong server name")
	}
}

func TestTranscript(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()
	c := dial(t, s)
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	got := s.Transcript()
	for _, want := range []string{"220 mail.smtpauth.test ESMTP", "STARTTLS\r\n", "MAIL FROM:<a@example.com>", "..leading dot\r\n", "221 2.0.0 Bye"} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
}

// TestConcurrent is meant for the race detector.
func TestConcurrent(t *testing.T) {
	s := smtptest.NewServer()
	defer s.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c, err := smtp.Dial(s.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
				t.Error(err)
			}
			s.Messages()
			s.Transcript()
		})
	}
	wg.Wait()
	if n := len(s.Messages()); n != 4 {
		t.Errorf("got %d messages, want 4", n)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()

	s := smtptest.NewServer()
	// One connection idle mid-session and one that never speaks: Close must
	// interrupt both rather than wait for the clients.
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	s.Close()
	s.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s",
				before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Noop(); err == nil {
		t.Error("connection still usable after Close")
	}
}

func TestCloseUnstarted(t *testing.T) {
	smtptest.NewUnstartedServer().Close()
}

func TestUnknownMechanismPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "GSSAPI") {
			t.Errorf("recovered %v, want a panic naming GSSAPI", r)
		}
	}()
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"PLAIN", "GSSAPI"}
	s.Start()
	s.Close()
}
