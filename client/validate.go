package client

import "fmt"

// maxPath is RFC 5321 §4.5.3.1.3's limit on a path, brackets included.
const maxPath = 256

// validateAddress refuses anything that could end the command line or add
// parameters: control characters (CR, LF, NUL, ...), angle brackets, and
// spaces outside a quoted local part. net/smtp checks only CR and LF, so
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
	quoted, escaped := false, false
	for i := 0; i < len(addr); i++ {
		b := addr[i]
		switch {
		case b < 0x20 || b == 0x7f:
			return fmt.Errorf("%w: address %q contains a control character", ErrInvalidArgument, addr)
		case b == '<' || b == '>':
			return fmt.Errorf("%w: address %q contains an angle bracket", ErrInvalidArgument, addr)
		case escaped:
			escaped = false
		case quoted && b == '\\':
			escaped = true
		case b == '"':
			quoted = !quoted
		case b == ' ' && !quoted:
			return fmt.Errorf("%w: address %q contains a space outside quotes", ErrInvalidArgument, addr)
		}
	}
	if quoted {
		return fmt.Errorf("%w: address %q has an unterminated quote", ErrInvalidArgument, addr)
	}
	return nil
}

// validateDomain checks an EHLO/HELO name: a domain or an address literal,
// so no spaces, control characters or brackets that would add arguments.
func validateDomain(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("%w: host name must be 1 to 255 octets", ErrInvalidArgument)
	}
	for i := 0; i < len(name); i++ {
		if b := name[i]; b <= ' ' || b >= 0x7f || b == '<' || b == '>' {
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
