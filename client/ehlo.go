package client

import (
	"slices"
	"strings"

	"github.com/smtpauth/smtpauth/auth"
)

// parseEHLO reads the keyword lines of an EHLO reply (RFC 5321 §4.1.1.1),
// the greeting line already removed. Keywords are stored upper case.
// Mechanisms from every AUTH line, and from the pre-standard "AUTH=" form
// some servers still send for old Outlook clients, are merged into one list
// without duplicates.
func parseEHLO(lines []string) (ext map[string]string, mechs []string) {
	ext = make(map[string]string, len(lines))
	sawAuth := false
	for _, line := range lines {
		keyword, param, _ := strings.Cut(line, " ")
		keyword = upperASCII(keyword)
		if rest, ok := strings.CutPrefix(keyword, "AUTH="); ok {
			keyword, param = "AUTH", rest+" "+param
		}
		if !validKeyword(keyword) {
			continue
		}
		if keyword != "AUTH" {
			ext[keyword] = strings.TrimSpace(param)
			continue
		}
		sawAuth = true
		for _, m := range strings.Fields(param) {
			// A name outside RFC 4422's syntax is not one any registry
			// could hold: it is dropped, never guessed at.
			if m, ok := auth.CanonicalMechanism(m); ok && !slices.Contains(mechs, m) {
				mechs = append(mechs, m)
			}
		}
	}
	if sawAuth {
		ext["AUTH"] = strings.Join(mechs, " ")
	}
	return ext, mechs
}

// validKeyword checks RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT)
// *(ALPHA / DIGIT / "-"), given upper case.
func validKeyword(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if b := k[i]; !(b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// upperASCII upper-cases ASCII letters only: strings.ToUpper would turn
// "plaın" (dotless i) into "PLAIN" and "ſ" into "S", letting a server
// spell a mechanism name with look-alike letters.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
