package scram_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"time"

	xdg "github.com/xdg-go/scram"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/scram"
)

var _ smtp.Auth = mustNew(nil, "SCRAM-SHA-256", scram.Config{Username: "u", Password: "p"})

func mustNew(t testing.TB, mech string, cfg scram.Config) auth.ConnStateAuth {
	a, err := scram.New(mech, cfg)
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return a.(auth.ConnStateAuth)
}

// xdgServer returns a server of the independent implementation that knows
// user with pass, salted with salt at iters iterations.
func xdgServer(t *testing.T, h xdg.HashGeneratorFcn, user, pass, salt string, iters int) *xdg.Server {
	t.Helper()
	c, err := h.NewClient(user, pass, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.GetStoredCredentialsWithError(xdg.KeyFactors{Salt: salt, Iters: iters})
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.NewServer(func(name string) (xdg.StoredCredentials, error) {
		if name != user {
			return xdg.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// converse drives a through a whole SMTP exchange with conv, the way
// smtpauth's client does: initial response, 334 challenges, then the 235.
// It returns the client's first error, or the server's.
func converse(a auth.Auth, info *auth.ServerInfo, conv *xdg.ServerConversation) (ir string, err error) {
	_, resp, err := a.Start(info)
	if err != nil {
		return "", err
	}
	ir = string(resp)
	for !conv.Done() {
		challenge, serr := conv.Step(string(resp))
		if serr != nil && !strings.HasPrefix(challenge, "e=") {
			return ir, fmt.Errorf("server: %w", serr)
		}
		if resp, err = a.Next([]byte(challenge), true); err != nil {
			return ir, err
		}
	}
	if !conv.Valid() {
		return ir, errors.New("server did not accept the proof")
	}
	_, err = a.Next([]byte("2.7.0 Authentication successful"), false)
	return ir, err
}

func TestInteropXDG(t *testing.T) {
	for _, tc := range []struct {
		mech string
		hash xdg.HashGeneratorFcn
	}{
		{"SCRAM-SHA-1", xdg.SHA1},
		{"scram-sha-256", xdg.SHA256},
		{"SCRAM-SHA-512", xdg.SHA512},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			srv := xdgServer(t, tc.hash, "a,b=c", "pencil", "0123456789abcdef", 4096)
			a := mustNew(t, tc.mech, scram.Config{Username: "a,b=c", Password: "pencil"})
			ir, err := converse(a, &auth.ServerInfo{}, srv.NewConversation())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ir, "n,,n=a=2Cb=3Dc,r=") {
				t.Fatalf("client-first %q does not escape the username", ir)
			}
			// A second login reuses the Auth (and its key cache).
			if _, err := converse(a, &auth.ServerInfo{}, srv.NewConversation()); err != nil {
				t.Fatalf("second login: %v", err)
			}
		})
	}
}

func TestInteropXDGWrongPassword(t *testing.T) {
	srv := xdgServer(t, xdg.SHA256, "user", "pencil", "salt", 4096)
	a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pen"})
	_, err := converse(a, &auth.ServerInfo{}, srv.NewConversation())
	var se *scram.ServerError
	if !errors.As(err, &se) || se.Value != "invalid-proof" {
		t.Fatalf("err = %v, want server error invalid-proof", err)
	}
}

func TestInteropXDGAuthzid(t *testing.T) {
	srv := xdgServer(t, xdg.SHA256, "user", "pencil", "salt", 4096)
	a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pencil", Authzid: "boss=1,x"})
	conv := srv.NewConversation()
	ir, err := converse(a, &auth.ServerInfo{}, conv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ir, "n,a=boss=3D1=2Cx,n=user,r=") || conv.AuthzID() != "boss=1,x" {
		t.Fatalf("client-first %q, server saw authzid %q", ir, conv.AuthzID())
	}
}

// tlsPair returns both ends' states of a real TLS handshake over net.Pipe
// at exactly version.
func tlsPair(t *testing.T, version uint16) (client, server *tls.ConnectionState) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	srv := tls.Server(c2, &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   version, MaxVersion: version,
	})
	cli := tls.Client(c1, &tls.Config{ServerName: "localhost", RootCAs: roots, MinVersion: version, MaxVersion: version})
	done := make(chan error, 1)
	go func() { done <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cs, ss := cli.ConnectionState(), srv.ConnectionState()
	return &cs, &ss
}

func TestInteropXDGChannelBinding(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint16
		want    string
	}{
		{"TLS 1.3", tls.VersionTLS13, "p=tls-exporter,,"},
		{"TLS 1.2", tls.VersionTLS12, "p=tls-unique,,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, ss := tlsPair(t, tc.version)
			var cb xdg.ChannelBinding
			if tc.version == tls.VersionTLS13 {
				var err error
				if cb, err = xdg.NewTLSExporterBinding(ss); err != nil {
					t.Fatal(err)
				}
			} else {
				cb = xdg.NewTLSUniqueBinding(ss.TLSUnique)
			}
			for _, mech := range []struct {
				name string
				hash xdg.HashGeneratorFcn
			}{{"SCRAM-SHA-1-PLUS", xdg.SHA1}, {"SCRAM-SHA-256-PLUS", xdg.SHA256}, {"SCRAM-SHA-512-PLUS", xdg.SHA512}} {
				srv := xdgServer(t, mech.hash, "user", "pencil", "salt", 4096)
				info := &auth.ServerInfo{Name: "localhost", TLS: true, Auth: []string{mech.name}}
				a := mustNew(t, mech.name, scram.Config{Username: "user", Password: "pencil"})
				a.SetConnState(auth.ConnState{TLS: cs})
				ir, err := converse(a, info, srv.NewConversationWithChannelBindingRequired(cb))
				if err != nil || !strings.HasPrefix(ir, tc.want) {
					t.Fatalf("%s: client-first %q, %v", mech.name, ir, err)
				}

				// The same exchange bound to another TLS connection fails:
				// what a man in the middle relaying it would see.
				other, _ := tlsPair(t, tc.version)
				a.SetConnState(auth.ConnState{TLS: other})
				if _, err := converse(a, info, srv.NewConversationWithChannelBindingRequired(cb)); err == nil {
					t.Fatalf("%s: binding to another connection accepted", mech.name)
				}
			}
		})
	}
}

// TestGS2Flag checks the channel binding flag of the unbound mechanisms
// (RFC 5802 §6) and that it is what xdg-go's server expects.
func TestGS2Flag(t *testing.T) {
	cs, ss := tlsPair(t, tls.VersionTLS13)
	cb, err := xdg.NewTLSExporterBinding(ss)
	if err != nil {
		t.Fatal(err)
	}
	plain := []string{"SCRAM-SHA-256", "PLAIN"}
	plus := []string{"scram-sha-256-plus", "SCRAM-SHA-256"}
	for _, tc := range []struct {
		name  string
		tls   *tls.ConnectionState
		adv   []string
		flag  string
		bound bool // the server advertised -PLUS
	}{
		{"no TLS", nil, plain, "n", false},
		{"no TLS, server offers -PLUS", nil, plus, "n", true},
		{"TLS, server offers no -PLUS", cs, plain, "y", false},
		{"TLS, server offers -PLUS", cs, plus, "n", true},
		{"handshake not complete", &tls.ConnectionState{Version: tls.VersionTLS13}, plain, "n", false},
		{"hand-made TLS 1.3 state", &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}, plain, "n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := xdgServer(t, xdg.SHA256, "user", "pencil", "salt", 4096)
			conv := srv.NewConversation()
			if tc.bound {
				conv = srv.NewConversationWithChannelBinding(cb)
			}
			a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pencil"})
			a.SetConnState(auth.ConnState{TLS: tc.tls})
			ir, err := converse(a, &auth.ServerInfo{TLS: tc.tls != nil, Auth: tc.adv}, conv)
			if err != nil || !strings.HasPrefix(ir, tc.flag+",,") {
				t.Fatalf("client-first %q, %v; want flag %q", ir, err, tc.flag)
			}
		})
	}

	// The connection state is consumed by Start: a later Start without a
	// fresh SetConnState (net/smtp's client) does not claim TLS.
	a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pencil"})
	a.SetConnState(auth.ConnState{TLS: cs})
	for _, want := range []string{"y,,", "n,,"} {
		if _, ir, _ := a.Start(&auth.ServerInfo{Auth: plain}); !strings.HasPrefix(string(ir), want) {
			t.Fatalf("client-first %q, want %s", ir, want)
		}
	}
}

func TestPlusWithoutChannelBinding(t *testing.T) {
	for _, tc := range []struct {
		name string
		cs   *auth.ConnState
	}{
		{"no SetConnState", nil},
		{"no TLS", &auth.ConnState{}},
		{"TLS 1.2 without tls-unique", &auth.ConnState{TLS: &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}}},
		{"hand-made TLS 1.3 state", &auth.ConnState{TLS: &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, "SCRAM-SHA-256-PLUS", scram.Config{Username: "user", Password: "pencil"})
			if tc.cs != nil {
				a.SetConnState(*tc.cs)
			}
			mech, ir, err := a.Start(&auth.ServerInfo{TLS: true, Auth: []string{"SCRAM-SHA-256-PLUS"}})
			if !errors.Is(err, scram.ErrNoChannelBinding) || mech != "" || ir != nil {
				t.Fatalf("Start = %q, %q, %v; want nothing and ErrNoChannelBinding", mech, ir, err)
			}
			if _, err := a.Next([]byte("r=x,s=QQ==,i=4096"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) {
				t.Fatalf("Next after a failed Start: %v", err)
			}
		})
	}
}

func TestNextBeforeStart(t *testing.T) {
	a := mustNew(t, "SCRAM-SHA-1", scram.Config{Username: "user", Password: "pencil"})
	if _, err := a.Next([]byte("r=x,s=QQ==,i=4096"), true); !errors.Is(err, auth.ErrUnexpectedChallenge) {
		t.Fatalf("Next(challenge) before Start: %v", err)
	}
	if _, err := a.Next([]byte("2.7.0 ok"), false); !errors.Is(err, scram.ErrServerNotVerified) {
		t.Fatalf("Next(235) before Start: %v", err)
	}
}

func TestNew(t *testing.T) {
	ok := scram.Config{Username: "user", Password: "pencil"}
	for _, name := range scram.Mechanisms() {
		for _, n := range []string{name, strings.ToLower(name)} {
			a, err := scram.New(n, ok)
			if err != nil || fmt.Sprint(a) != name {
				t.Errorf("New(%q) = %v, %v", n, a, err)
			}
		}
	}
	if m := scram.Mechanisms(); !slices.Equal(m[:2], []string{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS"}) || len(m) != 6 {
		t.Errorf("Mechanisms() = %q", m)
	}
	for _, name := range []string{"SCRAM-SHA-384", "SCRAM-MD5", "PLAIN", "", "SCRAM-SHA-1-PLUS-PLUS", "-PLUS"} {
		if _, err := scram.New(name, ok); !errors.Is(err, scram.ErrUnknownMechanism) {
			t.Errorf("New(%q): %v", name, err)
		}
	}
	for _, cfg := range []scram.Config{
		{Username: "u", Password: "p", MinIterations: -1},
		{Username: "u", Password: "p", MaxIterations: 1000}, // below the default minimum
		{Username: "u", Password: "p", MinIterations: 10, MaxIterations: 5},
	} {
		if _, err := scram.New("SCRAM-SHA-1", cfg); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

func TestPreparationFailure(t *testing.T) {
	const secret = "s3cret\x07"
	for _, tc := range []struct {
		name string
		cfg  scram.Config
	}{
		{"password with control character", scram.Config{Username: "user", Password: secret}},
		{"empty password", scram.Config{Username: "user", Password: ""}},
		{"empty username", scram.Config{Username: "", Password: "pencil"}},
		{"username with space", scram.Config{Username: "john doe", Password: "pencil"}},
		{"username with NUL", scram.Config{Username: "user\x00", Password: "pencil"}},
		{"authzid with newline", scram.Config{Username: "user", Password: "pencil", Authzid: "a\r\nb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := scram.New("SCRAM-SHA-256", tc.cfg)
			if !errors.Is(err, scram.ErrInvalidCredentials) || a != nil {
				t.Fatalf("New = %v, %v; want ErrInvalidCredentials", a, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

// TestPreparation checks PRECIS mapping: the password's non-ASCII space
// becomes U+0020 and its form is normalized (RFC 8265 §4.2), so that the
// same password typed two ways logs in.
func TestPreparation(t *testing.T) {
	srv := xdgServer(t, xdg.SHA256, "user", "pen cil é", "salt", 4096)
	a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pen\u00a0cil e\u0301"})
	if _, err := converse(a, &auth.ServerInfo{}, srv.NewConversation()); err != nil {
		t.Fatal(err)
	}
}

func TestIterationBounds(t *testing.T) {
	srv := xdgServer(t, xdg.SHA1, "user", "pencil", "salt", 2048)
	a := mustNew(t, "SCRAM-SHA-1", scram.Config{Username: "user", Password: "pencil"})
	if _, err := converse(a, &auth.ServerInfo{}, srv.NewConversation()); !errors.Is(err, scram.ErrWeakIterations) {
		t.Fatalf("2048 iterations with the default minimum: %v", err)
	}
	a = mustNew(t, "SCRAM-SHA-1", scram.Config{Username: "user", Password: "pencil", MinIterations: 2048})
	if _, err := converse(a, &auth.ServerInfo{}, srv.NewConversation()); err != nil {
		t.Fatalf("2048 iterations with MinIterations 2048: %v", err)
	}
	a = mustNew(t, "SCRAM-SHA-1", scram.Config{Username: "user", Password: "pencil", MinIterations: 1, MaxIterations: 2047})
	if _, err := converse(a, &auth.ServerInfo{}, srv.NewConversation()); !errors.Is(err, scram.ErrTooManyIterations) {
		t.Fatalf("2048 iterations with MaxIterations 2047: %v", err)
	}
}

// TestHugeIterationsFailFast checks that a hostile iteration count is
// refused before PBKDF2 runs: at 2^31-1 it would take many minutes.
func TestHugeIterationsFailFast(t *testing.T) {
	a := mustNew(t, "SCRAM-SHA-512", scram.Config{Username: "user", Password: "pencil"})
	_, ir, _ := a.Start(&auth.ServerInfo{})
	nonce := strings.TrimPrefix(string(ir), "n,,n=user,r=")
	start := time.Now()
	_, err := a.Next([]byte("r="+nonce+"x,s=QSXCR+Q6sek8bf92,i=2147483647"), true)
	if !errors.Is(err, scram.ErrTooManyIterations) || time.Since(start) > time.Second {
		t.Fatalf("Next = %v after %v", err, time.Since(start))
	}
}

func TestFormattingHidesSecrets(t *testing.T) {
	cfg := scram.Config{Username: "user", Password: "tanstaafpencil"}
	a := mustNew(t, "SCRAM-SHA-256", cfg)
	a.Start(&auth.ServerInfo{})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{a, cfg, &cfg} {
			if s := fmt.Sprintf(verb, x); strings.Contains(s, "tanstaaf") || strings.Contains(s, "pencil") {
				t.Errorf("%s of %T shows the password: %s", verb, x, s)
			}
		}
	}
}

func TestNonceIsFresh(t *testing.T) {
	a := mustNew(t, "SCRAM-SHA-256", scram.Config{Username: "user", Password: "pencil"})
	_, ir1, _ := a.Start(&auth.ServerInfo{})
	_, ir2, _ := a.Start(&auth.ServerInfo{})
	n1, n2 := strings.TrimPrefix(string(ir1), "n,,n=user,r="), strings.TrimPrefix(string(ir2), "n,,n=user,r=")
	if n1 == n2 {
		t.Fatal("two exchanges used the same nonce")
	}
	if b, err := base64.StdEncoding.DecodeString(n1); err != nil || len(b) < 24 {
		t.Fatalf("nonce %q is not base64 of 24+ bytes", n1)
	}
}

// Example runs a whole exchange against a server played by an independent
// implementation (github.com/xdg-go/scram), as smtpauth's client would:
// initial response, then each 334 challenge, then the 235 reply.
func Example() {
	creds, _ := xdg.SHA256.NewClient("user", "pencil", "")
	stored, _ := creds.GetStoredCredentialsWithError(xdg.KeyFactors{Salt: "salt", Iters: 4096})
	server, _ := xdg.SHA256.NewServer(func(string) (xdg.StoredCredentials, error) { return stored, nil })
	conv := server.NewConversation()

	a, err := scram.New("SCRAM-SHA-256", scram.Config{Username: "user", Password: "pencil"})
	if err != nil {
		fmt.Println(err)
		return
	}
	mech, resp, _ := a.Start(&auth.ServerInfo{Name: "mail.example.com", Auth: []string{"SCRAM-SHA-256"}})
	fmt.Printf("C: AUTH %s %s...\n", mech, resp[:12])
	for !conv.Done() {
		challenge, _ := conv.Step(string(resp))
		fmt.Printf("S: 334 %s...\n", challenge[:2])
		if resp, err = a.Next([]byte(challenge), true); err != nil {
			fmt.Println(err)
			return
		}
	}
	_, err = a.Next([]byte("2.7.0 Authentication successful"), false)
	fmt.Println("S: 235, server verified:", err == nil)
	// Output:
	// C: AUTH SCRAM-SHA-256 n,,n=user,r=...
	// S: 334 r=...
	// S: 334 v=...
	// S: 235, server verified: true
}
