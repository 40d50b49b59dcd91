package client

import (
	"errors"
	"strings"
	"testing"
)

// addrOfLen returns an address of exactly n octets.
func addrOfLen(n int) string {
	const domain = "@example.com"
	return strings.Repeat("a", n-len(domain)) + domain
}

// controlBytes are every C0 control and DEL.
func controlBytes() []byte {
	var b []byte
	for c := range byte(0x20) {
		b = append(b, c)
	}
	return append(b, 0x7f)
}

// checkValid checks that err is nil if ok, and otherwise wraps
// ErrInvalidArgument.
func checkValid(t *testing.T, fn, in string, err error, ok bool) {
	t.Helper()
	switch {
	case ok && err != nil:
		t.Errorf("%s(%q) = %v, want nil", fn, in, err)
	case !ok && err == nil:
		t.Errorf("%s(%q) = nil, want ErrInvalidArgument", fn, in)
	case !ok && !errors.Is(err, ErrInvalidArgument):
		t.Errorf("%s(%q) = %v, which does not wrap ErrInvalidArgument", fn, in, err)
	}
}

func TestValidateAddress(t *testing.T) {
	// RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets.
	if maxPath != 256 {
		t.Fatalf("maxPath = %d, want 256", maxPath)
	}
	tests := []struct {
		addr  string
		empty bool // the null reverse-path is allowed
		ok    bool
	}{
		{"user@example.com", false, true},
		{"user+tag@sub.example.com", false, true},
		{"postmaster", false, true},
		{"user@[192.0.2.1]", false, true},
		{"user@[IPv6:2001:db8::1]", false, true},
		{`"john doe"@example.com`, false, true},
		{`"john \" doe"@example.com`, false, true},
		{`"a\\"@example.com`, false, true},
		{`a\b@example.com`, false, true},
		{"us\u00e9r@\u00e9xample.com", false, true}, // SMTPUTF8 is checked elsewhere
		{"\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a", false, true},
		{addrOfLen(254), false, true},
		{"", true, true},

		{"", false, false},
		{addrOfLen(255), false, false},
		{addrOfLen(1000), false, false},
		{"a@b> ORCPT=rfc822;x", false, false},
		{"a@b>", false, false},
		{"<a@b>", false, false},
		{"a<b@example.com", false, false},
		{`"a>b"@example.com`, false, false},
		{"john doe@example.com", false, false},
		{"a@b ORCPT=rfc822;x", false, false},
		{" user@example.com", false, false},
		{"user@example.com ", false, false},
		{`a\ b@example.com`, false, false},
		{`"unterminated@example.com`, false, false},
		{`"a\"@example.com`, false, false},
		{"\"a\r\nRSET\"@example.com", false, false},
		{"a@b\r\nRCPT TO:<c@d>", false, false},
	}
	for _, tt := range tests {
		checkValid(t, "validateAddress", tt.addr, validateAddress(tt.addr, tt.empty), tt.ok)
	}
}

func TestValidateDomain(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"localhost", true},
		{"mail.example.com", true},
		{"xn--bcher-kva.example", true},
		{"[192.0.2.1]", true},
		{"[IPv6:2001:db8::1]", true},
		{strings.Repeat("a", 255), true},

		{"", false},
		{strings.Repeat("a", 256), false},
		{"mail example.com", false},
		{" mail.example.com", false},
		{"mail.example.com ", false},
		{"<mail.example.com>", false},
		{"mail.example.com>", false},
		{"b\u00fccher.example", false}, // EHLO takes A-labels
		{"mail.example.com\r\nRSET", false},
	}
	for _, tt := range tests {
		checkValid(t, "validateDomain", tt.name, validateDomain(tt.name), tt.ok)
	}
}

// TestValidateRejectsControlBytes tries every control byte at the start,
// middle and end, and inside a quoted local part.
func TestValidateRejectsControlBytes(t *testing.T) {
	for _, c := range controlBytes() {
		s := string(c)
		for _, addr := range []string{
			s + "a@example.com",
			"a" + s + "@example.com",
			"a@example.com" + s,
			`"a` + s + `b"@example.com`,
		} {
			checkValid(t, "validateAddress", addr, validateAddress(addr, true), false)
		}
		for _, name := range []string{s + "example.com", "mail" + s + "example.com", "example.com" + s} {
			checkValid(t, "validateDomain", name, validateDomain(name), false)
		}
	}
}

// TestValidateAddressQuotes: a quoted string is a local part, nothing else.
func TestValidateAddressQuotes(t *testing.T) {
	for addr, ok := range map[string]bool{
		`"john doe"@example.com`:     true,
		`"a\"b c"@example.com`:       true,
		`x@y" NOTIFY=NEVER"`:         false,
		`"a" NOTIFY=NEVER@x`:         false,
		`"unterminated@example.com`:  false,
		`"quoted"`:                   false,
		`a"b@example.com`:            false,
		`"a\\" ORCPT=x"@example.com`: false,
	} {
		err := validateAddress(addr, false)
		if (err == nil) != ok {
			t.Errorf("validateAddress(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
