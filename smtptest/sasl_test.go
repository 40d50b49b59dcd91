package smtptest_test

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/smtpauth/smtpauth/smtptest"
)

// saslAuth adapts a go-sasl client to net/smtp's Auth, so that the server
// is driven by clients we did not write.
type saslAuth struct{ c sasl.Client }

func (a saslAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return a.c.Start() }

func (a saslAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	resp, err := a.c.Next(fromServer)
	if resp == nil && err == nil {
		// net/smtp would take nil for the end of the exchange.
		resp = []byte{}
	}
	return resp, err
}

// noIR holds back a client's initial response until the server's first,
// empty challenge, as clients without SASL-IR do.
type noIR struct {
	sasl.Client
	ir []byte
}

func (c *noIR) Start() (string, []byte, error) {
	mech, ir, err := c.Client.Start()
	c.ir = ir
	return mech, nil, err
}

func (c *noIR) Next(challenge []byte) ([]byte, error) {
	if c.ir != nil {
		if len(challenge) != 0 {
			return nil, fmt.Errorf("challenge %q, want an empty one", challenge)
		}
		ir := c.ir
		c.ir = nil
		return ir, nil
	}
	return c.Client.Next(challenge)
}

// wire writes down an exchange as the server's transcript shows it, up to
// the server's last reply when that is a failure.
type wire struct {
	smtp.Auth
	b strings.Builder
}

func (w *wire) Start(info *smtp.ServerInfo) (string, []byte, error) {
	mech, ir, err := w.Auth.Start(info)
	fmt.Fprintf(&w.b, "%s\r\n", strings.TrimSpace("AUTH "+mech+" "+b64(ir)))
	return mech, ir, err
}

func (w *wire) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		fmt.Fprintf(&w.b, "334 %s\r\n", b64(fromServer))
	} else {
		fmt.Fprintf(&w.b, "235 %s\r\n", fromServer)
	}
	resp, err := w.Auth.Next(fromServer, more)
	if err == nil && resp != nil {
		fmt.Fprintf(&w.b, "%s\r\n", b64(resp))
	}
	return resp, err
}

func (w *wire) String() string { return w.b.String() }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// dialTLS is dial with the client's TLS configuration changed by edit.
func dialTLS(t *testing.T, s *smtptest.Server, edit func(*tls.Config)) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := s.ClientTLSConfig()
	edit(cfg)
	if err := c.StartTLS(cfg); err != nil {
		t.Fatal(err)
	}
	return c
}

// newServer starts a server offering mechs, closed at the end of the test.
func newServer(t *testing.T, mechs ...string) *smtptest.Server {
	t.Helper()
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = mechs
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// checkReply checks that err is the server's reply, as the wire shows it.
func checkReply(t *testing.T, err error, reply string) {
	t.Helper()
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || fmt.Sprintf("%d %s", tpErr.Code, tpErr.Msg) != reply {
		t.Fatalf("got error %v, want reply %q", err, reply)
	}
}

// checkWire checks that the transcript holds the exchange w saw followed by
// the lines in tail.
func checkWire(t *testing.T, s *smtptest.Server, w *wire, tail string) {
	t.Helper()
	want := "\n" + w.String() + tail
	if tr := s.Transcript(); !strings.Contains(tr, want) {
		t.Errorf("transcript lacks %q:\n%q", want, tr)
	}
}

// checkLogin checks that a message sent on c is recorded as authenticated
// by user with mech.
func checkLogin(t *testing.T, s *smtptest.Server, c *smtp.Client, mech, user string) {
	t.Helper()
	if err := send(c, "a@example.com", []string{"b@example.com"}, body); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].Auth != mech || msgs[0].User != user {
		t.Fatalf("Messages() = %+v, want one from %s with %s", msgs, user, mech)
	}
}

// TestNoInitialResponse checks the empty first challenge that asks a
// client without SASL-IR for what it would have sent with AUTH.
func TestNoInitialResponse(t *testing.T) {
	for _, tc := range []struct {
		mech   string
		client sasl.Client
	}{
		{"PLAIN", sasl.NewPlainClient("", user, password)},
		{"SCRAM-SHA-256", newSCRAMClient(t, "SCRAM-SHA-256", password)},
		{"XOAUTH2", &xoauth2Client{user: user, token: "token"}},
		{"OAUTHBEARER", sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: "token"})},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			s := newServer(t, tc.mech)
			c := dial(t, s)
			w := &wire{Auth: saslAuth{&noIR{Client: tc.client}}}
			if err := c.Auth(w); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(w.String(), "AUTH "+tc.mech+"\r\n334 \r\n") {
				t.Errorf("exchange %q does not start with an empty challenge", w)
			}
			checkLogin(t, s, c, tc.mech, user)
			checkWire(t, s, w, "")
		})
	}
}
