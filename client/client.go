// Package client is an SMTP client (RFC 5321) that can replace the standard
// library's net/smtp by changing one import line:
//
//	import smtp "github.com/smtpauth/smtpauth/client"
//
// It implements net/smtp's API with its semantics, and fixes on purpose the
// places where net/smtp is unsafe: every wait is bounded by a timeout, a
// context or a deadline; replies are bounded in size; arguments that could
// inject commands or parameters are refused before anything is written;
// STARTTLS response injection is detected; ServerInfo.TLS is true only when
// the server's certificate was verified for its name; and message data is
// always sent with canonical CRLF line endings. docs/migrating-from-net-smtp.md
// lists every difference.
//
// Beyond net/smtp it offers [DialContext], implicit TLS ([DialTLS], RFC
// 8314), [Dialer], [Timeouts], [Error] with RFC 3463 enhanced status codes,
// a structured trace on log/slog with authentication payloads redacted, and
// fast sending on an open connection: [Client.Send] pipelines a whole
// transaction with BDAT in one round trip (RFC 2920, RFC 3030) and reports
// every recipient, and [Client.SendBatch] keeps many messages in flight.
//
// Mechanisms are chosen at run time by package auth/registry, whose
// Selector is an Auth like any other.
package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrInvalidArgument wraps every argument the client refuses to send:
	// control characters, angle brackets, or non-ASCII text the server
	// cannot take. Nothing was written to the connection.
	ErrInvalidArgument = errors.New("smtp: invalid argument")

	// ErrProtocol wraps a server's violation of the SMTP protocol:
	// malformed or oversized replies, or bytes injected before TLS. The
	// connection is closed.
	ErrProtocol = errors.New("smtp: protocol violation")

	// ErrTimeout wraps a wait that ended at its timeout or deadline. The
	// connection is closed: its state is unknown.
	ErrTimeout = errors.New("smtp: timeout")

	// ErrAlreadyAuthenticated reports a second Auth on a connection that
	// has authenticated: RFC 4954 §4 forbids it, and a connection must
	// never carry two identities. Nothing was written.
	ErrAlreadyAuthenticated = errors.New("smtp: already authenticated")
)

// A Client represents a client connection to an SMTP server.
//
// A Client is not safe for concurrent use, except that a context given to
// [DialContext] or [SendMailContext] may be cancelled from any goroutine.
type Client struct {
	// Text is the textproto.Conn used by the Client. It is exported to allow
	// for clients to add extensions; replies read through it bypass the
	// Client's size limits and timeouts.
	Text *textproto.Conn

	// Timeouts bounds each wait for the server. Zero fields take the RFC
	// 5321 §4.5.3.2 defaults.
	Timeouts Timeouts

	// Logger, if not nil, receives a Debug event for every line sent and
	// received, and one for every mechanism a registry considered.
	// Authentication payloads, both ways, are replaced by "[redacted]".
	Logger *slog.Logger

	// InsecureLogSecrets puts authentication payloads in the Logger's
	// events as they are on the wire. They are base64, not encrypted: with
	// PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER they are the password or the
	// token. For debugging a mechanism against a test server only.
	InsecureLogSecrets bool

	conn       net.Conn
	tlsConfig  *tls.Config // config of a handshake this client made
	serverName string
	localName  string
	didHello   bool
	helloError error
	ext        map[string]string // EHLO keywords, upper case
	auth       []string          // advertised mechanisms, upper case
	redact     bool              // inside an AUTH exchange
	authed     bool              // an AUTH exchange succeeded
	broken     error             // set when the stream is out of step
	chunk      chunker           // reused across messages: fewer allocations
	rep        reply             // reused by every read
	line       []byte            // reused to build command lines

	// mu guards broken (when streamChunks reads replies on a second
	// goroutine) and the fields below (against context.AfterFunc).
	mu       sync.Mutex
	deadline time.Time // from SetDeadline
	ctx      context.Context
}

// Dial returns a new Client connected to an SMTP server at addr.
// The addr must include a port, as in "mail.example.com:smtp".
func Dial(addr string) (*Client, error) {
	return DialContext(context.Background(), addr)
}

// NewClient returns a new Client using an existing connection and host as a
// server name to be used when authenticating. It waits for the server's
// greeting at most Timeouts.Greeting.
func NewClient(conn net.Conn, host string) (*Client, error) {
	return newClient(context.Background(), conn, host, nil, Timeouts{}, nil)
}

func newClient(ctx context.Context, conn net.Conn, host string, config *tls.Config, t Timeouts, logger *slog.Logger) (*Client, error) {
	c := &Client{
		Text:       newText(conn),
		Timeouts:   t,
		Logger:     logger,
		conn:       conn,
		tlsConfig:  config,
		serverName: host,
		localName:  "localhost",
	}
	defer c.bind(ctx)()
	r, err := c.read(c.Timeouts.withDefaults().Greeting)
	if err == nil {
		err = r.check(220)
	}
	if err != nil {
		c.conn.Close()
		return nil, err
	}
	return c, nil
}

// newText wraps conn with a reader whose buffer is the reply line limit, so
// that an endless line is detected without growing memory.
func newText(conn net.Conn) *textproto.Conn {
	text := textproto.NewConn(conn)
	text.Reader.R = bufio.NewReaderSize(conn, maxLineLength)
	return text
}

// Close closes the connection.
func (c *Client) Close() error {
	if c.broken != nil {
		return nil // already closed when it broke
	}
	c.broken = net.ErrClosed
	return c.Text.Close()
}

// SetDeadline sets an absolute time after which every wait for the server
// fails with ErrTimeout, in addition to the per-command Timeouts. The zero
// time removes it.
func (c *Client) SetDeadline(t time.Time) {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
}

// bind makes ctx interrupt any I/O until the returned function is called.
func (c *Client) bind(ctx context.Context) (unbind func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.conn.SetDeadline(time.Unix(1, 0)) // wakes a blocked read or write
	})
	return func() {
		stop()
		c.mu.Lock()
		c.ctx = nil
		c.mu.Unlock()
	}
}

// arm sets the connection deadline for the next wait: timeout from now,
// or earlier if SetDeadline or a bound context says so.
func (c *Client) arm(timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	d := time.Now().Add(timeout)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d = c.deadline
	}
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return c.failLocked(err)
		}
		if cd, ok := c.ctx.Deadline(); ok && cd.Before(d) {
			d = cd
		}
	}
	return c.conn.SetDeadline(d)
}

// fail closes the connection after an error that leaves the stream out of
// step and returns the error to report, now and on every later call.
func (c *Client) fail(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failLocked(err)
}

func (c *Client) failLocked(err error) error {
	if c.broken != nil {
		return c.broken
	}
	switch {
	case c.ctx != nil && c.ctx.Err() != nil:
		err = fmt.Errorf("smtp: %w", c.ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.Is(err, ErrProtocol) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
	default:
		err = fmt.Errorf("smtp: %w", err)
	}
	c.broken = err
	c.conn.Close()
	return err
}

// writeLine sends one command line; logAs is what the trace shows of it.
func (c *Client) writeLine(timeout time.Duration, line, logAs string) error {
	if err := c.arm(timeout); err != nil {
		return err
	}
	c.trace("send", logAs)
	w := c.Text.W
	w.WriteString(line)
	w.WriteString("\r\n")
	if err := w.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}

// roundTrip sends a command and reads its reply, whatever the code.
func (c *Client) roundTrip(timeout time.Duration, line string) (*reply, error) {
	if err := c.writeLine(timeout, line, line); err != nil {
		return nil, err
	}
	return c.read(timeout)
}

// read reads one reply, waiting at most timeout. The reply is valid until
// the next read.
func (c *Client) read(timeout time.Duration) (*reply, error) {
	if err := c.arm(timeout); err != nil {
		return nil, err
	}
	if err := readReplyInto(c.Text.R, &c.rep); err != nil {
		return nil, c.fail(err)
	}
	c.traceReply(&c.rep)
	return &c.rep, nil
}

// cmd sends a command and reads its reply, which must match expectCode.
func (c *Client) cmd(expectCode int, line string) (*reply, error) {
	r, err := c.roundTrip(c.Timeouts.withDefaults().Command, line)
	if err != nil {
		return nil, err
	}
	return r, r.check(expectCode)
}

// Hello sends a HELO or EHLO to the server as the given host name.
// Calling this method is only necessary if the client needs control
// over the host name used. The client will introduce itself as "localhost"
// automatically otherwise. If Hello is called, it must be called before
// any of the other methods.
func (c *Client) Hello(localName string) error {
	if err := validateDomain(localName); err != nil {
		return err
	}
	if c.didHello {
		return errors.New("smtp: Hello called after other methods")
	}
	c.localName = localName
	return c.hello()
}

// hello runs EHLO once, falling back to HELO only when the server refused
// EHLO with a reply: after an I/O error there is nothing to fall back on.
func (c *Client) hello() error {
	if !c.didHello {
		c.didHello = true
		err := c.ehlo()
		var serr *Error
		if errors.As(err, &serr) && serr.Code/100 == 5 {
			err = c.helo()
		}
		c.helloError = err
	}
	return c.helloError
}

func (c *Client) ehlo() error {
	r, err := c.cmd(250, "EHLO "+c.localName)
	if err != nil {
		return err
	}
	c.ext, c.auth = parseEHLO(r.lines()[1:])
	return nil
}

func (c *Client) helo() error {
	c.ext, c.auth = nil, nil
	_, err := c.cmd(250, "HELO "+c.localName)
	return err
}

// Extension reports whether an extension is support by the server.
// The extension name is case-insensitive. If the extension is supported,
// Extension also returns a string that contains any parameters the
// server specifies for the extension. For AUTH, the parameters are every
// mechanism the server listed, upper case, each once.
func (c *Client) Extension(ext string) (bool, string) {
	if err := c.hello(); err != nil {
		return false, ""
	}
	param, ok := c.ext[strings.ToUpper(ext)]
	return ok, param
}

// Extensions returns a copy of the server's EHLO extensions: keywords upper
// case, each with its parameters, AUTH with the merged mechanism list. It is
// empty after HELO, and reflects only the EHLO sent under TLS after StartTLS.
func (c *Client) Extensions() map[string]string {
	if err := c.hello(); err != nil {
		return map[string]string{}
	}
	return maps.Clone(c.ext)
}

// Mail issues a MAIL command to the server using the provided email address.
// If the server supports the 8BITMIME extension, Mail adds the BODY=8BITMIME
// parameter. If the server supports the SMTPUTF8 extension, Mail adds the
// SMTPUTF8 parameter. This initiates a mail transaction and is followed by
// one or more Rcpt calls.
func (c *Client) Mail(from string) error {
	if err := validateAddress(from, true); err != nil {
		return err
	}
	if err := c.hello(); err != nil {
		return err
	}
	if err := c.checkUTF8(from); err != nil {
		return err
	}
	line := "MAIL FROM:<" + from + ">"
	if _, ok := c.ext["8BITMIME"]; ok {
		line += " BODY=8BITMIME"
	}
	if _, ok := c.ext["SMTPUTF8"]; ok {
		line += " SMTPUTF8"
	}
	_, err := c.cmd(250, line)
	return err
}

// Rcpt issues a RCPT command to the server using the provided email address.
// A call to Rcpt must be preceded by a call to Mail and may be followed by
// a Data call or another Rcpt call.
func (c *Client) Rcpt(to string) error {
	if err := validateAddress(to, false); err != nil {
		return err
	}
	if err := c.checkUTF8(to); err != nil {
		return err
	}
	_, err := c.cmd(25, "RCPT TO:<"+to+">")
	return err
}

// checkUTF8 refuses a non-ASCII address unless the server takes SMTPUTF8
// (RFC 6531 §3.2), which Mail then requests.
func (c *Client) checkUTF8(addr string) error {
	if _, ok := c.ext["SMTPUTF8"]; ok || isASCII(addr) {
		return nil
	}
	return fmt.Errorf("%w: %q is not ASCII and needs SMTPUTF8", ErrNotSupported, addr)
}

// Verify checks the validity of an email address on the server.
// If Verify returns nil, the address is valid. A non-nil return
// does not necessarily indicate an invalid address. Many servers
// will not verify addresses for security reasons.
func (c *Client) Verify(addr string) error {
	if err := validateAddress(addr, false); err != nil {
		return err
	}
	if err := c.hello(); err != nil {
		return err
	}
	_, err := c.cmd(250, "VRFY "+addr)
	return err
}

// Reset sends the RSET command to the server, aborting the current mail
// transaction.
func (c *Client) Reset() error {
	if err := c.hello(); err != nil {
		return err
	}
	_, err := c.cmd(250, "RSET")
	return err
}

// Noop sends the NOOP command to the server. It does nothing but check
// that the connection to the server is okay.
func (c *Client) Noop() error {
	if err := c.hello(); err != nil {
		return err
	}
	_, err := c.cmd(250, "NOOP")
	return err
}

// Quit sends the QUIT command and closes the connection to the server.
// Unlike net/smtp, it closes the connection even when QUIT fails.
func (c *Client) Quit() error {
	if err := c.hello(); err != nil {
		c.Close()
		return err
	}
	_, err := c.cmd(221, "QUIT")
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}
