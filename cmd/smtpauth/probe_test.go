package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/smtptest"
)

var probeKeys = []string{"tls", "extensions", "auth", "selection"}

func TestProbeStartTLS(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append([]string{"probe", "--json"}, trust...)
	args = append(args, passwordFlags(t, testPassword)...)
	code, out, errOut := runCmd(t, "", append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("probe exited %d: %s", code, errOut)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, probeKeys...)
	if !strings.HasPrefix(got.TLS, "TLS 1.") {
		t.Errorf("tls = %q, want a TLS version", got.TLS)
	}
	if !slices.Equal(got.Auth, srv.Mechanisms) {
		t.Errorf("auth = %q, want %q", got.Auth, srv.Mechanisms)
	}
	// After STARTTLS, the extensions are those of the second EHLO.
	for kw, param := range map[string]string{
		"AUTH":       strings.Join(srv.Mechanisms, " "),
		"PIPELINING": "",
		"CHUNKING":   "",
		"SMTPUTF8":   "",
		"8BITMIME":   "",
		"DSN":        "",
	} {
		if p, ok := got.Extensions[kw]; !ok || p != param {
			t.Errorf("extensions[%s] = %q, %v; want %q", kw, p, ok, param)
		}
	}
	if !strings.HasPrefix(got.Extensions["SIZE"], "1") {
		t.Errorf("extensions[SIZE] = %q, want a limit", got.Extensions["SIZE"])
	}
	if _, ok := got.Extensions["STARTTLS"]; ok {
		t.Errorf("extensions list STARTTLS after STARTTLS: %v", got.Extensions)
	}
	want := strongest(t, srv.Mechanisms)
	if len(got.Selection) == 0 || got.Selection[0].Name != want || got.Selection[0].Decision != "chosen" {
		t.Errorf("selection starts with %+v, want %s chosen", got.Selection[:min(1, len(got.Selection))], want)
	}
	for _, m := range srv.Mechanisms {
		if d := findDecision(t, got.Selection, m); d.Decision != "chosen" && d.Decision != "candidate" {
			t.Errorf("advertised %s is %s (%s), want usable", m, d.Decision, d.Reason)
		}
	}
	if d := findDecision(t, got.Selection, "XOAUTH2"); d.Decision != "skipped" || d.Reason == "" {
		t.Errorf("XOAUTH2: %+v, want skipped with a reason", d)
	}
	// Every registered mechanism has its verdict.
	if len(got.Selection) < 10 {
		t.Errorf("selection has %d lines, want every registered mechanism", len(got.Selection))
	}
	// Nothing was authenticated or sent.
	if tr := srv.Transcript(); sentCommand(tr, "AUTH") || sentCommand(tr, "MAIL") {
		t.Errorf("probe authenticated or sent:\n%s", tr)
	}
	if msgs := srv.Messages(); len(msgs) != 0 {
		t.Errorf("probe delivered %d messages", len(msgs))
	}
}

func TestProbeImplicitTLS(t *testing.T) {
	srv, trust := startServer(t, true, nil)
	args := append([]string{"probe", "--tls", "implicit", "--json"}, trust...)
	code, out, errOut := runCmd(t, "", append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("probe exited %d: %s", code, errOut)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, probeKeys...)
	if !strings.HasPrefix(got.TLS, "TLS 1.") {
		t.Errorf("tls = %q, want a TLS version", got.TLS)
	}
	if !slices.Equal(got.Auth, srv.Mechanisms) {
		t.Errorf("auth = %q, want %q", got.Auth, srv.Mechanisms)
	}
	// Without credentials every mechanism is skipped, and that is no error.
	for _, d := range got.Selection {
		if d.Decision != "skipped" {
			t.Errorf("without credentials %s is %s", d.Name, d.Decision)
		}
	}
	if d := findDecision(t, got.Selection, srv.Mechanisms[0]); !strings.Contains(d.Reason, "credentials") {
		t.Errorf("%s skipped because %q, want the missing credentials", d.Name, d.Reason)
	}
}

func TestProbeText(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append([]string{"probe"}, trust...)
	args = append(args, passwordFlags(t, testPassword)...)
	code, out, errOut := runCmd(t, "", append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("probe exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"server: mail.smtpauth.test (certificate verified), TLS: TLS 1.",
		"\n  AUTH " + strings.Join(srv.Mechanisms, " ") + "\n",
		"\nauth: " + strings.Join(srv.Mechanisms, " ") + "\n",
		"\n  " + strongest(t, srv.Mechanisms) + " ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
}

// TestProbeUntrusted checks that without --ca the self-signed certificate
// is refused, and that the refusal is not a usage error.
func TestProbeUntrusted(t *testing.T) {
	srv, _ := startServer(t, false, nil)
	code, out, _ := runCmd(t, "", "probe", "--json", "--server-name", srv.ServerName, srv.Addr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, append(probeKeys, "error")...)
	if !strings.Contains(got.Error, "certificate") {
		t.Errorf("error = %q, want a certificate failure", got.Error)
	}
}

// TestStartTLSNotOffered: with --tls starttls (the default), a server that
// does not offer STARTTLS ends the session before anything else is sent.
func TestStartTLSNotOffered(t *testing.T) {
	fake := startFake(t, false, "PIPELINING", "AUTH PLAIN LOGIN")
	t.Setenv(passwordVar, testPassword)
	for _, args := range [][]string{
		{"probe", "--json", fake.Addr},
		{"probe", "--json", "--tls", "starttls", "--user", testUser, "--password-env", passwordVar, fake.Addr},
		{"send", "--json", "--from", testUser, "--to", "bob@example.net", "--user", testUser, "--password-env", passwordVar, fake.Addr},
	} {
		code, out, errOut := runCmd(t, "Subject: x\r\n\r\nhi\r\n", args...)
		if code != 1 {
			t.Errorf("run(%q) = %d, want 1\n%s", args, code, errOut)
			continue
		}
		var got struct {
			Error string `json:"error"`
		}
		decodeLoose(t, out, &got)
		if !strings.Contains(got.Error, "STARTTLS") {
			t.Errorf("run(%q) error = %q, want it to name STARTTLS", args, got.Error)
		}
	}
	for _, line := range fake.received() {
		if verb, _, _ := strings.Cut(line, " "); verb != "EHLO" && verb != "QUIT" {
			t.Errorf("the client sent %q to a server without STARTTLS", line)
		}
	}

	// --tls none is the explicit choice of plaintext.
	code, out, errOut := runCmd(t, "", "probe", "--tls", "none", "--json", fake.Addr)
	if code != 0 {
		t.Fatalf("probe --tls none exited %d: %s", code, errOut)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, probeKeys...)
	if got.TLS != "none" || !slices.Equal(got.Auth, []string{"PLAIN", "LOGIN"}) {
		t.Errorf("probe --tls none = %+v", got)
	}
	if _, ok := got.Extensions["PIPELINING"]; !ok {
		t.Errorf("extensions = %v, want PIPELINING", got.Extensions)
	}
}

func TestTimeout(t *testing.T) {
	fake := startFake(t, true)
	start := time.Now()
	code, out, _ := runCmd(t, "", "probe", "--json", "--timeout", "300ms", fake.Addr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("probe took %v with --timeout 300ms", d)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, append(probeKeys, "error")...)
	if got.Error == "" {
		t.Error("no error in the JSON")
	}
}

// TestProbeMechList: --mech restricts the verdicts to the names given.
func TestProbeMechList(t *testing.T) {
	srv, trust := startServer(t, false, func(s *smtptest.Server) {
		s.Mechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5"}
	})
	args := append([]string{"probe", "--json", "--mech", "login,plain"}, trust...)
	args = append(args, passwordFlags(t, testPassword)...)
	code, out, errOut := runCmd(t, "", append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("probe exited %d: %s", code, errOut)
	}
	var got jsonProbe
	decodeJSON(t, out, &got, probeKeys...)
	want := []string{"LOGIN chosen", "PLAIN candidate"}
	var have []string
	for _, d := range got.Selection[:2] {
		have = append(have, d.Name+" "+d.Decision)
	}
	if !slices.Equal(have, want) {
		t.Errorf("selection starts %q, want %q", have, want)
	}
	if d := findDecision(t, got.Selection, "CRAM-MD5"); d.Decision != "skipped" || !strings.Contains(d.Reason, "allow") {
		t.Errorf("CRAM-MD5: %+v, want skipped by the allow list", d)
	}
}
