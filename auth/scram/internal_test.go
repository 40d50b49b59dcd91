package scram

import (
	"errors"
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
)

// newFixed returns a client whose nonce is fixed, to replay RFC vectors.
func newFixed(t testing.TB, mech string, cfg Config, nonce string) *client {
	t.Helper()
	a, err := New(mech, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := a.(*client)
	c.newNonce = func() string { return nonce }
	return c
}

type vector struct {
	mech, nonce                         string
	serverFirst, clientFinal, serverEnd string
}

// RFC 5802 §5 and RFC 7677 §3, user "user", password "pencil".
var (
	rfc5802 = vector{
		"SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL",
		"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
		"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
		"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	}
	rfc7677 = vector{
		"SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO",
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	}
)

var pencil = Config{Username: "user", Password: "pencil"}

// replay runs v's exchange and checks every client message.
func replay(t *testing.T, a *client, v vector) {
	t.Helper()
	mech, ir, err := a.Start(&auth.ServerInfo{Auth: []string{v.mech}})
	if err != nil || mech != v.mech || string(ir) != "n,,n=user,r="+v.nonce {
		t.Fatalf("Start = %q, %q, %v", mech, ir, err)
	}
	final, err := a.Next([]byte(v.serverFirst), true)
	if err != nil || string(final) != v.clientFinal {
		t.Fatalf("client-final = %q, %v; want %q", final, err, v.clientFinal)
	}
	empty, err := a.Next([]byte(v.serverEnd), true)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("answer to server-final = %q (nil: %t), %v; want empty", empty, empty == nil, err)
	}
	if resp, err := a.Next([]byte("2.7.0 Authentication successful"), false); resp != nil || err != nil {
		t.Fatalf("Next on 235 = %q, %v", resp, err)
	}
}

func TestRFCVectors(t *testing.T) {
	for _, v := range []vector{rfc5802, rfc7677} {
		t.Run(v.mech, func(t *testing.T) { replay(t, newFixed(t, v.mech, pencil, v.nonce), v) })
	}
}

// TestKeyCache checks that a second login with the same salt and count
// skips PBKDF2, and that another salt or count recomputes.
func TestKeyCache(t *testing.T) {
	a := newFixed(t, "SCRAM-SHA-1", pencil, rfc5802.nonce)
	replay(t, a, rfc5802)
	replay(t, a, rfc5802)
	if a.pbkdf2Runs != 1 {
		t.Fatalf("PBKDF2 ran %d times for two identical logins, want 1", a.pbkdf2Runs)
	}
	for i, first := range []string{
		"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf93,i=4096", // other salt
		"r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=4097", // other count
	} {
		a.Start(nil)
		if _, err := a.Next([]byte(first), true); err != nil {
			t.Fatal(err)
		}
		if a.pbkdf2Runs != 2+i {
			t.Fatalf("%s: PBKDF2 runs = %d, want %d", first, a.pbkdf2Runs, 2+i)
		}
	}
	replay(t, a, rfc5802) // the cache holds one entry: back to the first salt
	if a.pbkdf2Runs != 4 {
		t.Fatalf("PBKDF2 runs = %d, want 4", a.pbkdf2Runs)
	}
}

func TestBadServerFirst(t *testing.T) {
	const n = "fyko+d2lbbFgONRv9qkxdawL"
	for _, tc := range []struct {
		name, msg string
		want      error
	}{
		{"nonce not extended", "r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"nonce equal", "r=" + n + ",s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"nonce truncated", "r=fyko+d2lbbFgONRv9,s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"nonce not printable", "r=" + n + "x\x7f,s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"empty salt", "r=" + n + "x,s=,i=4096", ErrBadServerMessage},
		{"bad base64 salt", "r=" + n + "x,s=QSXCR+Q6sek8bf9,i=4096", ErrBadServerMessage},
		{"i=0", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=0", ErrBadServerMessage},
		{"i=-1", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=-1", ErrBadServerMessage},
		{"i=+4096", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=+4096", ErrBadServerMessage},
		{"i=04096", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=04096", ErrBadServerMessage},
		{"i empty", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=", ErrBadServerMessage},
		{"i above cap", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=1000001", ErrTooManyIterations},
		{"i overflows", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=99999999999999999999999999", ErrTooManyIterations},
		{"i below minimum", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=4095", ErrWeakIterations},
		{"m= first", "m=ext,r=" + n + "x,s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"m= last", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=4096,m=ext", ErrBadServerMessage},
		{"wrong order", "s=QSXCR+Q6sek8bf92,r=" + n + "x,i=4096", ErrBadServerMessage},
		{"missing i", "r=" + n + "x,s=QSXCR+Q6sek8bf92", ErrBadServerMessage},
		{"garbage after", "r=" + n + "x,s=QSXCR+Q6sek8bf92,i=4096,garbage", ErrBadServerMessage},
		{"empty", "", ErrBadServerMessage},
		{"not UTF-8", "r=" + n + "x\xff,s=QSXCR+Q6sek8bf92,i=4096", ErrBadServerMessage},
		{"v= instead", "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", ErrBadServerMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFixed(t, "SCRAM-SHA-1", pencil, n)
			a.Start(nil)
			resp, err := a.Next([]byte(tc.msg), true)
			if !errors.Is(err, tc.want) || resp != nil {
				t.Fatalf("Next = %q, %v; want %v", resp, err, tc.want)
			}
			if a.pbkdf2Runs != 0 {
				t.Fatalf("PBKDF2 ran on a refused message")
			}
			// The exchange is over: a later challenge or success fails.
			if _, err := a.Next([]byte(rfc5802.serverFirst), true); !errors.Is(err, auth.ErrUnexpectedChallenge) {
				t.Fatalf("challenge after failure: %v", err)
			}
			if _, err := a.Next(nil, false); !errors.Is(err, ErrServerNotVerified) {
				t.Fatalf("success after failure: %v", err)
			}
		})
	}
}

// TestExtensionIgnored checks that a well-formed optional extension after
// i= is ignored, as RFC 5802 §7's grammar allows, and is part of the
// AuthMessage (so the vector no longer matches but the exchange proceeds).
func TestExtensionIgnored(t *testing.T) {
	a := newFixed(t, "SCRAM-SHA-1", pencil, rfc5802.nonce)
	a.Start(nil)
	if _, err := a.Next([]byte(rfc5802.serverFirst+",x=future"), true); err != nil {
		t.Fatal(err)
	}
}

func TestServerErrors(t *testing.T) {
	a := newFixed(t, "SCRAM-SHA-1", pencil, rfc5802.nonce)
	a.Start(nil)
	_, err := a.Next([]byte("e=unknown-user"), true)
	var se *ServerError
	if !errors.As(err, &se) || se.Value != "unknown-user" {
		t.Fatalf("e= in server-first: %v", err)
	}

	a.Start(nil)
	a.Next([]byte(rfc5802.serverFirst), true)
	_, err = a.Next([]byte("e=invalid-proof\r\n\x1b[31mforged"), true)
	if !errors.As(err, &se) || se.Value != "invalid-proof???[31mforged" {
		t.Fatalf("e= in server-final: %v", err)
	}
	if v := sanitize(strings.Repeat("é", 200)); v != strings.Repeat("é", 64) {
		t.Fatalf("sanitized value %q", v)
	}
}

func TestServerFinal(t *testing.T) {
	start := func() *client {
		a := newFixed(t, "SCRAM-SHA-1", pencil, rfc5802.nonce)
		a.Start(nil)
		if _, err := a.Next([]byte(rfc5802.serverFirst), true); err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		name, msg string
		want      error
	}{
		{"wrong v=", "v=rmF9pqV8S7suAoZWja4dJRkFsKA=", ErrServerNotVerified},
		{"empty v=", "v=", ErrServerNotVerified},
		{"bad base64 v=", "v=rmF9pqV8S7suAoZWja4dJRkFsKQ", ErrBadServerMessage},
		{"no v=", "x=rmF9pqV8S7suAoZWja4dJRkFsKQ=", ErrBadServerMessage},
		{"m=", "m=x,v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", ErrBadServerMessage},
		{"garbage", "hello", ErrBadServerMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := start()
			if resp, err := a.Next([]byte(tc.msg), true); !errors.Is(err, tc.want) || resp != nil {
				t.Fatalf("Next = %q, %v; want %v", resp, err, tc.want)
			}
			if _, err := a.Next([]byte("2.7.0 ok"), false); !errors.Is(err, ErrServerNotVerified) {
				t.Fatalf("235 after a bad server-final: %v", err)
			}
		})
	}

	t.Run("235 without v=", func(t *testing.T) {
		a := start()
		if _, err := a.Next([]byte("2.7.0 Authentication successful"), false); !errors.Is(err, ErrServerNotVerified) {
			t.Fatalf("Next(235) = %v, want ErrServerNotVerified", err)
		}
	})
	t.Run("v= in the 235 text", func(t *testing.T) {
		a := start()
		// base64 of rfc5802.serverEnd with one character changed.
		if _, err := a.Next([]byte("2.7.0 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS0E9"), false); !errors.Is(err, ErrServerNotVerified) {
			t.Fatal("corrupted v= in the 235 text accepted")
		}
		a = start()
		// base64 of rfc5802.serverEnd.
		if _, err := a.Next([]byte("2.7.0 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"), false); err != nil {
			t.Fatalf("v= in the 235 text: %v", err)
		}
	})
	t.Run("challenge after completion", func(t *testing.T) {
		a := start()
		if _, err := a.Next([]byte(rfc5802.serverEnd), true); err != nil {
			t.Fatal(err)
		}
		if resp, err := a.Next([]byte(rfc5802.serverEnd), true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
			t.Fatalf("third challenge: %q, %v", resp, err)
		}
	})
	t.Run("235 right after client-first", func(t *testing.T) {
		a := newFixed(t, "SCRAM-SHA-1", pencil, rfc5802.nonce)
		a.Start(nil)
		if _, err := a.Next([]byte("2.7.0 ok"), false); !errors.Is(err, ErrServerNotVerified) {
			t.Fatalf("Next(235) = %v", err)
		}
	})
}

func TestRandomNonce(t *testing.T) {
	n1, n2 := randomNonce(), randomNonce()
	if n1 == n2 || len(n1) != 32 || !printable(n1) || strings.Contains(n1, "=") {
		t.Fatalf("nonces %q, %q", n1, n2)
	}
}

// fuzzConfig keeps PBKDF2 cheap so that fuzzing explores parsing.
var fuzzConfig = Config{Username: "user", Password: "pencil", MinIterations: 1, MaxIterations: 4096}

func FuzzServerFirst(f *testing.F) {
	f.Add([]byte(rfc5802.serverFirst))
	f.Add([]byte("r=fyko+d2lbbFgONRv9qkxdawLx,s=QSXCR+Q6sek8bf92,i=1,x=y"))
	f.Add([]byte("e=other-error"))
	f.Add([]byte("m=x,r=fyko+d2lbbFgONRv9qkxdawLx,s=,i="))
	f.Add([]byte(",,=,a"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		a := newFixed(t, "SCRAM-SHA-1", fuzzConfig, rfc5802.nonce)
		a.Start(nil)
		resp, err := a.Next(msg, true)
		if err == nil && !strings.HasPrefix(string(resp), "c=biws,r="+rfc5802.nonce) {
			t.Fatalf("response %q", resp)
		}
		if err != nil && resp != nil {
			t.Fatalf("response %q with error %v", resp, err)
		}
	})
}

func FuzzServerFinal(f *testing.F) {
	f.Add([]byte(rfc5802.serverEnd), true)
	f.Add([]byte("e=invalid-proof"), true)
	f.Add([]byte("v=,x=y"), true)
	f.Add([]byte("2.7.0 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"), false)
	f.Fuzz(func(t *testing.T, msg []byte, more bool) {
		a := newFixed(t, "SCRAM-SHA-1", fuzzConfig, rfc5802.nonce)
		a.Start(nil)
		if _, err := a.Next([]byte(rfc5802.serverFirst), true); err != nil {
			t.Fatal(err)
		}
		_, err := a.Next(msg, more)
		if err == nil && more {
			if _, err := a.Next(nil, false); err != nil {
				t.Fatalf("verified, then 235 refused: %v", err)
			}
		}
	})
}
