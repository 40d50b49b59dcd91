package gosasl_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/gosasl"
)

var tlsInfo = &auth.ServerInfo{Name: "mail.example.com", TLS: true}

func TestFromSASLPlain(t *testing.T) {
	var got [3]string
	srv := sasl.NewPlainServer(func(identity, username, password string) error {
		got = [3]string{identity, username, password}
		return nil
	})
	// RFC 4616 §4's second example.
	mech, err := runAuth(gosasl.FromSASL(sasl.NewPlainClient("Ursel", "Kurt", "xipj3plmq")), tlsInfo, srv)
	if err != nil || mech != "PLAIN" {
		t.Fatalf("exchange = %q, %v", mech, err)
	}
	if got != [3]string{"Ursel", "Kurt", "xipj3plmq"} {
		t.Errorf("server got %q", got)
	}
}

func TestFromSASLPlainRefused(t *testing.T) {
	srv := sasl.NewPlainServer(func(_, _, _ string) error { return errors.New("bad password") })
	if _, err := runAuth(gosasl.FromSASL(sasl.NewPlainClient("", "u", "p")), tlsInfo, srv); err == nil {
		t.Fatal("exchange succeeded")
	}
}

// TestExternalEmptyIdentity is the case FromSASL exists to get right:
// go-sasl's EXTERNAL client returns []byte{} as its initial response,
// smtpauth's client sends none ("AUTH EXTERNAL"), the server asks with an
// empty challenge (RFC 4422 Appendix A.1), and the adapter must answer it
// with the empty response instead of calling go-sasl's client, which would
// refuse the challenge.
func TestExternalEmptyIdentity(t *testing.T) {
	for name, a := range map[string]auth.Auth{
		"FromSASL": gosasl.FromSASL(sasl.NewExternalClient("")),
		"External": gosasl.External(""),
	} {
		t.Run(name, func(t *testing.T) {
			mech, ir, err := a.Start(tlsInfo)
			if mech != "EXTERNAL" || ir == nil || len(ir) != 0 || err != nil {
				t.Fatalf("Start = %q, %#v, %v; want EXTERNAL, []byte{}, nil", mech, ir, err)
			}
			resp, err := a.Next([]byte{}, true)
			if resp == nil || len(resp) != 0 || err != nil {
				t.Fatalf("first challenge: %#v, %v; want []byte{}, nil", resp, err)
			}
			resp, err = a.Next([]byte{}, true)
			if !errors.Is(err, auth.ErrUnexpectedChallenge) || !errors.Is(err, sasl.ErrUnexpectedServerChallenge) || resp != nil {
				t.Fatalf("second challenge: %q, %v; want an unexpected challenge error", resp, err)
			}

			identity := "unset"
			srv := sasl.NewExternalServer(func(id string) error { identity = id; return nil })
			if _, err := runAuth(a, tlsInfo, srv); err != nil || identity != "" {
				t.Fatalf("exchange: %v, identity %q", err, identity)
			}
		})
	}
}

// TestExternalNonEmptyFirstChallenge checks that only an empty challenge
// collects the owed empty response (RFC 4422 §5 2a); anything else goes to
// the go-sasl client, as it would had the initial response been sent.
func TestExternalNonEmptyFirstChallenge(t *testing.T) {
	a := gosasl.External("")
	a.Start(tlsInfo)
	if resp, err := a.Next([]byte("who?"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
		t.Fatalf("Next = %q, %v", resp, err)
	}

	s := &script{mech: "X", ir: []byte{}, responses: [][]byte{[]byte("from the client")}}
	a = gosasl.FromSASL(s)
	a.Start(tlsInfo)
	if resp, err := a.Next([]byte("Username:"), true); err != nil || string(resp) != "from the client" {
		t.Fatalf("Next = %q, %v", resp, err)
	}
	if len(s.challenges) != 1 || string(s.challenges[0]) != "Username:" {
		t.Fatalf("client saw %q", s.challenges)
	}
}

func TestExternalIdentity(t *testing.T) {
	var identity string
	srv := sasl.NewExternalServer(func(id string) error { identity = id; return nil })
	mech, err := runAuth(gosasl.External("fred@example.com"), tlsInfo, srv)
	if err != nil || mech != "EXTERNAL" || identity != "fred@example.com" {
		t.Fatalf("exchange = %q, %v; identity %q", mech, err, identity)
	}
}

func TestExternalInvalidIdentity(t *testing.T) {
	for _, id := range []string{"fred\x00admin", "\xff"} {
		if _, ir, err := gosasl.External(id).Start(tlsInfo); !errors.Is(err, gosasl.ErrInvalidIdentity) || ir != nil {
			t.Errorf("External(%q).Start = %q, %v", id, ir, err)
		}
	}
}

// TestAnonymousRFC4505Example checks the trace of RFC 4505 §4 in its
// base64 form, and the exchange with go-sasl's server.
func TestAnonymousRFC4505Example(t *testing.T) {
	a := gosasl.Anonymous("sirhc")
	mech, ir, err := a.Start(tlsInfo)
	if mech != "ANONYMOUS" || err != nil || base64.StdEncoding.EncodeToString(ir) != "c2lyaGM=" {
		t.Fatalf("Start = %q, %q, %v; want ANONYMOUS, c2lyaGM=", mech, base64.StdEncoding.EncodeToString(ir), err)
	}
	var trace string
	srv := sasl.NewAnonymousServer(func(tr string) error { trace = tr; return nil })
	if _, err := runAuth(a, tlsInfo, srv); err != nil || trace != "sirhc" {
		t.Fatalf("exchange: %v, trace %q", err, trace)
	}
}

func TestAnonymousEmptyTrace(t *testing.T) {
	trace := "unset"
	srv := sasl.NewAnonymousServer(func(tr string) error { trace = tr; return nil })
	if _, err := runAuth(gosasl.Anonymous(""), tlsInfo, srv); err != nil || trace != "" {
		t.Fatalf("exchange: %v, trace %q", err, trace)
	}
}

func TestAnonymousTrace(t *testing.T) {
	for _, tc := range []struct {
		trace string
		ok    bool
	}{
		{"sirhc", true},
		{"chris@example.com", true},
		{"Grüße aus Köln", true},
		{strings.Repeat("é", 255), true},
		{strings.Repeat("é", 256), false},
		{strings.Repeat("a", 300) + "@example.com", true}, // an address, not a token
		{"line\r\nforged log line", false},
		{"nul\x00", false},
		{"c1\u0085", false},
		{"\xff", false},
	} {
		_, _, err := gosasl.Anonymous(tc.trace).Start(tlsInfo)
		if ok := err == nil; ok != tc.ok || (!ok && !errors.Is(err, gosasl.ErrInvalidTrace)) {
			t.Errorf("Anonymous(%.20q).Start error = %v, want ok = %v", tc.trace, err, tc.ok)
		}
	}
}

// TestLoginClient runs go-sasl's LOGIN client, which sends the username as
// its initial response and insists on the "Password:" challenge.
func TestLoginClient(t *testing.T) {
	a := gosasl.FromSASL(sasl.NewLoginClient("tim", "tanstaaftanstaaf"))
	mech, ir, err := a.Start(tlsInfo)
	if mech != "LOGIN" || string(ir) != "tim" || err != nil {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	if resp, err := a.Next([]byte("Password:"), true); err != nil || string(resp) != "tanstaaftanstaaf" {
		t.Fatalf("Next = %q, %v", resp, err)
	}
	if _, err := a.Next([]byte("Username:"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) {
		t.Fatalf("Next(Username:) error = %v", err)
	}
}

func TestOAuthBearer(t *testing.T) {
	opts := &sasl.OAuthBearerOptions{Username: "user@example.com", Token: "vF9dft4qmT", Host: "mail.example.com", Port: 587}
	var got sasl.OAuthBearerOptions
	srv := sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		got = o
		return nil
	})
	if _, err := runAuth(gosasl.FromSASL(sasl.NewOAuthBearerClient(opts)), tlsInfo, srv); err != nil {
		t.Fatal(err)
	}
	if got != *opts {
		t.Errorf("server got %+v", got)
	}

	// The server's error challenge (RFC 7628 §3.2.2) reaches the caller as
	// go-sasl's error, unwrapped with errors.As.
	srv = sasl.NewOAuthBearerServer(func(sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
	})
	_, err := runAuth(gosasl.FromSASL(sasl.NewOAuthBearerClient(opts)), tlsInfo, srv)
	var oerr *sasl.OAuthBearerError
	if !errors.As(err, &oerr) || oerr.Status != "invalid_token" || !strings.HasPrefix(err.Error(), "gosasl: OAUTHBEARER: ") {
		t.Fatalf("error = %v; want the server's OAuthBearerError", err)
	}
	if strings.Contains(err.Error(), "vF9dft4qmT") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestFromSASLSuccessNotForwarded(t *testing.T) {
	s := &script{mech: "X"}
	a := gosasl.FromSASL(s)
	a.Start(tlsInfo)
	if resp, err := a.Next([]byte("2.7.0 ok"), false); resp != nil || err != nil {
		t.Fatalf("Next(false) = %q, %v", resp, err)
	}
	if len(s.challenges) != 0 {
		t.Fatalf("go-sasl client saw %q", s.challenges)
	}
}

func TestFromSASLStartErrors(t *testing.T) {
	cause := errors.New("no token")
	_, _, err := gosasl.FromSASL(&script{mech: "X", startErr: cause}).Start(tlsInfo)
	if !errors.Is(err, cause) || err.Error() != "gosasl: X: no token" {
		t.Errorf("start error = %v", err)
	}
	// An empty name would make smtpauth's client skip authentication and
	// report success.
	if mech, _, err := gosasl.FromSASL(&script{}).Start(tlsInfo); !errors.Is(err, gosasl.ErrNoMechanism) || mech != "" {
		t.Errorf("empty name: %q, %v", mech, err)
	}
	a := gosasl.FromSASL(nil)
	if _, _, err := a.Start(tlsInfo); err == nil {
		t.Error("nil client: Start succeeded")
	}
	if _, err := a.Next(nil, true); err == nil {
		t.Error("nil client: Next succeeded")
	}
}

// TestFromSASLRestart checks that a second exchange owes the empty
// response again.
func TestFromSASLRestart(t *testing.T) {
	a := gosasl.External("")
	for i := range 2 {
		a.Start(tlsInfo)
		if resp, err := a.Next(nil, true); err != nil || resp == nil {
			t.Fatalf("exchange %d: %#v, %v", i, resp, err)
		}
	}
}

func TestFromSASLFormattingHidesSecret(t *testing.T) {
	for _, a := range []auth.Auth{
		gosasl.FromSASL(sasl.NewPlainClient("", "user", "hunter2")),
		gosasl.FromSASL(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Token: "hunter2"})),
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(verb, a); strings.Contains(s, "hunter2") {
				t.Errorf("%s shows the secret: %s", verb, s)
			}
		}
	}
	if s := fmt.Sprint(gosasl.External("")); s != "EXTERNAL" {
		t.Errorf("External prints as %q", s)
	}
}
