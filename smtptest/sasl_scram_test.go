package smtptest_test

import (
	"crypto/tls"
	"encoding/base64"
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/smtptest"
	"github.com/xdg-go/scram"
)

// scramClient is xdg-go/scram's client as a go-sasl client.
type scramClient struct {
	mech string
	conv *scram.ClientConversation
	ir   string // client-first-message, once sent
}

func (c *scramClient) Start() (string, []byte, error) {
	ir, err := c.conv.Step("")
	c.ir = ir
	return c.mech, []byte(ir), err
}

func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	resp, err := c.conv.Step(string(challenge))
	return []byte(resp), err
}

var scramHashes = map[string]scram.HashGeneratorFcn{
	"SCRAM-SHA-1":   scram.SHA1,
	"SCRAM-SHA-256": scram.SHA256,
	"SCRAM-SHA-512": scram.SHA512,
}

func newSCRAMClient(t *testing.T, mech, password string) *scramClient {
	t.Helper()
	return newSCRAMConv(t, mech, password, (*scram.Client).NewConversation)
}

// newSCRAMConv returns a client for mech, which may have the -PLUS suffix,
// whose conversation starts with start.
func newSCRAMConv(t *testing.T, mech, password string, start func(*scram.Client) *scram.ClientConversation) *scramClient {
	t.Helper()
	client, err := scramHashes[strings.TrimSuffix(mech, "-PLUS")].NewClient(user, password, "")
	if err != nil {
		t.Fatal(err)
	}
	return &scramClient{mech: mech, conv: start(client)}
}

// withBinding starts a conversation bound to cb.
func withBinding(cb scram.ChannelBinding) func(*scram.Client) *scram.ClientConversation {
	return func(c *scram.Client) *scram.ClientConversation {
		return c.NewConversationWithChannelBinding(cb)
	}
}

// clientBinding is the channel binding a client computes on its side of c:
// tls-exporter under TLS 1.3, tls-unique under TLS 1.2.
func clientBinding(t *testing.T, c *smtp.Client) scram.ChannelBinding {
	t.Helper()
	cs, ok := c.TLSConnectionState()
	if !ok {
		t.Fatal("no TLS")
	}
	if cs.Version == tls.VersionTLS12 {
		return scram.NewTLSUniqueBinding(cs.TLSUnique)
	}
	cb, err := scram.NewTLSExporterBinding(&cs)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestSCRAM(t *testing.T) {
	for mech := range scramHashes {
		t.Run(mech, func(t *testing.T) {
			s := newServer(t, mech)
			c := dial(t, s)
			sc := newSCRAMClient(t, mech, password)
			w := &wire{Auth: saslAuth{sc}}
			if err := c.Auth(w); err != nil {
				t.Fatal(err)
			}
			// Valid also means the server signature checked out, hence
			// that the server knew the password.
			if !sc.conv.Valid() {
				t.Error("client did not validate the server")
			}
			// The server-final-message comes as a challenge, answered
			// with an empty line.
			if !strings.HasSuffix(w.String(), "\r\n\r\n235 2.0.0 Authentication succeeded\r\n") {
				t.Errorf("exchange %q does not end with an empty response and 235", w)
			}
			checkLogin(t, s, c, mech, user)
			checkWire(t, s, w, "")
		})
	}
}

func TestSCRAMRefused(t *testing.T) {
	s := newServer(t, "SCRAM-SHA-256")
	for _, tc := range []struct {
		name, user, password, reply string
	}{
		{"wrong password", user, "wrong", "535 5.7.8 Authentication failed (e=invalid-proof)"},
		{"unknown user", "nobody@example.com", password, "535 5.7.8 Authentication failed (e=unknown-user)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := scram.SHA256.NewClient(tc.user, tc.password, "")
			if err != nil {
				t.Fatal(err)
			}
			err = dial(t, s).Auth(saslAuth{&scramClient{mech: "SCRAM-SHA-256", conv: client.NewConversation()}})
			checkReply(t, err, tc.reply)
		})
	}
	if len(s.Messages()) != 0 {
		t.Error("a message was delivered")
	}
}

// TestSCRAMPlus binds with the type our client uses for each TLS version.
func TestSCRAMPlus(t *testing.T) {
	for _, version := range []struct {
		name   string
		max    uint16
		header string
	}{
		{"TLS 1.3", tls.VersionTLS13, "p=tls-exporter,,"},
		{"TLS 1.2", tls.VersionTLS12, "p=tls-unique,,"},
	} {
		for base := range scramHashes {
			mech := base + "-PLUS"
			t.Run(version.name+"/"+mech, func(t *testing.T) {
				s := newServer(t, mech, base)
				c := dialTLS(t, s, func(cfg *tls.Config) { cfg.MaxVersion = version.max })
				if _, mechs := c.Extension("AUTH"); mechs != mech+" "+base {
					t.Errorf("AUTH %s advertised, want %s %s", mechs, mech, base)
				}
				sc := newSCRAMConv(t, mech, password, withBinding(clientBinding(t, c)))
				w := &wire{Auth: saslAuth{sc}}
				if err := c.Auth(w); err != nil {
					t.Fatal(err)
				}
				if !sc.conv.Valid() {
					t.Error("client did not validate the server")
				}
				if !strings.HasPrefix(sc.ir, version.header) {
					t.Errorf("client-first-message %q does not start with %q", sc.ir, version.header)
				}
				checkLogin(t, s, c, mech, user)
				checkWire(t, s, w, "")
			})
		}
	}
}

func TestSCRAMPlusImplicitTLS(t *testing.T) {
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"SCRAM-SHA-256-PLUS"}
	s.StartTLS()
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
	sc := newSCRAMConv(t, "SCRAM-SHA-256-PLUS", password, withBinding(clientBinding(t, c)))
	if err := c.Auth(saslAuth{sc}); err != nil {
		t.Fatal(err)
	}
	checkLogin(t, s, c, "SCRAM-SHA-256-PLUS", user)
}

// TestSCRAMChannelBindingRefused covers the gs2-cbind-flag rules of RFC
// 5802 section 6 and bindings that do not match the connection.
func TestSCRAMChannelBindingRefused(t *testing.T) {
	s := newServer(t, "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")
	for _, tc := range []struct {
		name, mech string
		start      func(c *smtp.Client) func(*scram.Client) *scram.ClientConversation
		reply      string
	}{{
		"-PLUS without binding", "SCRAM-SHA-256-PLUS",
		func(*smtp.Client) func(*scram.Client) *scram.ClientConversation {
			return (*scram.Client).NewConversation
		},
		"535 5.7.8 Authentication failed (e=server-does-support-channel-binding)",
	}, {
		"downgrade", "SCRAM-SHA-256",
		func(*smtp.Client) func(*scram.Client) *scram.ClientConversation {
			return (*scram.Client).NewConversationAdvertisingChannelBinding
		},
		"535 5.7.8 Authentication failed (e=server-does-support-channel-binding)",
	}, {
		"binding without -PLUS", "SCRAM-SHA-256",
		func(c *smtp.Client) func(*scram.Client) *scram.ClientConversation {
			return withBinding(clientBinding(t, c))
		},
		"535 5.7.8 Authentication failed (e=channel-binding-not-supported)",
	}, {
		"other type", "SCRAM-SHA-256-PLUS",
		func(c *smtp.Client) func(*scram.Client) *scram.ClientConversation {
			cs, _ := c.TLSConnectionState()
			cb, err := scram.NewTLSServerEndpointBinding(&cs)
			if err != nil {
				t.Fatal(err)
			}
			return withBinding(cb)
		},
		"535 5.7.8 Authentication failed (e=unsupported-channel-binding-type)",
	}, {
		"other connection", "SCRAM-SHA-256-PLUS",
		func(*smtp.Client) func(*scram.Client) *scram.ClientConversation {
			return withBinding(clientBinding(t, dial(t, s)))
		},
		"535 5.7.8 Authentication failed (e=channel-bindings-dont-match)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s)
			err := c.Auth(saslAuth{newSCRAMConv(t, tc.mech, password, tc.start(c))})
			checkReply(t, err, tc.reply)
		})
	}
}

// TestSCRAMWithoutPlus checks that a client able to bind is welcome when
// no -PLUS variant is advertised ("y" is no downgrade then) and that -PLUS
// is neither advertised nor accepted where there is no TLS to bind to.
func TestSCRAMWithoutPlus(t *testing.T) {
	s := newServer(t, "SCRAM-SHA-256")
	sc := newSCRAMConv(t, "SCRAM-SHA-256", password, (*scram.Client).NewConversationAdvertisingChannelBinding)
	if err := dial(t, s).Auth(saslAuth{sc}); err != nil {
		t.Fatal(err)
	}

	s = smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}
	s.AllowInsecureAuth = true
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
	if _, mechs := c.Extension("AUTH"); mechs != "SCRAM-SHA-256" {
		t.Errorf("AUTH %s advertised without TLS, want SCRAM-SHA-256", mechs)
	}
	sc = newSCRAMConv(t, "SCRAM-SHA-256-PLUS", password, withBinding(scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: make([]byte, 32)}))
	checkReply(t, c.Auth(saslAuth{sc}), "504 5.7.4 Unsupported authentication mechanism")
}

// TestSCRAMCancelAfterServerFinal checks that a client that cancels after
// server-final-message, having found the server signature wrong, is not
// logged in.
func TestSCRAMCancelAfterServerFinal(t *testing.T) {
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"SCRAM-SHA-256"}
	s.RequireAuth = true
	s.Start()
	defer s.Close()
	c := dial(t, s)
	sc := newSCRAMClient(t, "SCRAM-SHA-256", password)
	ir, err := sc.conv.Step("")
	if err != nil {
		t.Fatal(err)
	}
	line := "AUTH SCRAM-SHA-256 " + b64([]byte(ir))
	for range 2 {
		if err := c.Text.PrintfLine("%s", line); err != nil {
			t.Fatal(err)
		}
		_, msg, err := c.Text.ReadResponse(334)
		if err != nil {
			t.Fatal(err)
		}
		challenge, err := base64.StdEncoding.DecodeString(msg)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := sc.conv.Step(string(challenge))
		if err != nil {
			t.Fatal(err)
		}
		line = b64([]byte(resp))
	}
	if !sc.conv.Valid() {
		t.Fatal("client did not validate the server")
	}
	if err := c.Text.PrintfLine("*"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Text.ReadResponse(501); err != nil {
		t.Fatal(err)
	}
	checkReply(t, c.Mail("a@example.com"), "530 5.7.0 Authentication required")
}
