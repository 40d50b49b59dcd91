package smtptest_test

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/smtpauth/smtpauth/smtptest"
)

// strictLogin is a LOGIN client that expects exactly the challenges given.
type strictLogin struct{ challenges [2]string }

func (a strictLogin) Start() (string, []byte, error) { return "LOGIN", nil, nil }

func (a strictLogin) Next(challenge []byte) ([]byte, error) {
	switch string(challenge) {
	case a.challenges[0]:
		return []byte(user), nil
	case a.challenges[1]:
		return []byte(password), nil
	}
	return nil, fmt.Errorf("unexpected challenge %q", challenge)
}

func TestLoginChallenges(t *testing.T) {
	for _, tc := range []struct {
		set, want [2]string
	}{
		{[2]string{}, [2]string{"Username:", "Password:"}},
		{[2]string{"username:", "password:"}, [2]string{"username:", "password:"}},
		{[2]string{"User Name\x00", "Password\x00"}, [2]string{"User Name\x00", "Password\x00"}},
		{[2]string{"", "Password\x00"}, [2]string{"Username:", "Password\x00"}},
	} {
		t.Run(fmt.Sprintf("%q", tc.set), func(t *testing.T) {
			s := smtptest.NewUnstartedServer()
			s.Mechanisms = []string{"LOGIN"}
			s.LoginChallenges = tc.set
			s.Start()
			defer s.Close()

			c := dial(t, s)
			w := &wire{Auth: saslAuth{strictLogin{tc.want}}}
			if err := c.Auth(w); err != nil {
				t.Fatal(err)
			}
			want := "AUTH LOGIN\r\n" +
				"334 " + b64([]byte(tc.want[0])) + "\r\n" + b64([]byte(user)) + "\r\n" +
				"334 " + b64([]byte(tc.want[1])) + "\r\n" + b64([]byte(password)) + "\r\n" +
				"235 2.0.0 Authentication succeeded\r\n"
			if w.String() != want {
				t.Errorf("exchange %q, want %q", w, want)
			}
			checkLogin(t, s, c, "LOGIN", user)
			checkWire(t, s, w, "")

			// go-sasl's client sends the user name at once and insists
			// on "Password:", as many clients do.
			err := dial(t, s).Auth(saslAuth{sasl.NewLoginClient(user, password)})
			if (err == nil) != (tc.want[1] == "Password:") {
				t.Errorf("go-sasl's LOGIN client: %v", err)
			}
		})
	}
}

func TestRefuse504(t *testing.T) {
	s := smtptest.NewUnstartedServer()
	s.Mechanisms = []string{"CRAM-MD5", "NTLM", "PLAIN"}
	s.Refuse504 = []string{"CRAM-MD5", "NTLM"}
	s.Start()
	defer s.Close()

	c := dial(t, s)
	if _, mechs := c.Extension("AUTH"); mechs != "CRAM-MD5 NTLM PLAIN" {
		t.Errorf("AUTH %s advertised, want CRAM-MD5 NTLM PLAIN", mechs)
	}
	const refused = "504 5.5.4 Unrecognized authentication type"
	w := &wire{Auth: smtp.CRAMMD5Auth(user, password)}
	checkReply(t, c.Auth(w), refused)
	checkWire(t, s, w, refused+"\r\n")
	checkReply(t, dial(t, s).Auth(saslAuth{rawClient{mech: "NTLM", ir: []byte("NTLMSSP\x00")}}), refused)
	// Not advertised at all is another reply.
	checkReply(t, dial(t, s).Auth(saslAuth{sasl.NewLoginClient(user, password)}), "504 5.7.4 Unsupported authentication mechanism")

	c = dial(t, s)
	if err := c.Auth(saslAuth{sasl.NewPlainClient("", user, password)}); err != nil {
		t.Fatal(err)
	}
	checkLogin(t, s, c, "PLAIN", user)
}

func TestMechanismsChecked(t *testing.T) {
	for _, tc := range []struct {
		mechs, refuse []string
		panic         string
	}{
		{[]string{"PLAIN", "X-UNKNOWN"}, nil, `unsupported SASL mechanism "X-UNKNOWN"`},
		{[]string{"PLAIN"}, []string{"LOGIN"}, `"LOGIN" in Refuse504 is not in Mechanisms`},
		{[]string{"plain"}, nil, `invalid SASL mechanism name "plain"`},
		{[]string{"X Y"}, []string{"X Y"}, `invalid SASL mechanism name "X Y"`},
		{[]string{""}, []string{""}, `invalid SASL mechanism name ""`},
		{[]string{"X-MECHANISM-TOO-LONG1"}, []string{"X-MECHANISM-TOO-LONG1"}, "invalid SASL mechanism name"},
	} {
		t.Run(fmt.Sprint(tc.mechs, tc.refuse), func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.panic) {
					t.Errorf("recovered %v, want a panic with %q", r, tc.panic)
				}
			}()
			s := smtptest.NewUnstartedServer()
			s.Mechanisms = tc.mechs
			s.Refuse504 = tc.refuse
			s.Start()
			s.Close()
		})
	}
}

// TestAllMechanisms checks that every documented name is accepted, in one
// advertisement.
func TestAllMechanisms(t *testing.T) {
	all := []string{
		"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
		"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
		"OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN",
	}
	s := newServer(t, all...)
	c := dial(t, s)
	if _, mechs := c.Extension("AUTH"); mechs != strings.Join(all, " ") {
		t.Errorf("AUTH %s advertised, want %s", mechs, strings.Join(all, " "))
	}
}
