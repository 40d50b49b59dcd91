package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
)

var (
	loopback = auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25}}
	remote   = auth.ConnState{RemoteAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 25}}
	password = registry.Credentials{Username: "user", Password: "hunter2"}
)

// fake registers a mechanism whose Auth records nothing and sends its name.
func fake(name string, rank int, cleartext bool) registry.Mechanism {
	return registry.Mechanism{Name: name, Rank: rank, CleartextEquivalent: cleartext, Needs: registry.NeedPassword,
		New: func(*registry.Credentials, *auth.ServerInfo) (auth.Auth, error) { return fakeAuth(name), nil }}
}

type fakeAuth string

func (a fakeAuth) Start(s *auth.ServerInfo) (string, []byte, error) {
	if !s.TLS && !auth.IsLocalhost(s.Name) {
		return string(a), []byte("unprotected"), nil
	}
	return string(a), nil, nil
}
func (a fakeAuth) Next([]byte, bool) ([]byte, error) { return nil, nil }

func testRegistry(t *testing.T) *registry.Registry {
	r := registry.New()
	for _, m := range []registry.Mechanism{
		fake("STRONG", 80, false), fake("MIDDLE", 50, false), fake("PLAIN", 20, true), fake("LOGIN", 15, true),
	} {
		if err := r.Register(m); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func summary(r *registry.Report) string {
	var parts []string
	for _, d := range r.Decisions {
		parts = append(parts, d.Name+"="+string(d.Outcome))
	}
	return strings.Join(parts, " ")
}

func TestSelect(t *testing.T) {
	tls := &auth.ServerInfo{Name: "mx.example.com", TLS: true}
	plainText := &auth.ServerInfo{Name: "mx.example.com"}
	for _, tc := range []struct {
		name   string
		policy registry.Policy
		server *auth.ServerInfo
		conn   auth.ConnState
		mechs  []string
		creds  registry.Credentials
		want   string
	}{
		{"highest rank wins", registry.Policy{}, tls, remote, []string{"plain", "MIDDLE", "STRONG"}, password,
			"STRONG=chosen MIDDLE=candidate PLAIN=candidate LOGIN=skipped"},
		{"advertised only", registry.Policy{}, tls, remote, []string{"LOGIN", "X-UNKNOWN"}, password,
			"LOGIN=chosen STRONG=skipped MIDDLE=skipped PLAIN=skipped X-UNKNOWN=skipped"},
		{"cleartext needs TLS", registry.Policy{}, plainText, remote, []string{"PLAIN", "LOGIN"}, password,
			"STRONG=skipped MIDDLE=skipped PLAIN=skipped LOGIN=skipped"},
		{"loopback by address", registry.Policy{}, plainText, loopback, []string{"PLAIN"}, password,
			"PLAIN=chosen STRONG=skipped MIDDLE=skipped LOGIN=skipped"},
		{"loopback exception removed", registry.Policy{NoLoopbackException: true}, plainText, loopback, []string{"PLAIN"}, password,
			"STRONG=skipped MIDDLE=skipped PLAIN=skipped LOGIN=skipped"},
		{"tunnel opt-out", registry.Policy{InsecureAllowCleartext: true}, plainText, remote, []string{"PLAIN"}, password,
			"PLAIN=chosen STRONG=skipped MIDDLE=skipped LOGIN=skipped"},
		{"allow list", registry.Policy{Allow: []string{"middle", "PLAIN"}}, tls, remote, []string{"STRONG", "MIDDLE", "PLAIN"}, password,
			"MIDDLE=chosen PLAIN=candidate STRONG=skipped LOGIN=skipped"},
		{"deny list", registry.Policy{Deny: []string{"STRONG"}}, tls, remote, []string{"STRONG", "MIDDLE"}, password,
			"MIDDLE=chosen STRONG=skipped PLAIN=skipped LOGIN=skipped"},
		{"minimum rank", registry.Policy{MinRank: 30}, tls, remote, []string{"PLAIN", "MIDDLE"}, password,
			"MIDDLE=chosen STRONG=skipped PLAIN=skipped LOGIN=skipped"},
		{"preference", registry.Policy{Prefer: []string{"plain"}}, tls, remote, []string{"STRONG", "PLAIN"}, password,
			"PLAIN=chosen STRONG=candidate MIDDLE=skipped LOGIN=skipped"},
		{"no credentials", registry.Policy{}, tls, remote, []string{"STRONG"}, registry.Credentials{Username: "u"},
			"STRONG=skipped MIDDLE=skipped PLAIN=skipped LOGIN=skipped"},
		{"wrong host", registry.Policy{}, tls, remote, []string{"STRONG"}, registry.Credentials{Username: "u", Password: "p", Host: "other.example.com"},
			"STRONG=skipped MIDDLE=skipped PLAIN=skipped LOGIN=skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRegistry(t)
			r.SetPolicy(tc.policy)
			server := *tc.server
			server.Auth = tc.mechs
			rep := r.Select(tc.creds, &server, tc.conn)
			if got := summary(rep); got != tc.want {
				t.Errorf("selection:\n got %s\nwant %s\n%s", got, tc.want, rep)
			}
			for _, d := range rep.Decisions {
				if d.Outcome == registry.Skipped && d.Reason == "" {
					t.Errorf("%s skipped without a reason", d.Name)
				}
			}
		})
	}
}

func TestReasons(t *testing.T) {
	r := testRegistry(t)
	r.SetPolicy(registry.Policy{Deny: []string{"MIDDLE"}})
	rep := r.Select(password, &auth.ServerInfo{Name: "mx", Auth: []string{"MIDDLE", "PLAIN", "X-NEW"}}, remote)
	want := map[string]string{
		"STRONG": "not advertised by the server",
		"MIDDLE": "in the policy's deny list",
		"PLAIN":  "reveals a reusable secret: needs TLS with a verified certificate",
		"X-NEW":  "not registered",
	}
	for _, d := range rep.Decisions {
		if w, ok := want[d.Name]; ok && d.Reason != w {
			t.Errorf("%s: reason %q, want %q", d.Name, d.Reason, w)
		}
	}
}

func TestSelectorNoMechanism(t *testing.T) {
	s := testRegistry(t).Auth(password)
	s.SetConnState(remote)
	_, resp, err := s.Start(&auth.ServerInfo{Name: "mx.example.com", Auth: []string{"PLAIN"}})
	if !errors.Is(err, registry.ErrNoMechanism) || resp != nil {
		t.Fatalf("Start = %q, %v; want ErrNoMechanism", resp, err)
	}
	if !strings.Contains(err.Error(), "PLAIN: reveals a reusable secret") {
		t.Errorf("error does not say why: %v", err)
	}
}

// TestSelectorVouchesForLoopback: the policy's verdict on a loopback
// socket reaches a mechanism that checks ServerInfo.TLS itself.
func TestSelectorVouchesForLoopback(t *testing.T) {
	s := testRegistry(t).Auth(password)
	s.SetConnState(loopback)
	mech, resp, err := s.Start(&auth.ServerInfo{Name: "mx.example.com", Auth: []string{"PLAIN"}})
	if mech != "PLAIN" || resp != nil || err != nil {
		t.Fatalf("Start = %q, %q, %v", mech, resp, err)
	}
}

func TestSelectorRetry(t *testing.T) {
	refusal := func(code int) error { return &textproto.Error{Code: code, Msg: "no"} }
	for _, tc := range []struct {
		name   string
		policy registry.Policy
		code   int
		retry  bool
		next   string
	}{
		{"504 moves on", registry.Policy{}, 504, true, "MIDDLE"},
		{"534 does not go weaker", registry.Policy{}, 534, false, ""},
		{"534 moves to a stronger preferred-over one", registry.Policy{Prefer: []string{"MIDDLE"}}, 534, true, "STRONG"},
		{"535 stops", registry.Policy{}, 535, false, ""},
		{"535 moves on by opt-in", registry.Policy{RetryOnAuthFailure: true}, 535, true, "MIDDLE"},
		{"454 stops", registry.Policy{}, 454, false, ""},
		{"421 stops", registry.Policy{}, 421, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRegistry(t)
			r.SetPolicy(tc.policy)
			s := r.Auth(password)
			s.SetConnState(remote)
			server := &auth.ServerInfo{Name: "mx", TLS: true, Auth: []string{"STRONG", "MIDDLE"}}
			first := "STRONG"
			if len(tc.policy.Prefer) > 0 {
				first = tc.policy.Prefer[0]
			}
			if mech, _, err := s.Start(server); mech != first || err != nil {
				t.Fatalf("first Start = %q, %v", mech, err)
			}
			if got := s.Retry(refusal(tc.code)); got != tc.retry {
				t.Fatalf("Retry(%d) = %v, want %v", tc.code, got, tc.retry)
			}
			d := s.Report().Decisions[0]
			if d.Name != first || d.Outcome != registry.Tried || !strings.Contains(d.Reason, fmt.Sprint(tc.code)) {
				t.Errorf("report line = %+v, want %s tried with the reply", d, first)
			}
			if !tc.retry {
				return
			}
			if mech, _, err := s.Start(server); mech != tc.next || err != nil {
				t.Fatalf("second Start = %q, %v; want %s", mech, err, tc.next)
			}
			if s.Report().Chosen() != tc.next {
				t.Errorf("Chosen = %q", s.Report().Chosen())
			}
			if s.Retry(refusal(504)) {
				t.Error("Retry succeeded with no candidate left")
			}
		})
	}
}

func TestRegisterValidates(t *testing.T) {
	r := registry.New()
	for _, name := range []string{"", "PL AIN", "plaın", strings.Repeat("A", 21), "X\r\n"} {
		if err := r.RegisterAuth(name, 1, false, registry.NeedPassword, func(*registry.Credentials) auth.Auth { return fakeAuth("X") }); !errors.Is(err, registry.ErrInvalidMechanism) {
			t.Errorf("Register(%q) = %v", name, err)
		}
	}
	if err := r.RegisterAuth("x-custom", 1, false, registry.NeedPassword, nil); !errors.Is(err, registry.ErrInvalidMechanism) {
		t.Errorf("nil constructor accepted: %v", err)
	}
	if err := r.RegisterAuth("x-custom", 1, false, registry.NeedPassword, func(*registry.Credentials) auth.Auth { return fakeAuth("X-CUSTOM") }); err != nil {
		t.Fatal(err)
	}
	if ms := r.Mechanisms(); len(ms) != 1 || ms[0].Name != "X-CUSTOM" {
		t.Errorf("Mechanisms = %+v", ms)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	r := testRegistry(t)
	c := r.Clone()
	c.Unregister("STRONG")
	c.SetPolicy(registry.Policy{Deny: []string{"PLAIN"}})
	if len(r.Mechanisms()) != 4 || len(r.Policy().Deny) != 0 {
		t.Error("changing a clone changed the original")
	}
}

func TestSelectorFormatting(t *testing.T) {
	s := registry.Default.Auth(password)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, s); strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the password: %s", verb, out)
		}
	}
}

type recordHandler struct{ out *[]string }

func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	var parts []string
	r.Attrs(func(a slog.Attr) bool { parts = append(parts, a.Key+"="+a.Value.String()); return true })
	*h.out = append(*h.out, r.Message+": "+strings.Join(parts, " "))
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// TestSelectorLogsDecisions: one event per mechanism considered, and one
// per refusal, in the client's trace.
func TestSelectorLogsDecisions(t *testing.T) {
	var events []string
	s := testRegistry(t).Auth(password)
	cs := remote
	cs.Logger = slog.New(recordHandler{&events})
	s.SetConnState(cs)
	if _, _, err := s.Start(&auth.ServerInfo{Name: "mx", TLS: true, Auth: []string{"STRONG", "MIDDLE"}}); err != nil {
		t.Fatal(err)
	}
	s.Retry(&textproto.Error{Code: 504, Msg: "no"})
	want := []string{
		"auth selection: mechanism=STRONG outcome=chosen reason=strongest usable",
		"auth selection: mechanism=MIDDLE outcome=candidate reason=usable; next if the chosen one is refused",
		"auth selection: mechanism=PLAIN outcome=skipped reason=not advertised by the server",
		"auth selection: mechanism=LOGIN outcome=skipped reason=not advertised by the server",
		`auth selection: mechanism=STRONG outcome=tried reason=refused: 504 "no"`,
		"auth selection: mechanism=MIDDLE outcome=chosen reason=next usable after a refusal",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
}

func TestCredentialsHideSecrets(t *testing.T) {
	c := registry.Credentials{Username: "user", Password: "hunter2", Host: "mx"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		if out := fmt.Sprintf(verb, c); strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("%s shows the password: %s", verb, out)
		}
	}
	if out := fmt.Sprintf("%+v", &c); !strings.Contains(out, "Password:true") || !strings.Contains(out, "Username:user") {
		t.Errorf("%%+v = %s, want the user and whether a password is set", out)
	}
	b, err := json.Marshal(c)
	if err != nil || strings.Contains(string(b), "hunter2") || string(b) != `{"Username":"user","Password":true,"Host":"mx"}` {
		t.Errorf("json = %s, %v", b, err)
	}
}
