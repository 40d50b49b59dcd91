package ntlm

import (
	"encoding/binary"
	"fmt"
)

// NegotiateFlags bits, [MS-NLMP] §2.2.2.5.
const (
	flagUnicode       = 0x00000001
	flagRequestTarget = 0x00000004
	flagNTLM          = 0x00000200
	flagAlwaysSign    = 0x00008000
	flagExtendedSS    = 0x00080000
	flagTargetInfo    = 0x00800000
	flag128           = 0x20000000
	flag56            = 0x80000000

	// negotiateFlags is what this client asks for and the mask of what it
	// confirms in the AUTHENTICATE_MESSAGE. No OEM: only Unicode strings;
	// no KEY_EXCH, SIGN or SEAL: SMTP protects nothing with the session key.
	negotiateFlags = flagUnicode | flagRequestTarget | flagNTLM | flagAlwaysSign |
		flagExtendedSS | flagTargetInfo | flag128 | flag56
)

// AV_PAIR identifiers, [MS-NLMP] §2.2.2.1.
const (
	avEOL       = 0
	avTimestamp = 7
)

const (
	// maxChallenge bounds the CHALLENGE_MESSAGE. Real ones are a few
	// hundred bytes; the bound also keeps the NTLMv2 response, which
	// echoes TargetInfo, within its 16-bit length field.
	maxChallenge = 16 << 10

	// maxCredential bounds each credential in bytes of UTF-8, so that its
	// UTF-16LE form fits a 16-bit length field.
	maxCredential = 0xffff / 2

	// challengeHeader is the CHALLENGE_MESSAGE up to and including
	// TargetInfoFields; its payload cannot start earlier.
	challengeHeader = 48
)

var signature = []byte("NTLMSSP\x00")

// negotiateMessage returns the NEGOTIATE_MESSAGE of [MS-NLMP] §2.2.1.1 with
// no domain, no workstation and no Version: nothing about the client
// machine is disclosed, and a Version is only needed for a MIC.
func negotiateMessage() []byte {
	m := make([]byte, 32)
	copy(m, signature)
	binary.LittleEndian.PutUint32(m[8:], 1)
	binary.LittleEndian.PutUint32(m[12:], negotiateFlags)
	return m // DomainNameFields and WorkstationFields stay zero
}

// challenge is what this client uses of a CHALLENGE_MESSAGE.
type challenge struct {
	flags           uint32
	serverChallenge [8]byte
	targetInfo      []byte // the AV pairs, MsvAvEOL included
	timestamp       []byte // MsvAvTimestamp's 8 bytes, or nil
}

// parseChallenge checks and decodes a CHALLENGE_MESSAGE ([MS-NLMP]
// §2.2.1.2). Every offset and length comes from the server and is checked
// against the message before use.
func parseChallenge(m []byte) (*challenge, error) {
	if len(m) > maxChallenge {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(m), maxChallenge)
	}
	if len(m) < 32 {
		return nil, fmt.Errorf("%w: %d bytes, too short", ErrMalformed, len(m))
	}
	if string(m[:8]) != string(signature) {
		return nil, fmt.Errorf("%w: no NTLMSSP signature", ErrMalformed)
	}
	if t := binary.LittleEndian.Uint32(m[8:]); t != 2 {
		return nil, fmt.Errorf("%w: message type %d, not 2", ErrMalformed, t)
	}
	c := &challenge{flags: binary.LittleEndian.Uint32(m[20:])}
	copy(c.serverChallenge[:], m[24:32])

	if c.flags&flagUnicode == 0 {
		return nil, fmt.Errorf("%w: server did not select Unicode", ErrNoNTLMv2)
	}
	// NTLMv2 hashes TargetInfo into the response (MS-NLMP §3.3.2); a
	// server that sends none only knows NTLMv1.
	if c.flags&flagTargetInfo == 0 {
		return nil, fmt.Errorf("%w: challenge has no TargetInfo (NTLMv1-only server)", ErrNoNTLMv2)
	}
	if len(m) < challengeHeader {
		return nil, fmt.Errorf("%w: %d bytes, too short for TargetInfoFields", ErrMalformed, len(m))
	}
	// TargetName is not used (NTLMv2 hashes the user's domain, not the
	// server's), but a field pointing outside the message is a broken or
	// hostile server. Its length is not required to be even: the example
	// of MS-NLMP §4.2.4.3 itself has TargetNameLen 3.
	if _, err := payload(m, 12, "TargetName"); err != nil {
		return nil, err
	}
	ti, err := payload(m, 40, "TargetInfo")
	if err != nil {
		return nil, err
	}
	if len(ti) == 0 {
		return nil, fmt.Errorf("%w: challenge has an empty TargetInfo (NTLMv1-only server)", ErrNoNTLMv2)
	}
	if c.timestamp, err = checkAVPairs(ti); err != nil {
		return nil, err
	}
	c.targetInfo = ti
	return c, nil
}

// payload returns the bytes that the Len/MaxLen/BufferOffset triple at
// m[at:at+8] designates (MS-NLMP §2.2.1.2); MaxLen must be ignored.
func payload(m []byte, at int, name string) ([]byte, error) {
	n := uint64(binary.LittleEndian.Uint16(m[at:]))
	off := uint64(binary.LittleEndian.Uint32(m[at+4:]))
	if n == 0 {
		return nil, nil // the offset of an empty field is meaningless
	}
	if off < challengeHeader || off+n > uint64(len(m)) {
		return nil, fmt.Errorf("%w: %s (offset %d, length %d) outside the %d-byte message",
			ErrMalformed, name, off, n, len(m))
	}
	return m[off : off+n], nil
}

// checkAVPairs checks that ti is a list of AV_PAIRs ending with MsvAvEOL
// and nothing after it (MS-NLMP §2.2.2.1), and returns the value of
// MsvAvTimestamp, if any.
func checkAVPairs(ti []byte) (timestamp []byte, err error) {
	for rest := ti; ; {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: TargetInfo ends without MsvAvEOL", ErrMalformed)
		}
		id := binary.LittleEndian.Uint16(rest)
		n := int(binary.LittleEndian.Uint16(rest[2:]))
		if 4+n > len(rest) {
			return nil, fmt.Errorf("%w: AV pair %d of length %d overruns TargetInfo", ErrMalformed, id, n)
		}
		value := rest[4 : 4+n]
		rest = rest[4+n:]
		switch id {
		case avEOL:
			if n != 0 || len(rest) != 0 {
				return nil, fmt.Errorf("%w: data in or after MsvAvEOL", ErrMalformed)
			}
			return timestamp, nil
		case avTimestamp:
			if n != 8 || timestamp != nil {
				return nil, fmt.Errorf("%w: bad or repeated MsvAvTimestamp", ErrMalformed)
			}
			timestamp = value
		}
	}
}

// authenticate holds the fields of an AUTHENTICATE_MESSAGE.
type authenticate struct {
	flags uint32
	// version is the 8-byte Version field, or nil to leave it out, as
	// MS-NLMP §2.2.1.3 allows when NTLMSSP_NEGOTIATE_VERSION is not set.
	version                   []byte
	domain, user, workstation []byte // UTF-16LE
	lm, nt, sessionKey        []byte
}

// authenticateMessage encodes an AUTHENTICATE_MESSAGE ([MS-NLMP] §2.2.1.3)
// with its payload in the order of the example in §4.2.4.3. Callers keep
// every field under 64 KiB (see maxChallenge and maxCredential).
func authenticateMessage(a authenticate) []byte {
	header := 64 + len(a.version)
	size := header + len(a.domain) + len(a.user) + len(a.workstation) +
		len(a.lm) + len(a.nt) + len(a.sessionKey)
	m := make([]byte, header, size)
	copy(m, signature)
	binary.LittleEndian.PutUint32(m[8:], 3)
	binary.LittleEndian.PutUint32(m[60:], a.flags)
	copy(m[64:], a.version)
	for _, f := range []struct {
		at   int
		data []byte
	}{{28, a.domain}, {36, a.user}, {44, a.workstation}, {12, a.lm}, {20, a.nt}, {52, a.sessionKey}} {
		binary.LittleEndian.PutUint16(m[f.at:], uint16(len(f.data)))
		binary.LittleEndian.PutUint16(m[f.at+2:], uint16(len(f.data)))
		binary.LittleEndian.PutUint32(m[f.at+4:], uint32(len(m)))
		m = append(m, f.data...)
	}
	return m
}
