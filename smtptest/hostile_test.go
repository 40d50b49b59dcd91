package smtptest_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileResponses sends malformed exchanges to every mechanism and
// checks that each ends in a reply rather than in a panic, which go-smtp
// would answer 421 before closing the connection.
func TestHostileResponses(t *testing.T) {
	mechs := []string{
		"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER",
		"SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256",
	}
	s := newServer(t, mechs...)
	// Each entry is the initial response, then the answers to challenges;
	// "" is sent as an empty line.
	exchanges := [][]string{
		{""},
		{"\x00"},
		{"\x01", "\x01", "\x01"},
		{"\x01\x01", "", ""},
		{",,,", "", ""},
		{"n,,", "\x01", "\x01"},
		{"y,,", "", ""},
		{"n,a=" + user + ",\x01auth=Bearer wrong\x01\x01", "", ""},
		{"n,a=" + user + ",\x01auth=Bearer wrong\x01\x01", "\x01\x01"},
		{"n,a=" + user + ",\x01port=x\x01\x01", "\x01"},
		{"user=" + user + "\x01auth=Bearer\x01\x01", ""},
		{"user=\x01auth=Bearer wrong\x01\x01", "x"},
		{"p=tls-exporter,,n=" + user + ",r=abc", "c=biws,r=abc,p="},
		{"p=unknown,,n=" + user + ",r=abc"},
		{"n,,n=" + user + ",r=abc", "c=biws,r=x,p=AAAA"},
		{"n,,n=" + user + ",r=abc", "c=!!,r=x,p=AAAA"},
		{"n,,n=" + user + ",r=abc", ","},
		{"n,,n=" + user + ",r=abc", ""},
		{"n,a=other,n=" + user + ",r=abc", ""},
		{"n,,m=ext,n=" + user + ",r=abc"},
		{"n,,n==ZZ,r=abc"},
		{"\xff\xfe", "\xff", "\xff"},
		{user + " 0123", ""},
	}
	c := dial(t, s)
	for _, mech := range mechs {
		for _, ex := range exchanges {
			t.Run(fmt.Sprintf("%s/%q", mech, ex), func(t *testing.T) {
				cmd := "AUTH " + mech + " " + b64([]byte(ex[0]))
				if ex[0] == "" {
					cmd = "AUTH " + mech + " ="
				}
				code, msg := 0, ""
				for i := 1; ; i++ {
					if err := c.Text.PrintfLine("%s", cmd); err != nil {
						t.Fatal(err)
					}
					var err error
					code, msg, err = c.Text.ReadResponse(0)
					if code != 334 || i >= len(ex) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					cmd = b64([]byte(ex[i]))
				}
				if code == 334 {
					// Out of answers: cancel (RFC 4954 section 4).
					c.Text.PrintfLine("*")
					code, msg, _ = c.Text.ReadResponse(0)
				}
				if code == 235 || code < 400 || code == 421 {
					t.Fatalf("exchange ended with %d %s", code, msg)
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("multi-line reply %q", msg)
				}
			})
			if t.Failed() {
				return
			}
		}
	}
	if err := c.Noop(); err != nil {
		t.Fatal(err)
	}
}
