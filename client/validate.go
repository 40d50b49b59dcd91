package client

import (
	"fmt"
	"strings"
)

// maxPath is RFC 5321 §4.5.3.1.3's limit on a path, brackets included.
const maxPath = 256

// validateAddress refuses anything that could end the command line or add
// parameters: control characters (CR, LF, NUL, ...), angle brackets, and
// spaces or quotes outside a quoted local part (RFC 5321 §4.1.2: only the
// local part may be a quoted string). net/smtp checks only CR and LF, so
// "a@b> ORCPT=..." smuggles a parameter through it. empty allows the null
// reverse-path "<>".
func validateAddress(addr string, empty bool) error {
	if addr == "" {
		if empty {
			return nil
		}
		return fmt.Errorf("%w: empty address", ErrInvalidArgument)
	}
	if len(addr)+2 > maxPath {
		return fmt.Errorf("%w: address longer than %d octets", ErrInvalidArgument, maxPath-2)
	}
	rest := addr
	if addr[0] == '"' {
		end := closingQuote(addr)
		if end < 0 || end+1 >= len(addr) || addr[end+1] != '@' {
			return fmt.Errorf("%w: address %q: a quoted local part must be closed and followed by '@'", ErrInvalidArgument, addr)
		}
		rest = addr[end+1:]
	}
	for i := 0; i < len(addr); i++ {
		b := addr[i]
		inQuotes := i < len(addr)-len(rest)
		switch {
		case b < 0x20 || b == 0x7f:
			return fmt.Errorf("%w: address %q contains a control character", ErrInvalidArgument, addr)
		case b == '<' || b == '>':
			return fmt.Errorf("%w: address %q contains an angle bracket", ErrInvalidArgument, addr)
		case !inQuotes && (b == ' ' || b == '"'):
			return fmt.Errorf("%w: address %q contains %q outside a quoted local part", ErrInvalidArgument, addr, b)
		}
	}
	return nil
}

// closingQuote returns the index of the quote that closes the quoted
// string s starts with, honouring backslash escapes, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// validateDomain checks an EHLO/HELO name (RFC 5321 §4.1.1.1): a domain
// or an address literal such as "[192.0.2.1]" or "[IPv6:::1]", so only
// letters, digits and "-._:[]" (underscores occur in real host names).
func validateDomain(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("%w: host name must be 1 to 255 octets", ErrInvalidArgument)
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._:[]", b) >= 0) {
			return fmt.Errorf("%w: host name %q contains %q", ErrInvalidArgument, name, b)
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
