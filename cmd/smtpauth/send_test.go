package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/smtptest"
)

var sendKeys = []string{"mechanism", "tls", "accepted", "rejected", "selection"}

const testMessage = "From: user@example.com\r\nTo: bob@example.net\r\nSubject: test\r\n\r\nHello.\r\n.dot\r\n"

// sendArgs returns the arguments of a send to srv with trust, then extra.
func sendArgs(trust []string, extra ...string) []string {
	args := append([]string{"send", "--from", testUser, "--to", "bob@example.net"}, trust...)
	return append(args, extra...)
}

func TestSendJSON(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append(sendArgs(trust, "--json"), passwordFlags(t, testPassword)...)
	// Flags after HOST:PORT are taken too.
	args = append(args, srv.Addr, "--to", "carol@example.net")
	code, out, errOut := runCmd(t, testMessage, args...)
	if code != 0 {
		t.Fatalf("send exited %d: %s", code, errOut)
	}
	var got jsonSend
	decodeJSON(t, out, &got, sendKeys...)
	want := strongest(t, srv.Mechanisms)
	if got.Mechanism != want {
		t.Errorf("mechanism = %q, want %q", got.Mechanism, want)
	}
	if !strings.HasPrefix(got.TLS, "TLS 1.") {
		t.Errorf("tls = %q", got.TLS)
	}
	if !slices.Equal(got.Accepted, []string{"bob@example.net", "carol@example.net"}) || len(got.Rejected) != 0 {
		t.Errorf("accepted %q, rejected %+v", got.Accepted, got.Rejected)
	}
	if d := findDecision(t, got.Selection, want); d.Decision != "chosen" {
		t.Errorf("selection of %s: %+v", want, d)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.Auth != want || m.User != testUser || !m.TLS || m.From != testUser || string(m.Data) != testMessage {
		t.Errorf("server received %+v (data %q)", m, m.Data)
	}
}

func TestSendImplicitTLSMechList(t *testing.T) {
	srv, trust := startServer(t, true, nil)
	args := append(sendArgs(trust, "--json", "--tls", "implicit", "--mech", "PLAIN"), passwordFlags(t, testPassword)...)
	code, out, errOut := runCmd(t, testMessage, append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("send exited %d: %s", code, errOut)
	}
	var got jsonSend
	decodeJSON(t, out, &got, sendKeys...)
	if got.Mechanism != "PLAIN" {
		t.Errorf("mechanism = %q, want PLAIN as --mech says", got.Mechanism)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Auth != "PLAIN" {
		t.Errorf("server received %+v", msgs)
	}
}

// TestSendMechNotOffered: --mech names only mechanisms the server lacks.
func TestSendMechNotOffered(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append(sendArgs(trust, "--json", "--mech", "SCRAM-SHA-256"), passwordFlags(t, testPassword)...)
	code, out, _ := runCmd(t, testMessage, append(args, srv.Addr)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got jsonSend
	decodeJSON(t, out, &got, append(sendKeys, "error")...)
	if !strings.Contains(got.Error, "no usable mechanism") {
		t.Errorf("error = %q", got.Error)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message was delivered")
	}
}

func TestSendRejectedRecipient(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append(sendArgs(trust, "--json", "--to", "reject@example.net"), passwordFlags(t, testPassword)...)
	code, out, _ := runCmd(t, testMessage, append(args, srv.Addr)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 when a recipient is refused", code)
	}
	var got jsonSend
	decodeJSON(t, out, &got, append(sendKeys, "error")...)
	if !slices.Equal(got.Accepted, []string{"bob@example.net"}) {
		t.Errorf("accepted = %q", got.Accepted)
	}
	if len(got.Rejected) != 1 || got.Rejected[0].Rcpt != "reject@example.net" || got.Rejected[0].Code != 550 || got.Rejected[0].Message == "" {
		t.Errorf("rejected = %+v", got.Rejected)
	}
	if got.Mechanism == "" || got.Error == "" {
		t.Errorf("mechanism %q, error %q", got.Mechanism, got.Error)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"bob@example.net"}) {
		t.Errorf("server received %+v", msgs)
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	args := append(sendArgs(trust, "--json"), passwordFlags(t, "wrong password")...)
	code, out, errOut := runCmd(t, testMessage, append(args, srv.Addr)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var got jsonSend
	decodeJSON(t, out, &got, append(sendKeys, "error")...)
	if !strings.Contains(got.Error, "535") {
		t.Errorf("error = %q, want the server's 535", got.Error)
	}
	if got.Mechanism != "" || len(got.Accepted) != 0 {
		t.Errorf("mechanism %q, accepted %q after a refusal", got.Mechanism, got.Accepted)
	}
	if d := findDecision(t, got.Selection, strongest(t, srv.Mechanisms)); d.Decision != "tried" {
		t.Errorf("selection %+v, want tried", d)
	}
	if strings.Contains(out+errOut, "wrong password") {
		t.Errorf("the password is in the output:\n%s\n%s", out, errOut)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message was delivered")
	}
}

// TestSendNoCredentials: without credentials send does not authenticate;
// a server that requires it refuses MAIL.
func TestSendNoCredentials(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	code, out, errOut := runCmd(t, testMessage, append(sendArgs(trust, "--json"), srv.Addr)...)
	if code != 0 {
		t.Fatalf("send exited %d: %s", code, errOut)
	}
	var got jsonSend
	decodeJSON(t, out, &got, sendKeys...)
	if got.Mechanism != "" || len(got.Selection) != 0 || len(got.Accepted) != 1 {
		t.Errorf("send without credentials: %+v", got)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Auth != "" {
		t.Errorf("server received %+v", msgs)
	}

	srv, trust = startServer(t, false, func(s *smtptest.Server) { s.RequireAuth = true })
	code, out, _ = runCmd(t, testMessage, append(sendArgs(trust, "--json"), srv.Addr)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	decodeJSON(t, out, &got, append(sendKeys, "error")...)
	if !strings.Contains(got.Error, "530") {
		t.Errorf("error = %q, want the server's 530", got.Error)
	}
}

func TestSendPasswordFileAndText(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	pw := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pw, []byte(testPassword+"\r\nnot the password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(sendArgs(trust, "--user", testUser, "--password-file", pw), srv.Addr)
	code, out, errOut := runCmd(t, testMessage, args...)
	if code != 0 {
		t.Fatalf("send exited %d: %s", code, errOut)
	}
	want := strongest(t, srv.Mechanisms)
	for _, s := range []string{"TLS: TLS 1.", "authenticated with " + want + "\n", "accepted: bob@example.net\n", "server: 2.0.0 OK"} {
		if !strings.Contains(out, s) {
			t.Errorf("send output lacks %q:\n%s", s, out)
		}
	}
}

// TestSendToken: a bearer token from a file selects OAUTHBEARER or
// XOAUTH2.
func TestSendToken(t *testing.T) {
	srv, trust := startServer(t, false, func(s *smtptest.Server) {
		s.Mechanisms = []string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}
	})
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mech := range []string{"auto", "XOAUTH2"} {
		args := append(sendArgs(trust, "--json", "--mech", mech, "--user", testUser, "--token-file", tok), srv.Addr)
		code, out, errOut := runCmd(t, testMessage, args...)
		if code != 0 {
			t.Fatalf("--mech %s: send exited %d: %s", mech, code, errOut)
		}
		var got jsonSend
		decodeJSON(t, out, &got, sendKeys...)
		want := map[string]string{"auto": "OAUTHBEARER", "XOAUTH2": "XOAUTH2"}[mech]
		if got.Mechanism != want {
			t.Errorf("--mech %s: mechanism = %q, want %q", mech, got.Mechanism, want)
		}
		if d := findDecision(t, got.Selection, "PLAIN"); d.Decision == "chosen" || d.Decision == "candidate" {
			t.Errorf("--mech %s: PLAIN usable with a token alone: %+v", mech, d)
		}
	}
}

// TestTraceRedacted: --trace shows the conversation on stderr, never the
// password, in clear or in base64.
func TestTraceRedacted(t *testing.T) {
	srv, trust := startServer(t, false, func(s *smtptest.Server) {
		s.Mechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5"}
	})
	secrets := []string{
		testPassword,
		base64.StdEncoding.EncodeToString([]byte(testPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword)),
	}
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		args := append(sendArgs(trust, "--trace", "--json", "--mech", mech), passwordFlags(t, testPassword)...)
		code, out, errOut := runCmd(t, testMessage, append(args, srv.Addr)...)
		if code != 0 {
			t.Fatalf("%s: send exited %d: %s", mech, code, errOut)
		}
		for _, want := range []string{"C: STARTTLS\n", "C: AUTH " + mech, "[redacted]", "S: 235 ", "C: QUIT\n"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: trace lacks %q:\n%s", mech, want, errOut)
			}
		}
		for _, s := range secrets {
			if strings.Contains(errOut, s) || strings.Contains(out, s) {
				t.Errorf("%s: the output shows %q:\n%s\n%s", mech, s, errOut, out)
			}
		}
	}
	// The server did see them: the check above is not vacuous.
	if tr := srv.Transcript(); !strings.Contains(tr, secrets[2]) {
		t.Errorf("smtptest's transcript lacks the PLAIN response; the redaction test proves nothing")
	}
}

// TestCleartextPolicy: with --tls none, PLAIN goes to a loopback address
// (nothing leaves the machine) but is refused by the policy to any other
// address, before any credential is sent.
func TestCleartextPolicy(t *testing.T) {
	srv, trust := startServer(t, false, func(s *smtptest.Server) {
		s.Mechanisms = []string{"PLAIN"}
		s.AllowInsecureAuth = true
	})
	args := append(sendArgs(trust, "--json", "--tls", "none"), passwordFlags(t, testPassword)...)
	code, out, errOut := runCmd(t, testMessage, append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("loopback: send exited %d: %s", code, errOut)
	}
	var got jsonSend
	decodeJSON(t, out, &got, sendKeys...)
	if got.Mechanism != "PLAIN" || got.TLS != "none" {
		t.Errorf("loopback: %+v", got)
	}

	// A non-loopback view of the same server: a proxy on this machine's
	// own non-loopback address.
	ip := nonLoopbackIP(t)
	proxy := startProxy(t, ip, srv.Addr)
	before := strings.Count(srv.Transcript(), "\nAUTH ")
	for _, cmd := range [][]string{
		append(args, proxy),
		append(append([]string{"probe", "--json", "--tls", "none"}, passwordFlags(t, testPassword)...), proxy),
	} {
		code, out, errOut = runCmd(t, testMessage, cmd...)
		if code != 1 {
			t.Fatalf("%s via %s: exit %d, want 1\n%s\n%s", cmd[0], proxy, code, out, errOut)
		}
		var got struct {
			Error     string         `json:"error"`
			Selection []jsonDecision `json:"selection"`
		}
		decodeLoose(t, out, &got)
		d := findDecision(t, got.Selection, "PLAIN")
		if d.Decision != "skipped" || !strings.Contains(d.Reason, "TLS") {
			t.Errorf("%s: PLAIN %+v, want skipped for want of TLS", cmd[0], d)
		}
		if !strings.Contains(got.Error, "no usable mechanism") {
			t.Errorf("%s: error = %q", cmd[0], got.Error)
		}
	}
	if after := strings.Count(srv.Transcript(), "\nAUTH "); after != before {
		t.Errorf("credentials were sent through the non-loopback proxy:\n%s", srv.Transcript())
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want only the loopback one", n)
	}
}

// nonLoopbackIP returns an address of this machine that is not loopback,
// or skips the test.
func nonLoopbackIP(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			if l, err := net.Listen("tcp", net.JoinHostPort(n.IP.String(), "0")); err == nil {
				l.Close()
				return n.IP
			}
		}
	}
	t.Skip("this machine has no non-loopback address to test the cleartext policy with")
	return nil
}

// startProxy forwards connections from ip to target and returns its address.
func startProxy(t *testing.T, ip net.IP, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() {
					io.Copy(s, c)
					s.(*net.TCPConn).CloseWrite()
				}()
				io.Copy(c, s)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestSendLarge(t *testing.T) {
	srv, trust := startServer(t, false, nil)
	line := strings.Repeat("x", 76) + "\r\n"
	msg := "Subject: large\r\n\r\n" + strings.Repeat(line, 3<<20/len(line))
	args := append(sendArgs(trust, "--json"), passwordFlags(t, testPassword)...)
	code, _, errOut := runCmd(t, msg, append(args, srv.Addr)...)
	if code != 0 {
		t.Fatalf("send exited %d: %s", code, errOut)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || string(msgs[0].Data) != msg {
		t.Errorf("the large message did not arrive intact")
	}
	if errOut != "" {
		t.Errorf("progress shown on a stderr that is not a terminal: %q", errOut)
	}
}

func TestProgress(t *testing.T) {
	var w bytes.Buffer
	p := &progress{r: bytes.NewReader(make([]byte, 5<<19)), w: &w, next: progressStep}
	if _, err := io.Copy(io.Discard, p); err != nil {
		t.Fatal(err)
	}
	p.finish()
	got := w.String()
	for _, want := range []string{"\rsmtpauth: sending, 1 MiB of message read", "\rsmtpauth: sending, 2 MiB", "\rsmtpauth: 2.5 MiB of message read\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress output lacks %q: %q", want, got)
		}
	}

	w.Reset()
	p = &progress{r: strings.NewReader("small"), w: &w, next: progressStep}
	io.Copy(io.Discard, p)
	p.finish()
	if w.Len() != 0 {
		t.Errorf("progress shown for a small message: %q", w.String())
	}
	if isTerminal(&w) {
		t.Error("a buffer is a terminal")
	}
}

func TestFromFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"secret":               "secret",
		"secret\n":             "secret",
		"secret\r\nsecond\n":   "secret",
		" spaced secret \n":    " spaced secret ",
		"\nsecret on line 2\n": "",
	} {
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := fromFile("--password-file", name)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("fromFile(%q) = %q, %v; want %q", content, got, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("fromFile error shows the content: %v", err)
		}
	}
}
