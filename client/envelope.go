package client

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Errors of Send and SendBatch callers can branch on with errors.Is.
var (
	// ErrNotSupported reports an envelope that needs an extension the
	// server does not offer (SMTPUTF8, DSN, REQUIRETLS). Nothing was sent.
	ErrNotSupported = errors.New("smtp: not supported by the server")

	// ErrMessageTooLarge reports a message larger than the server's SIZE
	// limit (RFC 1870). Nothing was sent.
	ErrMessageTooLarge = errors.New("smtp: message exceeds the server's SIZE limit")

	// ErrRecipientsRefused reports that the server refused some or all
	// recipients; the Result says which, and who got the message.
	ErrRecipientsRefused = errors.New("smtp: recipients refused")

	// ErrOutcomeUnknown reports that the whole message was sent but the
	// connection failed before the server's verdict: it may have been
	// delivered. Sending it again risks a duplicate; the client never does.
	ErrOutcomeUnknown = errors.New("smtp: message sent, outcome unknown")
)

// Envelope is one message's SMTP envelope and its delivery options.
type Envelope struct {
	From string
	To   []string

	// Size is the message size in octets, if known before sending. Zero
	// means unknown, unless the body has a Len method (bytes.Reader,
	// strings.Reader, bytes.Buffer). A known size is announced with SIZE
	// (RFC 1870) and refused before sending if over the server's limit.
	Size int64

	// RequireTLS asks every server on the way to use TLS (RFC 8689). It
	// needs a verified TLS connection and the REQUIRETLS extension.
	RequireTLS bool

	// DSN asks for delivery status notifications (RFC 3461); nil leaves
	// them to the server's defaults.
	DSN *DSN
}

// DSN holds the delivery status notification parameters of RFC 3461.
type DSN struct {
	Return     string   // RET: "FULL" or "HDRS", or "" for the server's choice
	EnvelopeID string   // ENVID, sent xtext-encoded
	Notify     []string // NOTIFY for every recipient: "NEVER", or any of "SUCCESS", "FAILURE", "DELAY"
}

// Result says what became of a message.
type Result struct {
	Accepted []string           // recipients the server accepted
	Refused  []RefusedRecipient // recipients it refused, in order
	Response string             // the server's reply to the message, often with a queue ID

	sent bool // the whole message left the client
}

// RefusedRecipient is a recipient the server refused, with its reply.
type RefusedRecipient struct {
	Addr string
	Err  *Error
}

// transaction is an Envelope checked against the server. Its command
// lines are written straight into the connection's buffer (appendMail,
// appendRcpt): sending a message allocates no strings for them.
type transaction struct {
	from   string
	to     []string
	size   int64  // -1 if unknown
	params string // MAIL parameters after BODY and SIZE: SMTPUTF8, REQUIRETLS, RET, ENVID
	body8  bool   // BODY=8BITMIME
	sized  bool   // SIZE=size
	notify string // NOTIFY for every RCPT
	orcpt  bool   // ORCPT for every ASCII RCPT
}

// prepare validates env against the server's extensions before anything
// is written, so that a refusal here costs nothing.
func (c *Client) prepare(tx *transaction, env *Envelope, body io.Reader) error {
	if err := validateAddress(env.From, true); err != nil {
		return err
	}
	if len(env.To) == 0 {
		return fmt.Errorf("%w: no recipients", ErrInvalidArgument)
	}
	utf8 := !isASCII(env.From)
	for _, rcpt := range env.To {
		if err := validateAddress(rcpt, false); err != nil {
			return err
		}
		utf8 = utf8 || !isASCII(rcpt)
	}
	*tx = transaction{from: env.From, to: env.To, size: env.Size, body8: c.has("8BITMIME")}
	if tx.size <= 0 {
		tx.size = -1
		if l, ok := body.(interface{ Len() int }); ok {
			tx.size = int64(l.Len())
		}
	}
	if limit, ok := c.ext["SIZE"]; ok && tx.size >= 0 {
		// RFC 1870 §6: 0 or no number means no fixed limit; anything but
		// digits is not a number.
		if n, err := strconv.ParseInt(limit, 10, 64); err == nil && limit[0] != '+' && n > 0 && tx.size > n {
			return fmt.Errorf("%w: %d octets, limit %d", ErrMessageTooLarge, tx.size, n)
		}
		tx.sized = true
	}
	if !utf8 && !env.RequireTLS && env.DSN == nil {
		return nil
	}
	var params strings.Builder
	if utf8 {
		// RFC 6531 §3.4: only when the envelope needs it.
		if !c.has("SMTPUTF8") {
			return fmt.Errorf("%w: the envelope is not ASCII and needs SMTPUTF8", ErrNotSupported)
		}
		params.WriteString(" SMTPUTF8")
	}
	if env.RequireTLS {
		// RFC 8689 §4.1: only over TLS the client has verified.
		if !c.verifiedTLS() || !c.has("REQUIRETLS") {
			return fmt.Errorf("%w: REQUIRETLS needs verified TLS and the server's REQUIRETLS", ErrNotSupported)
		}
		params.WriteString(" REQUIRETLS")
	}
	if d := env.DSN; d != nil {
		if !c.has("DSN") {
			return fmt.Errorf("%w: DSN", ErrNotSupported)
		}
		var err error
		if tx.notify, err = dsnParams(d, &params); err != nil {
			return err
		}
		tx.orcpt = true
	}
	tx.params = params.String()
	return nil
}

// appendMail appends the MAIL command line, without CRLF.
func (tx *transaction) appendMail(b []byte) []byte {
	b = append(b, "MAIL FROM:<"...)
	b = append(b, tx.from...)
	b = append(b, '>')
	if tx.body8 {
		b = append(b, " BODY=8BITMIME"...)
	}
	if tx.sized {
		b = append(b, " SIZE="...)
		b = strconv.AppendInt(b, tx.size, 10)
	}
	return append(b, tx.params...)
}

// appendRcpt appends the RCPT command line for recipient i, without CRLF.
func (tx *transaction) appendRcpt(b []byte, i int) []byte {
	rcpt := tx.to[i]
	b = append(b, "RCPT TO:<"...)
	b = append(b, rcpt...)
	b = append(b, '>')
	b = append(b, tx.notify...)
	if tx.orcpt && isASCII(rcpt) {
		b = append(b, " ORCPT=rfc822;"...) // RFC 3461 §4.2
		b = append(b, xtext(rcpt)...)
	}
	return b
}

// dsnParams adds RET and ENVID (RFC 3461 §4.3, §4.4) to mail and returns
// the NOTIFY parameter (§4.1) for the RCPT lines.
func dsnParams(d *DSN, mail *strings.Builder) (notify string, err error) {
	switch ret := strings.ToUpper(d.Return); ret {
	case "":
	case "FULL", "HDRS":
		mail.WriteString(" RET=" + ret)
	default:
		return "", fmt.Errorf("%w: DSN return %q", ErrInvalidArgument, d.Return)
	}
	if d.EnvelopeID != "" {
		// RFC 3461 §4.4: at most 100 printable US-ASCII characters.
		if len(d.EnvelopeID) > 100 || strings.IndexFunc(d.EnvelopeID, func(r rune) bool { return r < ' ' || r > '~' }) >= 0 {
			return "", fmt.Errorf("%w: DSN envelope ID must be at most 100 printable ASCII characters", ErrInvalidArgument)
		}
		mail.WriteString(" ENVID=" + xtext(d.EnvelopeID))
	}
	if len(d.Notify) == 0 {
		return "", nil
	}
	values := make([]string, len(d.Notify))
	for i, n := range d.Notify {
		values[i] = strings.ToUpper(n)
		if !slices.Contains([]string{"NEVER", "SUCCESS", "FAILURE", "DELAY"}, values[i]) {
			return "", fmt.Errorf("%w: DSN notify %q", ErrInvalidArgument, n)
		}
	}
	if slices.Contains(values, "NEVER") && len(values) > 1 {
		return "", fmt.Errorf("%w: DSN notify NEVER excludes the others", ErrInvalidArgument)
	}
	return " NOTIFY=" + strings.Join(values, ","), nil
}

// xtext encodes s as RFC 3461 §4: printable ASCII but "+" and "=" as is,
// everything else as "+" and two upper-case hex digits.
func xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '!' && c <= '~' && c != '+' && c != '=' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "+%02X", c)
		}
	}
	return b.String()
}

func (c *Client) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}
