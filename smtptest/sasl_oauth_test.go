package smtptest_test

import (
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/smtpauth/smtpauth/smtptest"
)

// xoauth2Client is an XOAUTH2 client, which go-sasl lacks. It answers an
// error challenge with ack, an empty response as Google documents unless
// set, and keeps the challenge.
type xoauth2Client struct {
	user, token string
	ack         []byte
	challenge   []byte
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	c.challenge = challenge
	if c.ack == nil {
		return []byte{}, nil
	}
	return c.ack, nil
}

// rawClient sends ir, then answers any challenge with ack.
type rawClient struct {
	mech    string
	ir, ack []byte
}

func (c rawClient) Start() (string, []byte, error) { return c.mech, c.ir, nil }
func (c rawClient) Next([]byte) ([]byte, error)    { return c.ack, nil }

// oauthBearerAck completes go-sasl's OAUTHBEARER client with the %x01 that
// answers an error challenge (RFC 7628 section 3.2.2), which go-sasl's
// client does not send; it keeps the error go-sasl decoded instead.
type oauthBearerAck struct {
	c   sasl.Client
	err error
}

func (c *oauthBearerAck) Start() (string, []byte, error) { return c.c.Start() }

func (c *oauthBearerAck) Next(challenge []byte) ([]byte, error) {
	_, c.err = c.c.Next(challenge)
	return []byte{0x01}, nil
}

func oauthBearer(user, token string) sasl.Client {
	return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: "127.0.0.1", Port: 587})
}

const (
	xoauth2Error     = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`
	oauthBearerError = `{"status":"invalid_token","scope":"smtp","openid-configuration":"https://mail.smtpauth.test/.well-known/openid-configuration"}`
	authFailed       = "535 5.7.8 Authentication failed"
)

func TestOAuth(t *testing.T) {
	for _, tc := range []struct {
		mech   string
		client sasl.Client
	}{
		{"XOAUTH2", &xoauth2Client{user: user, token: "token"}},
		{"OAUTHBEARER", oauthBearer(user, "token")},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			s := newServer(t, tc.mech)
			c := dial(t, s)
			w := &wire{Auth: saslAuth{tc.client}}
			if err := c.Auth(w); err != nil {
				t.Fatal(err)
			}
			checkLogin(t, s, c, tc.mech, user)
			checkWire(t, s, w, "")
		})
	}
}

func TestXOAUTH2Refused(t *testing.T) {
	s := newServer(t, "XOAUTH2")
	for _, tc := range []struct {
		name, user, token string
	}{
		{"wrong token", user, "wrong"},
		{"unknown user", "nobody@example.com", "token"},
		{"empty token", user, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xc := &xoauth2Client{user: tc.user, token: tc.token}
			w := &wire{Auth: saslAuth{xc}}
			checkReply(t, dial(t, s).Auth(w), authFailed)
			if string(xc.challenge) != xoauth2Error {
				t.Errorf("error challenge %q, want %q", xc.challenge, xoauth2Error)
			}
			// The empty response is the last line w wrote.
			checkWire(t, s, w, authFailed+"\r\n")
		})
	}
}

func TestOAuthBearerRefused(t *testing.T) {
	s := newServer(t, "OAUTHBEARER")
	for _, tc := range []struct {
		name, user, token string
	}{
		{"wrong token", user, "wrong"},
		{"unknown user", "nobody@example.com", "token"},
		{"no user", "", "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob := &oauthBearerAck{c: oauthBearer(tc.user, tc.token)}
			w := &wire{Auth: saslAuth{ob}}
			checkReply(t, dial(t, s).Auth(w), authFailed)
			var oe *sasl.OAuthBearerError
			if !errors.As(ob.err, &oe) || oe.Status != "invalid_token" {
				t.Errorf("go-sasl decoded %v, want status invalid_token", ob.err)
			}
			checkWire(t, s, w, authFailed+"\r\n")
			want := "334 " + b64([]byte(oauthBearerError)) + "\r\nAQ==\r\n"
			if w := w.String(); len(w) < len(want) || w[len(w)-len(want):] != want {
				t.Errorf("exchange %q does not end with %q", w, want)
			}
		})
	}

	// go-sasl's own client aborts rather than answer %x01.
	c := dial(t, s)
	err := c.Auth(saslAuth{oauthBearer(user, "wrong")})
	var oe *sasl.OAuthBearerError
	if !errors.As(err, &oe) {
		t.Errorf("Auth = %v, want go-sasl's OAuthBearerError", err)
	}
}

// TestOAuthProtocolErrors checks the replies to clients that break the
// mechanisms' rules, which tests tell from refusals by their 501.
func TestOAuthProtocolErrors(t *testing.T) {
	s := newServer(t, "XOAUTH2", "OAUTHBEARER")
	for _, tc := range []struct {
		name   string
		client sasl.Client
		reply  string
	}{{
		"XOAUTH2 error challenge not answered empty",
		&xoauth2Client{user: user, token: "wrong", ack: []byte{0x01}},
		"501 5.5.2 Expected an empty response to the XOAUTH2 error challenge",
	}, {
		"XOAUTH2 malformed",
		rawClient{mech: "XOAUTH2", ir: []byte("user=" + user + "\x01auth=Basic dG9rZW4=\x01\x01")},
		"501 5.5.2 Malformed XOAUTH2 response",
	}, {
		"XOAUTH2 extra field",
		rawClient{mech: "XOAUTH2", ir: []byte("user=" + user + "\x01auth=Bearer token\x01x=y\x01\x01")},
		"501 5.5.2 Malformed XOAUTH2 response",
	}, {
		"OAUTHBEARER error challenge not answered %x01",
		rawClient{mech: "OAUTHBEARER", ir: []byte("n,a=" + user + ",\x01auth=Bearer wrong\x01\x01"), ack: []byte{}},
		"501 5.5.2 Expected %x01 in response to the OAUTHBEARER error challenge",
	}, {
		// go-sasl's invalid_request error challenge, then the usual end.
		"OAUTHBEARER malformed",
		rawClient{mech: "OAUTHBEARER", ir: []byte("y,a=" + user + ",\x01auth=Bearer token\x01\x01"), ack: []byte{0x01}},
		authFailed,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checkReply(t, dial(t, s).Auth(saslAuth{tc.client}), tc.reply)
		})
	}
}

// TestOAuthBearerAuthzid checks that the user name is unescaped (RFC 5801
// section 4) before it is looked up.
func TestOAuthBearerAuthzid(t *testing.T) {
	const odd = "a,b=c@example.com"
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"OAUTHBEARER"}
	s.Tokens = map[string]string{odd: "odd-token"}
	s.Start()
	defer s.Close()
	c := dial(t, s)
	ir := []byte("n,a=a=2Cb=3Dc@example.com,\x01auth=bearer odd-token\x01\x01")
	if err := c.Auth(saslAuth{rawClient{mech: "OAUTHBEARER", ir: ir}}); err != nil {
		t.Fatal(err)
	}
	checkLogin(t, s, c, "OAUTHBEARER", odd)
}
