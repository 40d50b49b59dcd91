package client

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/plain"
)

// Auth is implemented by an SMTP authentication mechanism. It is net/smtp's
// Auth type itself, so mechanisms move freely between the two packages.
type Auth = auth.Auth

// ServerInfo records information about an SMTP server. It is net/smtp's
// ServerInfo type itself.
type ServerInfo = auth.ServerInfo

// maxAuthRounds bounds the challenges of one AUTH exchange. The longest
// mechanism in use (SCRAM) needs three; a server that keeps challenging is
// trying to keep the client busy.
const maxAuthRounds = 16

// PlainAuth returns an Auth that implements the PLAIN authentication
// mechanism as defined in RFC 4616.
// The returned Auth uses the given username and password to authenticate
// to host and act as identity. Usually identity should be the empty string,
// to act as username.
//
// PlainAuth will only send the credentials if the connection is using TLS
// with a certificate verified for host, or is connected to localhost.
// Otherwise authentication will fail with an error, without sending the
// credentials.
func PlainAuth(identity, username, password, host string) Auth {
	return plain.New(identity, username, password, host)
}

// CRAMMD5Auth returns an Auth that implements the CRAM-MD5 authentication
// mechanism as defined in RFC 2195.
// The returned Auth uses the given username and secret to authenticate
// to the server using the challenge-response mechanism.
func CRAMMD5Auth(username, secret string) Auth {
	return crammd5.New(username, secret)
}

// Auth authenticates a client using the provided authentication mechanism.
// A failed authentication closes the connection.
// Only servers that advertise the AUTH extension support this function.
//
// The exchange follows RFC 4954 §4: the client answers "*" to cancel only
// while the server waits for an answer to a 334 challenge, never after a
// final reply; challenges must be strict base64 on one line; at most 16
// challenges are answered.
//
// Two optional interfaces extend the seed's contract: an [auth.ConnStateAuth]
// receives the TLS state and the server's address before each Start, and an
// [auth.Retrier] may, after the server refuses an exchange, ask for another
// one on the same connection (a refreshed token, the next mechanism).
func (c *Client) Auth(a Auth) error {
	if err := c.hello(); err != nil {
		return err
	}
	if c.authed {
		return ErrAlreadyAuthenticated
	}
	retrier, _ := a.(auth.Retrier)
	for {
		refusal, err := c.authenticate(a)
		if refusal == nil {
			return err
		}
		if retrier == nil || !retrier.Retry(refusal) {
			c.Quit()
			return refusal
		}
	}
}

// authenticate runs one exchange. A failure reply from the server comes
// back as refusal with the connection still open; after any other error
// the connection is closed.
func (c *Client) authenticate(a Auth) (refusal *Error, err error) {
	if ca, ok := a.(auth.ConnStateAuth); ok {
		ca.SetConnState(c.ConnState())
	}
	mech, resp, err := a.Start(c.serverInfo())
	if err != nil {
		c.Quit()
		return nil, err
	}
	if mech == "" {
		return nil, nil // the Auth contract: the mechanism chose to skip
	}
	if _, ok := auth.CanonicalMechanism(mech); !ok {
		c.Quit()
		return nil, fmt.Errorf("%w: mechanism name %q", ErrInvalidArgument, mech)
	}
	c.redact = !c.InsecureLogSecrets
	defer func() { c.redact = false }()

	// RFC 4954 §4: an empty initial response would be sent as "=", but
	// net/smtp sends none, and existing mechanisms return []byte{} meaning
	// "no initial response"; both are taken to mean that.
	line := "AUTH " + mech
	if len(resp) > 0 {
		line += " " + base64.StdEncoding.EncodeToString(resp)
	}
	r, err := c.authRoundTrip(line)
	for rounds := 0; err == nil; rounds++ {
		switch r.code {
		case 334:
			var challenge []byte
			challenge, err = decodeChallenge(r, rounds)
			if err == nil {
				resp, err = a.Next(challenge, true)
			}
			if err != nil {
				return nil, c.cancelAuth(err)
			}
			r, err = c.authRoundTrip(base64.StdEncoding.EncodeToString(resp))
		case 235:
			// The text of a 235 is not base64 (RFC 4954 §6); the mechanism
			// sees it as it is and may still refuse the outcome.
			if _, err := a.Next([]byte(r.text()), false); err != nil {
				c.Quit()
				return nil, err
			}
			c.authed = true
			return nil, nil
		default:
			return newError(r.code, r.text()), nil
		}
	}
	return nil, err // the connection failed and is closed
}

// ServerInfo returns what a mechanism would be told about the server now:
// its name, whether the connection is TLS verified for that name, and the
// advertised mechanisms. It sends EHLO first if nothing was sent yet.
func (c *Client) ServerInfo() *ServerInfo {
	c.hello()
	return c.serverInfo()
}

// ConnState returns what an auth.ConnStateAuth would be told: the TLS
// state and the server's socket address.
func (c *Client) ConnState() auth.ConnState {
	cs := auth.ConnState{RemoteAddr: c.conn.RemoteAddr(), Logger: c.Logger}
	if st, ok := c.TLSConnectionState(); ok {
		cs.TLS = &st
	}
	return cs
}

func (c *Client) serverInfo() *ServerInfo {
	return &ServerInfo{Name: c.serverName, TLS: c.verifiedTLS(), Auth: slices.Clone(c.auth)}
}

func (c *Client) authRoundTrip(line string) (*reply, error) {
	timeout := c.Timeouts.withDefaults().Command
	if err := c.writeLine(timeout, line, c.redacted(line)); err != nil {
		return nil, err
	}
	return c.read(timeout)
}

// decodeChallenge returns the payload of a 334 reply: one line of strict
// base64 (RFC 4954 §4), within the round limit.
func decodeChallenge(r *reply, rounds int) ([]byte, error) {
	if rounds >= maxAuthRounds {
		return nil, fmt.Errorf("%w: more than %d authentication challenges", ErrProtocol, maxAuthRounds)
	}
	if r.n != 1 {
		return nil, fmt.Errorf("%w: multi-line 334 challenge", ErrProtocol)
	}
	enc := base64.StdEncoding.Strict()
	src := r.firstLine()
	b := make([]byte, enc.DecodedLen(len(src)))
	n, err := enc.Decode(b, src)
	if err != nil {
		return nil, fmt.Errorf("%w: challenge is not base64: %w", ErrProtocol, err)
	}
	return b[:n], nil
}

// cancelAuth answers the pending 334 with "*" (RFC 4954 §4), reads the
// server's 501, then quits as net/smtp does after a failed exchange.
func (c *Client) cancelAuth(cause error) error {
	if _, err := c.authRoundTrip("*"); err == nil {
		c.Quit()
	}
	return cause
}
