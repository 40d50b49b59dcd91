package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, &out, &errOut); code != 0 {
		t.Fatalf("demo exited %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"C: STARTTLS\n",
		"C: AUTH PLAIN [redacted]\n",
		"S: 235 ",
		"C: QUIT\n",
		"server received, over TLS=true, authenticated as user@example.com with PLAIN:",
		"  | .A line starting with a dot arrives intact.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, got)
		}
	}
	secret := base64.StdEncoding.EncodeToString([]byte("\x00user@example.com\x00password"))
	if strings.Contains(got, secret) || strings.Contains(got, "password") {
		t.Errorf("demo output shows the credentials:\n%s", got)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"demo", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}
