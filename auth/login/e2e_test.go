package login_test

import (
	"context"
	"encoding/base64"
	"errors"
	netsmtp "net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/login"
	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

func loginServer(t *testing.T) *smtptest.Server {
	t.Helper()
	srv := smtptest.NewUnstartedServer()
	srv.Mechanisms = []string{"LOGIN"}
	srv.RequireAuth = true
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestSendMailOverSTARTTLS authenticates with LOGIN through our client
// against a go-smtp server, after STARTTLS, and delivers a message.
func TestSendMailOverSTARTTLS(t *testing.T) {
	srv := loginServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	d := smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
	a := login.New("user@example.com", "password", srv.ServerName)
	msg := "Subject: LOGIN\r\n\r\nHello.\r\n"
	if err := d.SendMail(ctx, srv.Addr, a, "user@example.com", []string{"bob@example.net"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Auth != "LOGIN" || m.User != "user@example.com" || !m.TLS || string(m.Data) != msg {
		t.Errorf("delivered %+v", m)
	}
	// No initial response: the username waits for the first challenge.
	want := "\nAUTH LOGIN\r\n" +
		"334 VXNlcm5hbWU6\r\n" + base64.StdEncoding.EncodeToString([]byte("user@example.com")) + "\r\n" +
		"334 UGFzc3dvcmQ6\r\n" + base64.StdEncoding.EncodeToString([]byte("password")) + "\r\n235 "
	if tr := srv.Transcript(); !strings.Contains(tr, want) {
		t.Errorf("transcript lacks the exchange %q:\n%s", want, tr)
	}
}

// TestWrongPassword checks that the server's refusal reaches the caller as
// a reply error.
func TestWrongPassword(t *testing.T) {
	srv := loginServer(t)
	d := smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
	a := login.New("user@example.com", "wrong", srv.ServerName)
	err := d.SendMail(context.Background(), srv.Addr, a, "user@example.com", []string{"bob@example.net"}, []byte("\r\n"))
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || tpErr.Code != 535 {
		t.Fatalf("SendMail error = %v; want a 535 reply", err)
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a message was delivered")
	}
}

// TestWrongHostOnTheWire checks that a verified TLS connection to a server
// known by another name sends no credential at all.
func TestWrongHostOnTheWire(t *testing.T) {
	srv := loginServer(t)
	d := smtp.Dialer{ServerName: srv.ServerName, TLSConfig: srv.ClientTLSConfig()}
	a := login.New("user@example.com", "password", "other.example.com")
	err := d.SendMail(context.Background(), srv.Addr, a, "user@example.com", []string{"bob@example.net"}, []byte("\r\n"))
	if !errors.Is(err, auth.ErrWrongHost) {
		t.Fatalf("SendMail error = %v; want ErrWrongHost", err)
	}
	if tr := srv.Transcript(); strings.Contains(tr, "\nAUTH ") {
		t.Errorf("an AUTH command was sent:\n%s", tr)
	}
}

// TestNetSMTP runs the same Auth with the standard library's client, which
// knows the server by the host of its address.
func TestNetSMTP(t *testing.T) {
	srv := loginServer(t)
	c, err := netsmtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := srv.ClientTLSConfig()
	if err := c.StartTLS(cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(login.New("user@example.com", "password", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("user@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}
