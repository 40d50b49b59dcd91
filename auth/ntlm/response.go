package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf16"

	//lint:ignore SA1019 NTOWFv2 is defined over MD4 (MS-NLMP §3.3.2): compatibility is the point.
	"golang.org/x/crypto/md4"
)

// ntowfv2 is NTOWFv2 of [MS-NLMP] §3.3.2:
// HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(Uppercase(User), UserDom))).
// Only the user name is upper-cased, and with Unicode's simple case
// mapping: Windows' own table may differ for a few rare letters.
// The domain is hashed as given.
func ntowfv2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(utf16le(password))
	return hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
}

// ntlmv2Response is NtChallengeResponse of [MS-NLMP] §3.3.2:
// NTProofStr followed by temp, the NTLMv2_CLIENT_CHALLENGE of §2.2.2.7
// (with the trailing Z(4) that §3.3.2 appends after the AV pairs).
func ntlmv2Response(key, serverChallenge, clientChallenge, timestamp, targetInfo []byte) []byte {
	temp := make([]byte, 0, 28+len(targetInfo)+4)
	temp = append(temp, 1, 1, 0, 0, 0, 0, 0, 0) // Responserversion, HiResponserversion, Z(6)
	temp = append(temp, timestamp...)
	temp = append(temp, clientChallenge...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, targetInfo...)
	temp = append(temp, 0, 0, 0, 0)
	ntProofStr := hmacMD5(key, serverChallenge, temp)
	return append(ntProofStr, temp...)
}

// lmv2Response is LmChallengeResponse of [MS-NLMP] §3.3.2:
// HMAC_MD5(ResponseKeyLM, ServerChallenge||ClientChallenge)||ClientChallenge,
// where ResponseKeyLM is NTOWFv2 too.
func lmv2Response(key, serverChallenge, clientChallenge []byte) []byte {
	return append(hmacMD5(key, serverChallenge, clientChallenge), clientChallenge...)
}

func hmacMD5(key []byte, parts ...[]byte) []byte {
	mac := hmac.New(md5.New, key)
	for _, p := range parts {
		mac.Write(p)
	}
	return mac.Sum(nil)
}

// utf16le encodes s as UTF-16 little-endian, the UNICODE() of MS-NLMP.
func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// filetime encodes t as a Windows FILETIME: 100 ns ticks since 1601-01-01
// UTC, little-endian (MS-NLMP §2.2.2.7). time.Duration cannot span the
// four centuries since 1601, hence the arithmetic on seconds.
func filetime(t time.Time) []byte {
	const unixFrom1601 = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	secs := t.Unix() + unixFrom1601
	if secs < 0 {
		secs = 0
	}
	ticks := uint64(secs)*10_000_000 + uint64(t.Nanosecond()/100)
	return binary.LittleEndian.AppendUint64(nil, ticks)
}
