package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// The Dovecot tests run probe and send against the Dovecot submission
// server that .ci/dovecot-start runs (see interop/doc.go for the setup and
// the SMTPAUTH_DOVECOT_* variables). Without SMTPAUTH_DOVECOT_STARTTLS
// they skip, except under CI=true, where they fail.

const (
	dovecotServerName  = "mail.smtpauth.test" // in Dovecot's certificate
	dovecotRecipient   = "bob@example.test"
	dovecotPasswordVar = "SMTPAUTH_DOVECOT_PASSWORD"

	// relayBindWait bounds the wait for the relay port, which the interop
	// package's tests hold while they run.
	relayBindWait = 30 * time.Second
)

// dovecotEnv is what .ci/dovecot-start exports.
type dovecotEnv struct {
	starttls, implicit, ca, relay, user string
}

func dovecot(t *testing.T) dovecotEnv {
	t.Helper()
	if os.Getenv("SMTPAUTH_DOVECOT_STARTTLS") == "" {
		const msg = "SMTPAUTH_DOVECOT_STARTTLS is not set: no Dovecot to test against; " +
			"run `bash .ci/dovecot-start` and source the dovecot.env it writes (see interop/doc.go)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg + " (CI=true: this is a failure)")
		}
		t.Skip(msg)
	}
	e := dovecotEnv{}
	var missing []string
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"SMTPAUTH_DOVECOT_STARTTLS", &e.starttls},
		{"SMTPAUTH_DOVECOT_TLS", &e.implicit},
		{"SMTPAUTH_DOVECOT_CA", &e.ca},
		{"SMTPAUTH_DOVECOT_RELAY", &e.relay},
		{"SMTPAUTH_DOVECOT_USER", &e.user},
		{dovecotPasswordVar, new(string)},
	} {
		if *v.dst = os.Getenv(v.name); *v.dst == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("SMTPAUTH_DOVECOT_STARTTLS is set but %s missing; source the env file written by .ci/dovecot-start", strings.Join(missing, ", "))
	}
	return e
}

// listeners are Dovecot's two submission ports with the --tls mode of each.
func (e dovecotEnv) listeners() []struct{ mode, addr string } {
	return []struct{ mode, addr string }{{tlsStartTLS, e.starttls}, {tlsImplicit, e.implicit}}
}

// args are the flags every run against Dovecot takes.
func (e dovecotEnv) args(cmd, mode string, extra ...string) []string {
	args := []string{cmd, "--json", "--tls", mode, "--ca", e.ca, "--server-name", dovecotServerName,
		"--user", e.user, "--password-env", dovecotPasswordVar, "--timeout", "30s"}
	return append(args, extra...)
}

func TestDovecotProbe(t *testing.T) {
	e := dovecot(t)
	for _, l := range e.listeners() {
		t.Run(l.mode, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", append(e.args("probe", l.mode), l.addr)...)
			if code != 0 {
				t.Fatalf("probe exited %d: %s\n%s", code, errOut, out)
			}
			var got jsonProbe
			decodeJSON(t, out, &got, probeKeys...)
			if !strings.HasPrefix(got.TLS, "TLS 1.") {
				t.Errorf("tls = %q, want a TLS version", got.TLS)
			}
			// .ci/dovecot-start: auth_mechanisms = plain login cram-md5.
			for _, m := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
				if !slices.Contains(got.Auth, m) {
					t.Errorf("auth = %q, want %s in it", got.Auth, m)
				}
			}
			if got.Extensions["AUTH"] != strings.Join(got.Auth, " ") {
				t.Errorf("extensions[AUTH] = %q, auth = %q", got.Extensions["AUTH"], got.Auth)
			}
			if _, ok := got.Extensions["STARTTLS"]; ok {
				t.Errorf("STARTTLS listed on a TLS connection: %v", got.Extensions)
			}
			want := strongest(t, got.Auth)
			if len(got.Selection) == 0 || got.Selection[0].Name != want || got.Selection[0].Decision != "chosen" {
				t.Errorf("selection = %+v, want %s chosen first", got.Selection, want)
			}
			for _, m := range got.Auth {
				if d := findDecision(t, got.Selection, m); d.Decision == "skipped" && strings.Contains(d.Reason, "TLS") {
					t.Errorf("%s skipped for want of TLS on a verified TLS connection: %+v", m, d)
				}
			}
		})
	}
}

func TestDovecotSend(t *testing.T) {
	e := dovecot(t)
	// What Dovecot advertises decides what auto picks.
	code, out, errOut := runCmd(t, "", append(e.args("probe", tlsStartTLS), e.starttls)...)
	if code != 0 {
		t.Fatalf("probe exited %d: %s\n%s", code, errOut, out)
	}
	var probed jsonProbe
	decodeJSON(t, out, &probed, probeKeys...)
	auto := strongest(t, probed.Auth)

	sink := startRelaySink(t, e.relay)
	for _, l := range e.listeners() {
		for _, mech := range []string{"auto", "PLAIN", "LOGIN", "CRAM-MD5"} {
			t.Run(l.mode+"/"+mech, func(t *testing.T) {
				token := "smtpauth-cli-" + rand.Text()
				msg := "From: Alice <" + e.user + ">\r\n" +
					"To: Bob <" + dovecotRecipient + ">\r\n" +
					"Subject: smtpauth send " + token + "\r\n" +
					"Message-ID: <" + token + "@smtpauth.test>\r\n" +
					"\r\n" +
					"token " + token + "\r\n" +
					".a line that starts with a dot\r\n"
				args := e.args("send", l.mode, "--mech", mech, "--from", e.user, "--to", dovecotRecipient, l.addr)
				code, out, errOut := runCmd(t, msg, args...)
				if code != 0 {
					t.Fatalf("send exited %d: %s\n%s", code, errOut, out)
				}
				var got jsonSend
				decodeJSON(t, out, &got, sendKeys...)
				want := mech
				if mech == "auto" {
					want = auto
				}
				if got.Mechanism != want {
					t.Errorf("mechanism = %q, want %q", got.Mechanism, want)
				}
				if !strings.HasPrefix(got.TLS, "TLS 1.") {
					t.Errorf("tls = %q", got.TLS)
				}
				if !slices.Equal(got.Accepted, []string{dovecotRecipient}) || len(got.Rejected) != 0 {
					t.Errorf("accepted %q, rejected %+v", got.Accepted, got.Rejected)
				}
				if d := findDecision(t, got.Selection, want); d.Decision != "chosen" {
					t.Errorf("selection of %s: %+v", want, d)
				}
				if sink != nil {
					data := sink.waitFor(t, token, 10*time.Second)
					if !bytes.HasSuffix(data, []byte(msg)) {
						t.Errorf("relayed data does not end with the message sent:\n%s", data)
					}
				}
			})
		}
	}

	t.Run("wrong-password", func(t *testing.T) {
		t.Setenv(dovecotPasswordVar, "Tr0ub4dor&3")
		args := e.args("send", tlsStartTLS, "--from", e.user, "--to", dovecotRecipient, e.starttls)
		code, out, _ := runCmd(t, "Subject: never\r\n\r\nnever\r\n", args...)
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		var got jsonSend
		decodeJSON(t, out, &got, append(sendKeys, "error")...)
		if !strings.Contains(got.Error, "535") || got.Mechanism != "" || len(got.Accepted) != 0 {
			t.Errorf("after a wrong password: %+v", got)
		}
		if strings.Contains(out, "Tr0ub4dor") {
			t.Errorf("the password is in the output:\n%s", out)
		}
	})
}

// relaySink is the server Dovecot relays to while TestDovecotSend runs.
type relaySink struct {
	mu   sync.Mutex
	msgs [][]byte
}

// startRelaySink listens on addr until the test ends. The interop
// package's tests run their own sink on the same address for their whole
// run, possibly at the same time in another process: a busy port is retried
// for relayBindWait, and if it stays busy the sink there, which accepts
// everything as this one does, takes the messages and startRelaySink
// returns nil.
func startRelaySink(t *testing.T, addr string) *relaySink {
	t.Helper()
	deadline := time.Now().Add(relayBindWait)
	var l net.Listener
	for {
		var err error
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("relay sink: %v", err)
		}
		if time.Now().After(deadline) {
			t.Logf("relay sink: %s busy for %v, presumably the interop tests' sink; relayed data is not checked", addr, relayBindWait)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := &relaySink{}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &relaySession{sink: s}, nil
	}))
	srv.Domain = "relay-sink.smtpauth.test"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

// waitFor returns the data of the first relayed message containing token.
func (s *relaySink) waitFor(t *testing.T, token string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		i := slices.IndexFunc(s.msgs, func(m []byte) bool { return bytes.Contains(m, []byte(token)) })
		var m []byte
		if i >= 0 {
			m = s.msgs[i]
		}
		s.mu.Unlock()
		if m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message with token %s reached the relay sink within %v", token, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relaySession accepts every envelope and records the data.
type relaySession struct{ sink *relaySink }

func (*relaySession) Reset()                                 {}
func (*relaySession) Logout() error                          { return nil }
func (*relaySession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (*relaySession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (rs *relaySession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rs.sink.mu.Lock()
	rs.sink.msgs = append(rs.sink.msgs, data)
	rs.sink.mu.Unlock()
	return nil
}
