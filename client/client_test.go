package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/auth"
)

const greet = "S: 220 mx.example.com ESMTP ready"

const ehloPlain = `C: EHLO localhost
S: 250-mx.example.com
S: 250-8BITMIME
S: 250 AUTH PLAIN`

// TestSeedFlow is the seed's package example, byte for byte.
func TestSeedFlow(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250-8BITMIME
S: 250 SIZE 1000
C: MAIL FROM:<sender@example.org> BODY=8BITMIME
S: 250 2.1.0 Ok
C: RCPT TO:<recipient@example.net>
S: 250 2.1.5 Ok
C: DATA
S: 354 go ahead
C: This is the email body
C: .
S: 250 2.0.0 queued
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Mail("sender@example.org"))
	must(t, c.Rcpt("recipient@example.net"))
	w, err := c.Data()
	must(t, err)
	_, err = fmt.Fprintf(w, "This is the email body")
	must(t, err)
	must(t, w.Close())
	must(t, c.Quit())
	s.check(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestServerErrorIsTextprotoError(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME
S: 250 ok
C: RCPT TO:<nobody@example.net>
S: 550-5.1.1 No such user
S: 550 5.1.1 Try again never
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Mail("a@example.org"))
	err := c.Rcpt("nobody@example.net")
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 550 || tp.Msg != "5.1.1 No such user\n5.1.1 Try again never" {
		t.Fatalf("Rcpt error = %#v, want a *textproto.Error 550", err)
	}
	var se *Error
	if !errors.As(err, &se) || se.EnhancedCode != (EnhancedCode{5, 1, 1}) || se.Temporary() {
		t.Fatalf("Rcpt error = %#v, want *Error with enhanced code 5.1.1", err)
	}
	if got, want := err.Error(), tp.Error(); got != want {
		t.Errorf("Error() = %q, want net/textproto's %q", got, want)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestHELOFallback(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO client.example.org
S: 502 5.5.2 what?
C: HELO client.example.org
S: 250 mx.example.com
C: NOOP
S: 250 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Hello("client.example.org"))
	if ok, _ := c.Extension("8BITMIME"); ok {
		t.Error("extension reported after HELO")
	}
	must(t, c.Noop())
	if err := c.Hello("again.example.org"); err == nil {
		t.Error("second Hello succeeded")
	}
	must(t, c.Quit())
	s.check(t)
}

// TestArgumentsRejectedBeforeWriting sends every hostile argument through
// every command that takes one; the wire must show none of them.
func TestArgumentsRejectedBeforeWriting(t *testing.T) {
	bad := []string{
		"a@b\r\nRCPT TO:<evil@x>", "a@b\n", "a@b\r", "a\x00@b", "a@b\x1b[2J",
		"a@b> ORCPT=rfc822;x@y", "<a@b", "a@b SIZE=1", "a@b\t",
	}
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	for _, arg := range bad {
		for name, f := range map[string]func(string) error{"Mail": c.Mail, "Rcpt": c.Rcpt, "Verify": c.Verify} {
			if err := f(arg); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("%s(%q) = %v, want ErrInvalidArgument", name, arg, err)
			}
		}
	}
	for _, name := range []string{"host\r\nQUIT", "a b", "", "x<y>", "h\x00"} {
		if err := c.Hello(name); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Hello(%q) = %v, want ErrInvalidArgument", name, err)
		}
	}
	must(t, c.Quit())
	s.check(t)
}

func TestNonASCIIWithoutSMTPUTF8(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME
S: 250 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	if err := c.Mail("jörg@example.org"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Mail = %v, want ErrNotSupported", err)
	}
	must(t, c.Mail("a@example.org"))
	if err := c.Rcpt("用户@例子.广告"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("Rcpt = %v, want ErrNotSupported", err)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestSMTPUTF8(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 SMTPUTF8
C: MAIL FROM:<jörg@example.org> SMTPUTF8
S: 250 ok
C: RCPT TO:<用户@例子.广告>
S: 250 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Mail("jörg@example.org"))
	must(t, c.Rcpt("用户@例子.广告"))
	must(t, c.Quit())
	s.check(t)
}

// recordingAuth captures the ServerInfo it is started with and skips.
type recordingAuth struct{ info *ServerInfo }

func (a *recordingAuth) Start(s *ServerInfo) (string, []byte, error) {
	a.info = s
	return "", nil, nil
}

func (a *recordingAuth) Next([]byte, bool) ([]byte, error) { return nil, nil }

// TestServerInfoTLS checks that ServerInfo.TLS means what its doc says:
// TLS with a certificate verified for the server's name.
func TestServerInfoTLS(t *testing.T) {
	trusted := trustingConfig()
	custom := &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(tls.ConnectionState) error { return nil }}
	for _, tc := range []struct {
		name   string
		host   string
		config *tls.Config
		want   bool
	}{
		{"verified", "example.com", trusted, true},
		{"verified by IP", "127.0.0.1", &tls.Config{RootCAs: trusted.RootCAs}, true},
		{"InsecureSkipVerify", "example.com", &tls.Config{InsecureSkipVerify: true}, false},
		{"custom verification", "example.com", custom, true},
		{"custom verification, other name", "mail.example.org", custom, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
TLS
C: EHLO localhost
S: 250-mx.example.com
S: 250 AUTH PLAIN
C: QUIT
S: 221 bye`)
			c := s.dial(t, tc.host)
			must(t, c.StartTLS(tc.config))
			a := &recordingAuth{}
			must(t, c.Auth(a))
			if a.info.TLS != tc.want || a.info.Name != tc.host {
				t.Errorf("ServerInfo = %+v, want TLS %v", a.info, tc.want)
			}
			must(t, c.Quit())
			s.check(t)
		})
	}
}

// TestPlainAuthRefusesUnverifiedTLS: InsecureSkipVerify is TLS, but not to
// a known server, so PLAIN must not send the password.
func TestPlainAuthRefusesUnverifiedTLS(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
TLS
C: EHLO localhost
S: 250-mx.example.com
S: 250 AUTH PLAIN
C: QUIT
S: 221 bye`)
	c := s.dial(t, "example.com")
	must(t, c.StartTLS(&tls.Config{InsecureSkipVerify: true}))
	if err := c.Auth(PlainAuth("", "user", "hunter2", "example.com")); !errors.Is(err, auth.ErrUnencrypted) {
		t.Fatalf("Auth = %v, want ErrUnencrypted", err)
	}
	s.check(t)
}

func TestPlainAuthRefusesPlaintext(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	if err := c.Auth(PlainAuth("", "user", "hunter2", "mx.example.com")); !errors.Is(err, auth.ErrUnencrypted) {
		t.Fatalf("Auth = %v, want ErrUnencrypted", err)
	}
	s.check(t)
	if strings.Contains(s.wire(), "AUTH") {
		t.Errorf("credentials left the client: %q", s.wire())
	}
}

func TestPlainAuthLocalhost(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH PLAIN AHVzZXIAaHVudGVyMg==
S: 235 2.7.0 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "localhost")
	must(t, c.Auth(PlainAuth("", "user", "hunter2", "localhost")))
	must(t, c.Quit())
	s.check(t)
}

// TestStartTLSInjection: bytes after the 220, whether whole lines or a
// fragment, were written before encryption and may be an attacker's.
func TestStartTLSInjection(t *testing.T) {
	for name, injected := range map[string]string{
		"line":     "S: 250-AUTH PLAIN",
		"fragment": "S! 2",
	} {
		t.Run(name, func(t *testing.T) {
			s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
`+injected)
			c := s.dial(t, "example.com")
			if err := c.StartTLS(trustingConfig()); !errors.Is(err, ErrProtocol) {
				t.Fatalf("StartTLS = %v, want ErrProtocol", err)
			}
			if err := c.Noop(); err == nil {
				t.Error("connection still usable after injection")
			}
			s.check(t)
		})
	}
}

// TestStartTLSForgetsExtensions: AUTH advertised in plaintext must not
// survive STARTTLS, even when the new EHLO lists no mechanisms at all.
func TestStartTLSForgetsExtensions(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250-AUTH PLAIN LOGIN
S: 250-SIZE 10
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
TLS
C: EHLO localhost
S: 250-mx.example.com
S: 250 8BITMIME
C: QUIT
S: 221 bye`)
	c := s.dial(t, "example.com")
	must(t, c.StartTLS(trustingConfig()))
	for _, ext := range []string{"AUTH", "SIZE", "STARTTLS"} {
		if ok, _ := c.Extension(ext); ok {
			t.Errorf("%s survived STARTTLS", ext)
		}
	}
	a := &recordingAuth{}
	must(t, c.Auth(a))
	if len(a.info.Auth) != 0 || !a.info.TLS {
		t.Errorf("ServerInfo after STARTTLS = %+v", a.info)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestStartTLSHandshakeFailure(t *testing.T) {
	s := newScriptServer(t, greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
TLS`)
	c := s.dial(t, "example.com")
	err := c.StartTLS(&tls.Config{ServerName: "example.com"}) // does not trust the test CA
	if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Fatalf("StartTLS = %v, want a handshake error", err)
	}
	if err := c.Mail("a@b"); err == nil {
		t.Error("Mail after failed STARTTLS succeeded")
	}
}

// scriptedAuth returns fixed responses and records the challenges.
type scriptedAuth struct {
	mech       string
	initial    []byte
	responses  [][]byte
	challenges []string
	nextErr    error
}

func (a *scriptedAuth) Start(*ServerInfo) (string, []byte, error) { return a.mech, a.initial, nil }

func (a *scriptedAuth) Next(from []byte, more bool) ([]byte, error) {
	a.challenges = append(a.challenges, fmt.Sprintf("%v:%s", more, from))
	if !more {
		return nil, nil
	}
	if a.nextErr != nil {
		return nil, a.nextErr
	}
	if len(a.responses) == 0 {
		return []byte{}, nil
	}
	r := a.responses[0]
	a.responses = a.responses[1:]
	return r, nil
}

func TestAuthExchange(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH X-TEST
S: 334 VXNlcm5hbWU6
C: dXNlcg==
S: 334
C: 
S: 235 2.7.0 Authentication successful
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	a := &scriptedAuth{mech: "X-TEST", responses: [][]byte{[]byte("user")}}
	must(t, c.Auth(a))
	want := []string{"true:Username:", "true:", "false:2.7.0 Authentication successful"}
	if fmt.Sprint(a.challenges) != fmt.Sprint(want) {
		t.Errorf("challenges = %q, want %q", a.challenges, want)
	}
	must(t, c.Quit())
	s.check(t)
}

// TestAuthFailureNoStar: "*" answers only a 334; after a final 535 the
// client quits.
func TestAuthFailureNoStar(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH PLAIN AHVzZXIAd3Jvbmc=
S: 535 5.7.8 Authentication credentials invalid
C: QUIT
S: 221 bye`)
	c := s.dial(t, "localhost")
	err := c.Auth(PlainAuth("", "user", "wrong", "localhost"))
	var se *Error
	if !errors.As(err, &se) || se.Code != 535 || se.EnhancedCode.String() != "5.7.8" {
		t.Fatalf("Auth = %v, want 535 5.7.8", err)
	}
	s.check(t)
	if err := c.Noop(); err == nil {
		t.Error("connection still open after failed authentication")
	}
}

func TestAuthCancelled(t *testing.T) {
	for name, tc := range map[string]struct {
		challenge string
		auth      *scriptedAuth
		wantErr   error
	}{
		"bad base64":        {"S: 334 !!!!", &scriptedAuth{mech: "X-TEST"}, ErrProtocol},
		"non-strict base64": {"S: 334 YR==", &scriptedAuth{mech: "X-TEST"}, ErrProtocol},
		"multi-line 334":    {"S: 334-YQ==\nS: 334 YQ==", &scriptedAuth{mech: "X-TEST"}, ErrProtocol},
		"mechanism error":   {"S: 334 YQ==", &scriptedAuth{mech: "X-TEST", nextErr: auth.ErrUnexpectedChallenge}, auth.ErrUnexpectedChallenge},
	} {
		t.Run(name, func(t *testing.T) {
			s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH X-TEST
`+tc.challenge+`
C: *
S: 501 5.7.0 cancelled
C: QUIT
S: 221 bye`)
			c := s.dial(t, "mx.example.com")
			if err := c.Auth(tc.auth); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Auth = %v, want %v", err, tc.wantErr)
			}
			s.check(t)
		})
	}
}

func TestAuthRoundsBounded(t *testing.T) {
	script := greet + "\n" + ehloPlain + "\nC: AUTH X-TEST\nS: 334 YQ==\n"
	for range maxAuthRounds {
		script += "C: \nS: 334 YQ==\n"
	}
	script += "C: *\nS: 501 cancelled\nC: QUIT\nS: 221 bye"
	s := newScriptServer(t, script)
	c := s.dial(t, "mx.example.com")
	if err := c.Auth(&scriptedAuth{mech: "X-TEST"}); !errors.Is(err, ErrProtocol) {
		t.Fatalf("Auth = %v, want ErrProtocol", err)
	}
	s.check(t)
}

func TestCRAMMD5OnTheWire(t *testing.T) {
	// RFC 2195 §2's exchange.
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH CRAM-MD5
S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
S: 235 2.7.0 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Auth(CRAMMD5Auth("tim", "tanstaaftanstaaf")))
	must(t, c.Quit())
	s.check(t)
}

func TestTimeout(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: NOOP
HANG`)
	c := s.dial(t, "mx.example.com")
	c.Timeouts.Command = 100 * time.Millisecond
	must(t, c.Hello("localhost"))
	err := c.Noop()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Noop = %v, want ErrTimeout", err)
	}
	if err2 := c.Reset(); !errors.Is(err2, ErrTimeout) {
		t.Errorf("Reset after timeout = %v, want the same error", err2)
	}
	s.check(t)
}

func TestSetDeadline(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: NOOP
HANG`)
	c := s.dial(t, "mx.example.com")
	must(t, c.Hello("localhost"))
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if err := c.Noop(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Noop = %v, want ErrTimeout", err)
	}
	s.check(t)
}

func TestGreetingTimeout(t *testing.T) {
	s := newScriptServer(t, "HANG")
	d := Dialer{Timeouts: Timeouts{Greeting: 100 * time.Millisecond}}
	if _, err := d.DialContext(context.Background(), s.Addr); !errors.Is(err, ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DialContext = %v, want a timeout", err)
	}
	s.check(t)
}

func TestSendMailContextCancel(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: MAIL FROM:<a@example.org> BODY=8BITMIME
HANG`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := SendMailContext(ctx, s.Addr, nil, "a@example.org", []string{"b@example.net"}, []byte("hi\r\n"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SendMailContext = %v, want context.Canceled", err)
	}
	s.check(t)
}

func TestImplicitTLS(t *testing.T) {
	s := newScriptServer(t, "TLS\n"+greet+`
C: EHLO localhost
S: 250-mx.example.com
S: 250 AUTH PLAIN
C: AUTH PLAIN AHUAcA==
S: 235 ok
C: QUIT
S: 221 bye`)
	_, pool := testCert()
	c, err := DialTLS(s.Addr, &tls.Config{RootCAs: pool})
	must(t, err)
	if _, ok := c.TLSConnectionState(); !ok {
		t.Error("TLSConnectionState: not TLS")
	}
	must(t, c.Auth(PlainAuth("", "u", "p", "127.0.0.1")))
	must(t, c.Quit())
	s.check(t)
}

// retryingAuth tries each of its mechanisms in turn while the server
// refuses with the code it retries on.
type retryingAuth struct {
	mechs   []string
	retryOn int
	refused []string
}

func (a *retryingAuth) Start(*ServerInfo) (string, []byte, error) { return a.mechs[0], nil, nil }
func (a *retryingAuth) Next([]byte, bool) ([]byte, error)         { return nil, nil }

func (a *retryingAuth) Retry(refusal error) bool {
	a.refused = append(a.refused, refusal.Error())
	var se *Error
	if !errors.As(refusal, &se) || se.Code != a.retryOn || len(a.mechs) == 1 {
		return false
	}
	a.mechs = a.mechs[1:]
	return true
}

func TestAuthRetrySameConnection(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH X-ONE
S: 504 5.5.4 Unrecognized authentication type
C: AUTH X-TWO
S: 235 2.7.0 ok
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	a := &retryingAuth{mechs: []string{"X-ONE", "X-TWO"}, retryOn: 504}
	must(t, c.Auth(a))
	if len(a.refused) != 1 {
		t.Errorf("refusals seen: %q", a.refused)
	}
	must(t, c.Quit())
	s.check(t)
}

func TestAuthRetryDeclined(t *testing.T) {
	s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH X-ONE
S: 535 5.7.8 Authentication credentials invalid
C: QUIT
S: 221 bye`)
	c := s.dial(t, "mx.example.com")
	err := c.Auth(&retryingAuth{mechs: []string{"X-ONE", "X-TWO"}, retryOn: 504})
	var se *Error
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("Auth = %v, want the 535", err)
	}
	s.check(t)
}

// captureHandler keeps every "line" attribute logged.
type captureHandler struct{ lines *[]string }

func (captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h captureHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		*h.lines = append(*h.lines, r.Message+" "+a.Key+"="+a.Value.String())
		return true
	})
	return nil
}
func (h captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h captureHandler) WithGroup(string) slog.Handler      { return h }

func TestTraceRedactsAuth(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		s := newScriptServer(t, greet+"\n"+ehloPlain+`
C: AUTH X-TEST c2VjcmV0MQ==
S: 334 Y2hhbGxlbmdl
C: c2VjcmV0Mg==
S: 235 ok
C: QUIT
S: 221 bye`)
		c := s.dial(t, "mx.example.com")
		var lines []string
		c.Logger = slog.New(captureHandler{&lines})
		c.InsecureLogSecrets = insecure
		must(t, c.Auth(&scriptedAuth{mech: "X-TEST", initial: []byte("secret1"), responses: [][]byte{[]byte("secret2")}}))
		must(t, c.Quit())
		s.check(t)
		trace := strings.Join(lines, "\n")
		for _, secret := range []string{"c2VjcmV0MQ==", "c2VjcmV0Mg==", "Y2hhbGxlbmdl"} {
			if strings.Contains(trace, secret) != insecure {
				t.Errorf("InsecureLogSecrets=%v: trace shows %s: %v\n%s", insecure, secret, !insecure, trace)
			}
		}
		if !insecure && !strings.Contains(trace, "send line=AUTH X-TEST [redacted]") {
			t.Errorf("trace lacks the redacted AUTH line:\n%s", trace)
		}
	}
}
