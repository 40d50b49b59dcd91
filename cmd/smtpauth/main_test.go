package main

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/smtptest"
)

func TestDemo(t *testing.T) {
	code, got, errOut := runCmd(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo exited %d: %s", code, errOut)
	}
	// The registry, not the demo, picks: the strongest mechanism smtptest
	// offers by default.
	want := strongest(t, smtptest.NewUnstartedServer().Mechanisms)
	for _, s := range []string{
		"C: STARTTLS\n",
		"C: AUTH " + want,
		"S: 235 ",
		"C: QUIT\n",
		"server received, over TLS=true, authenticated as user@example.com with " + want + ":",
		"  | .A line starting with a dot arrives intact.\n",
	} {
		if !strings.Contains(got, s) {
			t.Errorf("demo output lacks %q:\n%s", s, got)
		}
	}
	// The selection report: the chosen line first, then every other
	// mechanism of the registry with its reason.
	report := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(want) + ` +chosen +\S`)
	if !report.MatchString(got) {
		t.Errorf("demo output has no selection line choosing %s:\n%s", want, got)
	}
	if !strings.Contains(got, "not advertised by the server") {
		t.Errorf("demo's selection report does not explain the skipped mechanisms:\n%s", got)
	}
	if strings.Index(got, "C: QUIT") > strings.Index(got, "selection by registry.Default") {
		t.Errorf("the selection report should follow the transcript:\n%s", got)
	}
	// The AUTH exchange is in the transcript, payloads redacted.
	if !strings.Contains(got, "[redacted]") {
		t.Errorf("demo transcript shows no redacted AUTH payload:\n%s", got)
	}
	for _, secret := range []string{
		testPassword,
		base64.StdEncoding.EncodeToString([]byte(testPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword)),
	} {
		if strings.Contains(got, secret) {
			t.Errorf("demo output shows the credentials (%q):\n%s", secret, got)
		}
	}
}

func TestUsage(t *testing.T) {
	const addr = "127.0.0.1:1" // never dialled: usage is checked first
	for _, args := range [][]string{
		nil,
		{"nope"},
		{"demo", "extra"},
		{"probe"},
		{"probe", "--json"},
		{"probe", "--nope", addr},
		{"probe", "--password", "hunter2", addr}, // there is no such flag, on purpose
		{"probe", "--tls", "maybe", addr},
		{"probe", "--tls", "STARTTLS", addr},
		{"probe", "--key", "k.pem", addr},
		{"probe", "--cert", "c.pem", "--tls", "none", addr},
		{"probe", "--mech", "PLAIN,NOPE", addr},
		{"probe", "--password-env", "X", addr}, // no --user
		{"probe", "--user", "u", addr},         // no secret
		{"probe", "--user", "u", "--password-env", "X", "--password-file", "f", addr},
		{"probe", "--user", "u", "--token-env", "X", "--token-file", "f", addr},
		{"probe", "--timeout", "0s", addr},
		{"probe", "--timeout", "soon", addr},
		{"probe", addr, "extra"},
		{"probe", "mail.example.com"},
		{"probe", ":25"},
		{"probe", "--from", "a@example.com", addr}, // send only
		{"send", addr},
		{"send", "--from", "a@example.com", addr},
		{"send", "--to", "b@example.com", addr},
		{"send", "--from", "a@example.com", "--to", "b@example.com"},
	} {
		code, out, errOut := runCmd(t, "", args...)
		if code != 2 {
			t.Errorf("run(%q) = %d, want 2\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		if errOut == "" {
			t.Errorf("run(%q) says nothing on stderr", args)
		}
	}
}

func TestNoPasswordFlag(t *testing.T) {
	code, _, errOut := runCmd(t, "", "send", "--from", "a@example.com", "--to", "b@example.com", "--user", "u", "--password", "hunter2", "127.0.0.1:1")
	if code != 2 || !strings.Contains(errOut, "never accepted on the command line") {
		t.Errorf("exit %d, stderr %q; want 2 and the reason", code, errOut)
	}
}

func TestUsageJSON(t *testing.T) {
	code, out, _ := runCmd(t, "", "send", "--json", "--from", "a@example.com", "127.0.0.1:1")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	var got jsonSend
	decodeJSON(t, out, &got, "mechanism", "tls", "accepted", "rejected", "selection", "error")
	if !strings.Contains(got.Error, "--to") {
		t.Errorf("error = %q, want it to name --to", got.Error)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"probe", "-h"}, {"send", "--help"}} {
		code, out, _ := runCmd(t, "", args...)
		if code != 0 {
			t.Errorf("run(%q) = %d, want 0", args, code)
		}
		for _, want := range []string{"--password-env", "never accepted on the command line", "--tls MODE"} {
			if !strings.Contains(out, want) {
				t.Errorf("run(%q) usage lacks %q", args, want)
			}
		}
	}
}
