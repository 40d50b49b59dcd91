package adversarial_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// TestMain fails the run if any test left a goroutine behind: every client
// operation, timeouts and cancellations included, must clean up after
// itself. The scripted servers end with their tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Script fragments shared by the groups.
const (
	greet = "S: 220 mx.example.com ESMTP ready"
	quit  = "C: QUIT\nS: 221 bye"
)

// ehlo is the client's EHLO and a reply listing exts, one per line.
func ehlo(exts ...string) string {
	lines := []string{"C: EHLO localhost"}
	all := append([]string{"mx.example.com"}, exts...)
	for i, e := range all {
		sep := "-"
		if i == len(all)-1 {
			sep = " "
		}
		lines = append(lines, "S: 250"+sep+e)
	}
	return strings.Join(lines, "\n")
}

// script joins script fragments with newlines.
func script(parts ...string) string { return strings.Join(parts, "\n") }

// starttls is the STARTTLS exchange, the handshake, and the new EHLO
// listing exts.
func starttls(exts ...string) string {
	return script("C: STARTTLS", "S: 220 2.0.0 ready", "TLS", ehlo(exts...))
}

// Fast timeouts for the stalls of group J and wherever a test might
// otherwise wait for a server that will never answer.
var fast = client.Timeouts{
	Greeting:  100 * time.Millisecond,
	Command:   100 * time.Millisecond,
	DataStart: 100 * time.Millisecond,
	DataBlock: 100 * time.Millisecond,
	DataEnd:   100 * time.Millisecond,
}

// dial connects a client to s, which it knows as host.
func dial(t *testing.T, s *scripttest.Server, host string) *client.Client {
	t.Helper()
	c, err := client.NewClient(s.Dial(t), host)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() }) // a failed test must not keep the server waiting
	return c
}

// dialTLS connects to s as host and upgrades with STARTTLS, trusting the
// test certificate, which is valid for example.com, 127.0.0.1 and ::1.
func dialTLS(t *testing.T, s *scripttest.Server, host string) *client.Client {
	t.Helper()
	c := dial(t, s, host)
	must(t, c.StartTLS(&tls.Config{RootCAs: scripttest.Pool()}))
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantWire checks the exact bytes the client sent.
func wantWire(t *testing.T, s *scripttest.Server, want string) {
	t.Helper()
	if got := s.Wire(); got != want {
		t.Errorf("client sent\n%q\nwant\n%q", got, want)
	}
}

// lines joins wire lines, each with CRLF.
func lines(ls ...string) string { return strings.Join(ls, "\r\n") + "\r\n" }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// wantErr checks errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want %v", what, err, target)
	}
}

// wantCode checks that err is a server reply with the given code.
func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	var se *client.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Errorf("%s = %v, want a %d reply", what, err, code)
	}
}

// wantTimeout checks that a stall ended at a deadline.
func wantTimeout(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, client.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s = %v, want ErrTimeout or context.DeadlineExceeded", what, err)
	}
}

// noLoopback is the Default registry without the loopback exception: the
// scripted servers are on 127.0.0.1, where the default policy would let
// cleartext-equivalent mechanisms run, as net/smtp does for localhost.
func noLoopback() *registry.Registry {
	r := registry.Default.Clone()
	r.SetPolicy(registry.Policy{NoLoopbackException: true})
	return r
}

func withPolicy(p registry.Policy) *registry.Registry {
	r := registry.Default.Clone()
	r.SetPolicy(p)
	return r
}

// Secrets used throughout; tests check that none of them, nor their
// base64, appears where it must not.
const (
	user     = "user"
	password = "hunter2-Sup3rSecret"
	token    = "ya29.SECRET-token_value"
	token2   = "ya29.SECOND-token_value"
)

func passwordCreds() registry.Credentials {
	return registry.Credentials{Username: user, Password: password}
}

// leaks reports which secret, if any, s contains: raw, or base64-encoded
// at any of the three alignments it can take inside a longer payload.
func leaks(s string, secrets ...string) string {
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			return secret
		}
		for pad := range 3 {
			enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00", pad) + secret))
			// Skip the characters that mix padding bits, and the last group.
			start := (pad*8 + 5) / 6
			core := enc[start : len(enc)-4]
			if len(core) >= 8 && strings.Contains(s, core) {
				return "base64 of " + secret
			}
		}
	}
	return ""
}

// tokens is an oauth2.TokenSource handing out its tokens in turn, the last
// one for ever, and counting the calls.
type tokens struct {
	mu    sync.Mutex
	list  []string
	err   error
	calls int
}

func newTokens(list ...string) *tokens { return &tokens{list: list} }

func (ts *tokens) Token() (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.calls++
	if ts.err != nil {
		return nil, ts.err
	}
	tok := ts.list[0]
	if len(ts.list) > 1 {
		ts.list = ts.list[1:]
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
}

func (ts *tokens) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.calls
}

// recordingAuth records the ServerInfo it is started with and skips.
type recordingAuth struct{ info *auth.ServerInfo }

func (a *recordingAuth) Start(s *auth.ServerInfo) (string, []byte, error) {
	a.info = s
	return "", nil, nil
}

func (a *recordingAuth) Next([]byte, bool) ([]byte, error) { return nil, nil }

// scriptedAuth starts mech with initial and answers each challenge with
// the next response (or answer, once they run out), recording them.
type scriptedAuth struct {
	mech       string
	initial    []byte
	responses  []string
	answer     string
	challenges []string
}

func (a *scriptedAuth) Start(*auth.ServerInfo) (string, []byte, error) {
	return a.mech, a.initial, nil
}

func (a *scriptedAuth) Next(from []byte, more bool) ([]byte, error) {
	a.challenges = append(a.challenges, fmt.Sprintf("%v:%s", more, from))
	if !more {
		return nil, nil
	}
	if len(a.responses) == 0 {
		return []byte(a.answer), nil
	}
	r := a.responses[0]
	a.responses = a.responses[1:]
	return []byte(r), nil
}

// capture is a slog.Handler keeping every record, fully formatted, at
// every level: what a trace would show anyone who reads it.
type capture struct {
	mu      *sync.Mutex
	records *[]string
	prefix  string
}

func newCapture() *capture { return &capture{mu: new(sync.Mutex), records: new([]string)} }

func (h *capture) Enabled(context.Context, slog.Level) bool { return true }

func (h *capture) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, b.String())
	h.mu.Unlock()
	return nil
}

func (h *capture) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	for _, a := range as {
		c.prefix += fmt.Sprintf("%s=%q ", a.Key, a.Value.String())
	}
	return &c
}

func (h *capture) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix += name + "."
	return &c
}

func (h *capture) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(*h.records, "\n")
}

// port is the port of a scripted server, as OAUTHBEARER sends it.
func port(s *scripttest.Server) string {
	_, p, _ := net.SplitHostPort(s.Addr)
	return p
}
