package gosasl_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/gosasl"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/plain"
)

func TestToSASLPlain(t *testing.T) {
	var got [3]string
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
		got = [3]string{identity, username, password}
		return nil
	})
	// RFC 4616 §4's first example.
	c := gosasl.ToSASL(plain.New("", "tim", "tanstaaftanstaaf", "mail.example.com"), tlsInfo)
	if mech, err := runSASL(c, srv); err != nil || mech != "PLAIN" {
		t.Fatalf("exchange = %q, %v", mech, err)
	}
	if got != [3]string{"", "tim", "tanstaaftanstaaf"} {
		t.Errorf("server got %q", got)
	}
}

// TestToSASLPolicy checks that the Auth's own checks still run on the
// ServerInfo given to ToSASL, and that a nil one is the safe zero value.
func TestToSASLPolicy(t *testing.T) {
	a := plain.New("", "tim", "hunter2", "mail.example.com")
	for _, tc := range []struct {
		info *auth.ServerInfo
		want error
	}{
		{&auth.ServerInfo{Name: "mail.example.com"}, auth.ErrUnencrypted},
		{&auth.ServerInfo{Name: "evil.example.com", TLS: true}, auth.ErrWrongHost},
		{nil, auth.ErrUnencrypted},
	} {
		mech, ir, err := gosasl.ToSASL(a, tc.info).Start()
		if !errors.Is(err, tc.want) || ir != nil || mech != "" {
			t.Errorf("Start with %+v = %q, %q, %v; want %v", tc.info, mech, ir, err, tc.want)
		}
	}
}

// TestToSASLInfoCopied checks that each Start reads info afresh and that
// the mechanism cannot change the caller's copy.
func TestToSASLInfoCopied(t *testing.T) {
	a := &authScript{mech: "X"}
	info := &auth.ServerInfo{Name: "mail.example.com", Auth: []string{"X"}}
	c := gosasl.ToSASL(a, info)
	c.Start()
	info.TLS = true
	c.Start()
	if info.Name != "mail.example.com" {
		t.Errorf("the mechanism changed the caller's ServerInfo: %+v", info)
	}
	if len(a.infos) != 2 || a.infos[0].TLS || !a.infos[1].TLS || !reflect.DeepEqual(a.infos[1].Auth, []string{"X"}) {
		t.Errorf("Start saw %+v", a.infos)
	}
}

// TestToSASLEmptyResponses checks the two conversions between net/smtp's
// contract and go-sasl's: no empty initial response, no nil response.
func TestToSASLEmptyResponses(t *testing.T) {
	a := &authScript{mech: "X", ir: []byte{}, responses: [][]byte{nil}}
	c := gosasl.ToSASL(a, tlsInfo)
	if _, ir, err := c.Start(); ir != nil || err != nil {
		t.Fatalf("Start = %#v, %v; want no initial response", ir, err)
	}
	if resp, err := c.Next([]byte("?")); resp == nil || len(resp) != 0 || err != nil {
		t.Fatalf("Next = %#v, %v; want []byte{}", resp, err)
	}
	if want := []string{`"?" true`}; !reflect.DeepEqual(a.calls, want) {
		t.Errorf("Auth saw %q, want %q", a.calls, want)
	}
}

func TestToSASLErrors(t *testing.T) {
	c := gosasl.ToSASL(&authScript{mech: "X"}, tlsInfo)
	c.Start()
	_, err := c.Next([]byte("?"))
	if !errors.Is(err, sasl.ErrUnexpectedServerChallenge) || !errors.Is(err, auth.ErrUnexpectedChallenge) {
		t.Errorf("unexpected challenge error = %v", err)
	}
	if got, want := err.Error(), "gosasl: X: unexpected server challenge"; got != want {
		t.Errorf("error text = %q, want %q", got, want)
	}
	if _, _, err := gosasl.ToSASL(&authScript{}, tlsInfo).Start(); !errors.Is(err, gosasl.ErrNoMechanism) {
		t.Errorf("empty name: %v", err)
	}
	c = gosasl.ToSASL(nil, tlsInfo)
	if _, _, err := c.Start(); err == nil {
		t.Error("nil Auth: Start succeeded")
	}
	if _, err := c.Next(nil); err == nil {
		t.Error("nil Auth: Next succeeded")
	}
}

// TestRoundTrip runs go-sasl's EXTERNAL client through both adapters, as
// go-smtp's client would: the empty initial response is withheld on the
// way in and must still reach the server.
func TestRoundTrip(t *testing.T) {
	identity := "unset"
	srv := sasl.NewExternalServer(func(id string) error { identity = id; return nil })
	c := gosasl.ToSASL(gosasl.FromSASL(sasl.NewExternalClient("")), tlsInfo)
	if _, err := runSASL(c, srv); err != nil || identity != "" {
		t.Fatalf("exchange: %v, identity %q", err, identity)
	}

	// An error crossing both adapters is named once.
	c = gosasl.ToSASL(gosasl.FromSASL(sasl.NewPlainClient("", "u", "p")), tlsInfo)
	c.Start()
	if _, err := c.Next([]byte("?")); err == nil || strings.Count(err.Error(), "gosasl:") != 1 {
		t.Errorf("error = %v", err)
	}
}

// TestToSASLMechanisms drives smtpauth mechanisms that go-sasl lacks as a
// go-sasl caller would.
func TestToSASLMechanisms(t *testing.T) {
	c := gosasl.ToSASL(crammd5.New("tim", "tanstaaftanstaaf"), tlsInfo)
	if mech, ir, err := c.Start(); mech != "CRAM-MD5" || ir != nil || err != nil {
		t.Fatalf("CRAM-MD5 Start = %q, %q, %v", mech, ir, err)
	}
	// RFC 2195 §2.
	resp, err := c.Next([]byte("<1896.697170952@postoffice.reston.mci.net>"))
	if err != nil || string(resp) != "tim b913a602c7eda7a495b4e6e7334d3890" {
		t.Fatalf("CRAM-MD5 Next = %q, %v", resp, err)
	}

	c = gosasl.ToSASL(login.New("tim", "tanstaaftanstaaf", "mail.example.com"), tlsInfo)
	if mech, ir, err := c.Start(); mech != "LOGIN" || ir != nil || err != nil {
		t.Fatalf("LOGIN Start = %q, %q, %v", mech, ir, err)
	}
	for _, want := range []string{"tim", "tanstaaftanstaaf"} {
		if resp, err := c.Next([]byte("?")); err != nil || string(resp) != want {
			t.Fatalf("LOGIN Next = %q, %v; want %q", resp, err, want)
		}
	}
}

func TestToSASLFormattingHidesSecret(t *testing.T) {
	c := gosasl.ToSASL(plain.New("", "user", "hunter2", "mail.example.com"), tlsInfo)
	c.Start()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, "hunter2") {
			t.Errorf("%s shows the password: %s", verb, s)
		}
	}
}
