package ntlm

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/smtpauth/smtpauth/auth"
)

var verified = &auth.ServerInfo{Name: "mail.example.com", TLS: true, Auth: []string{"NTLM"}}

// av encodes one AV_PAIR (MS-NLMP §2.2.2.1).
func av(id uint16, value []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// buildChallenge encodes a well-formed CHALLENGE_MESSAGE without Version.
func buildChallenge(flags uint32, targetName, targetInfo []byte) []byte {
	m := make([]byte, 48)
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], 2)
	binary.LittleEndian.PutUint32(m[20:], flags)
	copy(m[24:], "\x01\x23\x45\x67\x89\xab\xcd\xef")
	for _, f := range []struct {
		at   int
		data []byte
	}{{12, targetName}, {40, targetInfo}} {
		binary.LittleEndian.PutUint16(m[f.at:], uint16(len(f.data)))
		binary.LittleEndian.PutUint16(m[f.at+2:], uint16(len(f.data)))
		binary.LittleEndian.PutUint32(m[f.at+4:], uint32(len(m)))
		m = append(m, f.data...)
	}
	return m
}

const serverFlags = flagUnicode | flagNTLM | flagTargetInfo | flagExtendedSS | flag128 | flag56

var (
	serverTime = []byte{0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01} // 1970-01-01
	nameInfo   = concat(av(2, utf16le("EXAMPLE")), av(1, utf16le("MAIL")))
	stamped    = buildChallenge(serverFlags, utf16le("EXAMPLE"), concat(nameInfo, av(7, serverTime), av(0, nil)))
)

// field returns the payload a field of an AUTHENTICATE_MESSAGE designates.
func field(t *testing.T, m []byte, at int) []byte {
	t.Helper()
	n, off := int(binary.LittleEndian.Uint16(m[at:])), int(binary.LittleEndian.Uint32(m[at+4:]))
	if off+n > len(m) {
		t.Fatalf("field at %d (offset %d, length %d) outside %d bytes", at, off, n, len(m))
	}
	return m[off : off+n]
}

// TestServerTimestamp checks MS-NLMP §3.1.5.1.2 and §3.3.2: with
// MsvAvTimestamp, the temp blob carries the server's time, not the
// client's, and the LM response is Z(24).
func TestServerTimestamp(t *testing.T) {
	a := fixed(t, "EXAMPLE", "alice", "secret")
	a.now = func() time.Time { t.Error("clock read although the server sent a time"); return time.Now() }
	a.Start(verified)
	m, err := a.Next(stamped, true)
	if err != nil {
		t.Fatal(err)
	}
	if lm := field(t, m, 12); !bytes.Equal(lm, make([]byte, 24)) {
		t.Errorf("LmChallengeResponse = % x, want Z(24)", lm)
	}
	ch, _ := parseChallenge(stamped)
	key := ntowfv2("secret", "alice", "EXAMPLE")
	want := ntlmv2Response(key, ch.serverChallenge[:], unhex(t, specClientChallenge), serverTime, ch.targetInfo)
	if nt := field(t, m, 20); !bytes.Equal(nt, want) {
		t.Errorf("NtChallengeResponse =\n% x\nwant\n% x", nt, want)
	}
	if !bytes.Equal(want[24:32], serverTime) {
		t.Errorf("temp timestamp = % x, want % x", want[24:32], serverTime)
	}
}

// TestClientTimestamp checks that without MsvAvTimestamp the client's clock
// is used, encoded as a FILETIME.
func TestClientTimestamp(t *testing.T) {
	a := fixed(t, "EXAMPLE", "alice", "secret")
	a.now = func() time.Time { return time.Unix(0, 0) }
	a.Start(verified)
	m, err := a.Next(buildChallenge(serverFlags, nil, concat(nameInfo, av(0, nil))), true)
	if err != nil {
		t.Fatal(err)
	}
	if ts := field(t, m, 20)[24:32]; !bytes.Equal(ts, serverTime) {
		t.Errorf("timestamp = % x, want % x (1970-01-01 as FILETIME)", ts, serverTime)
	}
	if lm := field(t, m, 12); len(lm) != 24 || bytes.Equal(lm, make([]byte, 24)) {
		t.Errorf("LmChallengeResponse = % x, want an LMv2 response", lm)
	}
}

func TestFiletime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want uint64
	}{
		{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 116444736000000000},
		{time.Unix(1, 250), 116444736010000002},
	} {
		if got := binary.LittleEndian.Uint64(filetime(tc.t)); got != tc.want {
			t.Errorf("filetime(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

// TestHostileChallenges feeds malformed and legacy challenges; none may
// panic or yield a response.
func TestHostileChallenges(t *testing.T) {
	spec := unhex(t, specChallenge)
	eol := av(0, nil)
	with := func(b []byte, at int, v uint32, size int) []byte {
		b = bytes.Clone(b)
		if size == 2 {
			binary.LittleEndian.PutUint16(b[at:], uint16(v))
		} else {
			binary.LittleEndian.PutUint32(b[at:], v)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated header", spec[:31], ErrMalformed},
		{"truncated before TargetInfoFields", spec[:40], ErrMalformed},
		{"truncated payload", spec[:len(spec)-1], ErrMalformed},
		{"wrong signature", append([]byte("NTLMSSQ\x00"), spec[8:]...), ErrMalformed},
		{"type 1", with(spec, 8, 1, 4), ErrMalformed},
		{"type 3", with(spec, 8, 3, 4), ErrMalformed},
		{"TargetName offset past the end", with(spec, 16, 0xffffffff, 4), ErrMalformed},
		{"TargetName length past the end", with(spec, 12, 0xffff, 2), ErrMalformed},
		{"TargetName in header", with(spec, 16, 8, 4), ErrMalformed},
		{"TargetInfo offset past the end", with(spec, 44, uint32(len(spec)), 4), ErrMalformed},
		{"TargetInfo offset overflow", with(spec, 44, 0xfffffffe, 4), ErrMalformed},
		{"TargetInfo huge length", with(spec, 40, 0xffff, 2), ErrMalformed},
		{"TargetInfo in header", with(spec, 44, 0, 4), ErrMalformed},
		{"too large", append(bytes.Clone(spec), make([]byte, maxChallenge)...), ErrMalformed},
		{"AV pairs without MsvAvEOL", buildChallenge(serverFlags, nil, nameInfo), ErrMalformed},
		{"AV pair header cut", buildChallenge(serverFlags, nil, concat(nameInfo, []byte{7, 0})), ErrMalformed},
		{"AV pair overruns", buildChallenge(serverFlags, nil, concat(av(2, utf16le("X")), []byte{1, 0, 0xff, 0x00}, eol)), ErrMalformed},
		{"MsvAvEOL with a value", buildChallenge(serverFlags, nil, concat(nameInfo, av(0, []byte{1, 2}))), ErrMalformed},
		{"data after MsvAvEOL", buildChallenge(serverFlags, nil, concat(nameInfo, eol, av(1, nil))), ErrMalformed},
		{"short MsvAvTimestamp", buildChallenge(serverFlags, nil, concat(av(7, []byte{1, 2, 3, 4}), eol)), ErrMalformed},
		{"repeated MsvAvTimestamp", buildChallenge(serverFlags, nil, concat(av(7, serverTime), av(7, serverTime), eol)), ErrMalformed},
		{"MS-NLMP 4.2.2.3 NTLMv1", unhex(t, specNTLMv1Challenge), ErrNoNTLMv2},
		{"MS-NLMP 4.2.3.3 NTLMv1 with client challenge", unhex(t, specNTLMv1ESSChallenge), ErrNoNTLMv2},
		{"TARGET_INFO flag cleared", with(spec, 20, specChallengeFlags&^flagTargetInfo, 4), ErrNoNTLMv2},
		{"empty TargetInfo", buildChallenge(serverFlags, utf16le("EXAMPLE"), nil), ErrNoNTLMv2},
		{"OEM only", with(spec, 20, specChallengeFlags&^flagUnicode, 4), ErrNoNTLMv2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fixed(t, "D", "u", "p")
			a.Start(verified)
			resp, err := a.Next(tc.msg, true)
			if !errors.Is(err, tc.want) || resp != nil {
				t.Fatalf("Next = %q, %v; want error %v", resp, err, tc.want)
			}
			if strings.Contains(err.Error(), "%!") {
				t.Errorf("badly formatted error: %v", err)
			}
		})
	}
}

func TestSecondChallenge(t *testing.T) {
	a := fixed(t, "D", "u", "p")
	a.Start(verified)
	if _, err := a.Next(stamped, true); err != nil {
		t.Fatal(err)
	}
	if resp, err := a.Next(stamped, true); !errors.Is(err, auth.ErrUnexpectedChallenge) || resp != nil {
		t.Fatalf("second challenge: %q, %v", resp, err)
	}
	// A new exchange on the same Auth starts over.
	a.random = bytes.NewReader(make([]byte, 8))
	a.Start(verified)
	if _, err := a.Next(stamped, true); err != nil {
		t.Fatalf("challenge after a new Start: %v", err)
	}
}

func TestRandomFailure(t *testing.T) {
	a := fixed(t, "D", "u", "p")
	boom := errors.New("no entropy")
	a.random = iotest.ErrReader(boom)
	a.Start(verified)
	if resp, err := a.Next(stamped, true); !errors.Is(err, boom) || resp != nil {
		t.Fatalf("Next = %q, %v; want %v", resp, err, boom)
	}
}

// TestNetSMTPWire runs the exchange of [MS-SMTPNTLM] §3.1.5.1 (NEGOTIATE as
// initial response) through the standard library's client against a
// scripted server, with the values of MS-NLMP §4.2.4.
func TestNetSMTPWire(t *testing.T) {
	clientConn, serverConn := net.Pipe()
	defer clientConn.Close()
	lines := make(chan string, 8)
	go func() {
		defer serverConn.Close()
		defer close(lines)
		tp := textproto.NewConn(serverConn)
		tp.PrintfLine("220 mail.example.com ESMTP")
		for _, reply := range []string{
			"250-mail.example.com\r\n250 AUTH NTLM",
			"334 " + base64.StdEncoding.EncodeToString(unhex(t, specChallenge)),
			"235 2.7.0 Authentication successful",
		} {
			l, err := tp.ReadLine()
			if err != nil {
				return
			}
			lines <- l
			tp.PrintfLine("%s", reply)
		}
	}()
	c, err := smtp.NewClient(clientConn, "localhost") // loopback: no TLS needed
	if err != nil {
		t.Fatal(err)
	}
	a := fixed(t, specDomain, specUser, specPassword)
	if err := c.Auth(a); err != nil {
		t.Fatal(err)
	}
	clientConn.Close()
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	if len(got) != 3 {
		t.Fatalf("server read %q", got)
	}
	if want := "AUTH NTLM TlRMTVNTUAABAAAABYKIoAAAAAAAAAAAAAAAAAAAAAA="; got[1] != want {
		t.Errorf("AUTH line %q, want %q", got[1], want)
	}
	m, err := base64.StdEncoding.DecodeString(got[2])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m, unhex(t, specNTProofStr+specTemp)) {
		t.Errorf("AUTHENTICATE_MESSAGE lacks the spec's NTLMv2 response: % x", m)
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		server auth.ServerInfo
		want   error
	}{
		{auth.ServerInfo{Name: "mail.example.com"}, auth.ErrUnencrypted},
		{auth.ServerInfo{Name: "mail.example.com", TLS: true}, nil},
		{auth.ServerInfo{Name: "localhost"}, nil},
		{auth.ServerInfo{Name: "127.0.0.1"}, nil},
		{auth.ServerInfo{Name: "::1"}, nil},
	} {
		mech, resp, err := New("D", "u", "p").Start(&tc.server)
		if tc.want != nil {
			if !errors.Is(err, tc.want) || resp != nil || mech != "" {
				t.Errorf("%+v: Start = %q, %q, %v; want %v", tc.server, mech, resp, err, tc.want)
			}
		} else if err != nil || mech != "NTLM" || len(resp) != 32 {
			t.Errorf("%+v: Start = %q, %q, %v", tc.server, mech, resp, err)
		}
	}
}

func TestBadCredentials(t *testing.T) {
	long := strings.Repeat("x", maxCredential+1)
	for _, c := range [][3]string{
		{"D", "u\xff", "p"},
		{"D\xc3", "u", "p"},
		{"D", "u", "\xed\xa0\x80"}, // a UTF-8-encoded surrogate
		{"D", "u", long},
		{long, "u", "p"},
	} {
		if _, resp, err := New(c[0], c[1], c[2]).Start(verified); !errors.Is(err, ErrBadCredentials) || resp != nil {
			t.Errorf("%.20q: Start = %q, %v; want ErrBadCredentials", c, resp, err)
		}
	}
}

func TestDomainInUsername(t *testing.T) {
	for _, tc := range []struct{ domain, user, wantDomain, wantUser string }{
		{"", `CORP\alice`, "CORP", "alice"},
		{"", "alice@corp.example", "", "alice@corp.example"},
		{"CORP", `OTHER\alice`, "CORP", `OTHER\alice`}, // an explicit domain wins
		{"", `\alice`, "", "alice"},
	} {
		a := New(tc.domain, tc.user, "p").(*ntlmAuth)
		if a.domain != tc.wantDomain || a.username != tc.wantUser {
			t.Errorf("New(%q, %q): domain %q, user %q", tc.domain, tc.user, a.domain, a.username)
		}
	}
}

func TestFormattingHidesSecret(t *testing.T) {
	a := fixed(t, "CORP", "alice", "hunter2")
	a.Start(verified)
	a.Next(stamped, true)
	hash := fmt.Sprintf("%x", ntowfv2("hunter2", "alice", "CORP"))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, a); strings.Contains(s, "hunter2") || strings.Contains(s, hash) {
			t.Errorf("%s shows the password: %s", verb, s)
		}
	}
}

// FuzzChallenge checks that no server message makes Next panic, that
// errors are the documented ones, and that any answer is a well-formed
// AUTHENTICATE_MESSAGE that echoes the server's TargetInfo.
func FuzzChallenge(f *testing.F) {
	for _, s := range []string{specChallenge, specNTLMv1Challenge, specNTLMv1ESSChallenge} {
		f.Add(unhex(f, s))
	}
	f.Add(stamped)
	f.Add(buildChallenge(serverFlags, nil, concat(nameInfo, av(0, nil))))
	f.Add(buildChallenge(serverFlags, nil, nameInfo))
	f.Add([]byte("NTLMSSP\x00\x02\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		a := New("CORP", "alice", "p").(*ntlmAuth)
		a.random = bytes.NewReader(make([]byte, 8))
		a.now = func() time.Time { return time.Unix(0, 0) }
		a.Start(verified)
		m, err := a.Next(msg, true)
		if err != nil {
			if m != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrNoNTLMv2)) {
				t.Fatalf("Next = %q, %v", m, err)
			}
			return
		}
		ch, err := parseChallenge(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) < 64 || string(m[:8]) != "NTLMSSP\x00" || binary.LittleEndian.Uint32(m[8:]) != 3 {
			t.Fatalf("not an AUTHENTICATE_MESSAGE: % x", m)
		}
		nt := field(t, m, 20)
		if len(nt) != 16+28+len(ch.targetInfo)+4 || !bytes.Equal(nt[44:44+len(ch.targetInfo)], ch.targetInfo) {
			t.Fatalf("NtChallengeResponse % x does not echo TargetInfo % x", nt, ch.targetInfo)
		}
	})
}
