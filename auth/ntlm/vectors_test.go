package ntlm

import (
	"bytes"
	"crypto/rc4"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/smtpauth/smtpauth/auth"
)

// Values of [MS-NLMP] §4.2.1 (common) and §4.2.4 (NTLMv2 authentication).
const (
	specUser        = "User"
	specDomain      = "Domain"
	specPassword    = "Password"
	specWorkstation = "COMPUTER"

	specServerChallenge  = "01 23 45 67 89 ab cd ef"
	specClientChallenge  = "aa aa aa aa aa aa aa aa"
	specTime             = "00 00 00 00 00 00 00 00"
	specRandomSessionKey = "55 55 55 55 55 55 55 55 55 55 55 55 55 55 55 55"

	// §4.2.4.1
	specNTOWFv2         = "0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"
	specSessionBaseKey  = "8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3"
	specTargetInfoBytes = "02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00" +
		"01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00"
	specTemp = "01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00" +
		"aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00" +
		"44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00" +
		"53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00" +
		"00 00 00 00"

	// §4.2.4.2
	specLMv2Response        = "86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa"
	specNTProofStr          = "68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c"
	specEncryptedSessionKey = "c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e"
	specAuthenticateFlags   = 0xe2888235
	specAuthenticateVersion = "05 01 28 0a 00 00 00 0f"
	specChallengeFlags      = 0xe28a8233
	specNegotiated          = specChallengeFlags & negotiateFlags

	// §4.2.4.3. TargetNameLen is 3 there (MaxLen 12): the example's own
	// slip, which the parser tolerates since it does not use TargetName.
	specChallenge = "4e 54 4c 4d 53 53 50 00 02 00 00 00 03 00 0c 00" +
		"38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef" +
		"00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00" +
		"06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00" +
		"65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00" +
		"69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00" +
		"65 00 72 00 00 00 00 00"
	specAuthenticate = "4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00" +
		"6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00" +
		"48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00" +
		"5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2" +
		"05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00" +
		"69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00" +
		"4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97" +
		"ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa" +
		"aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b" +
		"eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00" +
		"00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00" +
		"02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00" +
		"01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00" +
		"00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90" +
		"94 ce 1c e9 0b c9 d0 3e"

	// §4.2.2.3 and §4.2.3.3: NTLMv1 challenges, without TargetInfo.
	specNTLMv1Challenge = "4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00" +
		"38 00 00 00 33 82 02 e2 01 23 45 67 89 ab cd ef" +
		"06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00" +
		"65 00 72 00"
	specNTLMv1ESSChallenge = "4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00" +
		"38 00 00 00 33 82 0a 82 01 23 45 67 89 ab cd ef" +
		"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" +
		"06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00" +
		"65 00 72 00"
)

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func checkBytes(t *testing.T, name string, got []byte, want string) {
	t.Helper()
	if w := unhex(t, want); !bytes.Equal(got, w) {
		t.Errorf("%s =\n% x\nwant\n% x", name, got, w)
	}
}

// fixed returns an Auth whose client challenge and clock are those of
// MS-NLMP §4.2.1.
func fixed(t testing.TB, domain, user, password string) *ntlmAuth {
	a := New(domain, user, password).(*ntlmAuth)
	a.random = bytes.NewReader(unhex(t, specClientChallenge))
	a.now = func() time.Time { return time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC) }
	return a
}

// TestSpecCalculations checks every value of MS-NLMP §4.2.4.1 and §4.2.4.2.
func TestSpecCalculations(t *testing.T) {
	key := ntowfv2(specPassword, specUser, specDomain)
	checkBytes(t, "NTOWFv2", key, specNTOWFv2)

	ch, err := parseChallenge(unhex(t, specChallenge))
	if err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "ServerChallenge", ch.serverChallenge[:], specServerChallenge)
	checkBytes(t, "TargetInfo", ch.targetInfo, specTargetInfoBytes)
	if ch.flags != specChallengeFlags || ch.timestamp != nil {
		t.Errorf("flags %#x, timestamp %x; want %#x, none", ch.flags, ch.timestamp, specChallengeFlags)
	}

	sc, cc := ch.serverChallenge[:], unhex(t, specClientChallenge)
	checkBytes(t, "LMv2 response", lmv2Response(key, sc, cc), specLMv2Response)

	nt := ntlmv2Response(key, sc, cc, unhex(t, specTime), ch.targetInfo)
	checkBytes(t, "NTProofStr", nt[:16], specNTProofStr)
	checkBytes(t, "temp", nt[16:], specTemp)

	// Not sent by this client (no KEY_EXCH), but matching them proves
	// NTProofStr is the one the spec derives its keys from.
	sessionBaseKey := hmacMD5(key, nt[:16])
	checkBytes(t, "SessionBaseKey", sessionBaseKey, specSessionBaseKey)
	checkBytes(t, "EncryptedRandomSessionKey", rc4Encrypt(t, sessionBaseKey, unhex(t, specRandomSessionKey)), specEncryptedSessionKey)
}

func rc4Encrypt(t *testing.T, key, plaintext []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(plaintext))
	c.XORKeyStream(out, plaintext)
	return out
}

// TestSpecAuthenticateMessage checks the encoder against the
// AUTHENTICATE_MESSAGE of MS-NLMP §4.2.4.3, byte for byte, given the
// Version, workstation and session key that this client does not send.
func TestSpecAuthenticateMessage(t *testing.T) {
	key := ntowfv2(specPassword, specUser, specDomain)
	sc, cc := unhex(t, specServerChallenge), unhex(t, specClientChallenge)
	nt := ntlmv2Response(key, sc, cc, unhex(t, specTime), unhex(t, specTargetInfoBytes))
	m := authenticateMessage(authenticate{
		flags:       specAuthenticateFlags,
		version:     unhex(t, specAuthenticateVersion),
		domain:      utf16le(specDomain),
		user:        utf16le(specUser),
		workstation: utf16le(specWorkstation),
		lm:          lmv2Response(key, sc, cc),
		nt:          nt,
		sessionKey:  rc4Encrypt(t, hmacMD5(key, nt[:16]), unhex(t, specRandomSessionKey)),
	})
	checkBytes(t, "AUTHENTICATE_MESSAGE", m, specAuthenticate)
}

// TestSpecExchange runs the Auth on the CHALLENGE_MESSAGE of MS-NLMP
// §4.2.4.3 with the spec's client challenge and time. Its answer differs
// from the spec's only by what this client leaves out: Version,
// workstation, encrypted session key, and the flags for them.
func TestSpecExchange(t *testing.T) {
	for _, tc := range []struct{ domain, user string }{
		{specDomain, specUser},
		{"", specDomain + `\` + specUser},
	} {
		a := fixed(t, tc.domain, tc.user, specPassword)
		mech, neg, err := a.Start(&auth.ServerInfo{Name: "mail.example.com", TLS: true})
		if err != nil || mech != "NTLM" {
			t.Fatalf("Start = %q, %v", mech, err)
		}
		checkBytes(t, "NEGOTIATE_MESSAGE", neg,
			"4e 54 4c 4d 53 53 50 00 01 00 00 00 05 82 88 a0"+
				"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")

		got, err := a.Next(unhex(t, specChallenge), true)
		if err != nil {
			t.Fatal(err)
		}
		if specNegotiated != 0xa0888201 {
			t.Fatalf("negotiated flags %#x", specNegotiated)
		}
		want := "4e 54 4c 4d 53 53 50 00 03 00 00 00" +
			"18 00 18 00 54 00 00 00" + // LmChallengeResponseFields
			"54 00 54 00 6c 00 00 00" + // NtChallengeResponseFields
			"0c 00 0c 00 40 00 00 00" + // DomainNameFields
			"08 00 08 00 4c 00 00 00" + // UserNameFields
			"00 00 00 00 54 00 00 00" + // WorkstationFields
			"00 00 00 00 c0 00 00 00" + // EncryptedRandomSessionKeyFields
			"01 82 88 a0" + // NegotiateFlags, no Version
			"44 00 6f 00 6d 00 61 00 69 00 6e 00" + "55 00 73 00 65 00 72 00" +
			specLMv2Response + specNTProofStr + specTemp
		checkBytes(t, "AUTHENTICATE_MESSAGE", got, want)

		if resp, err := a.Next([]byte("2.7.0 Authentication successful"), false); resp != nil || err != nil {
			t.Errorf("Next after 235 = %q, %v", resp, err)
		}
	}
}
