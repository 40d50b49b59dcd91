package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/client"
)

// sendResult is what send reports.
type sendResult struct {
	Mechanism string     `json:"mechanism"`
	TLS       string     `json:"tls"`
	Accepted  []string   `json:"accepted"`
	Rejected  []rejected `json:"rejected"`
	Selection []decision `json:"selection"`
	Error     string     `json:"error,omitempty"`

	response string           // the server's reply to the message
	report   *registry.Report // for the text output
}

// rejected is a recipient the server refused.
type rejected struct {
	Rcpt    string `json:"rcpt"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (r *sendResult) setError(msg string) { r.Error = msg }

func (r *sendResult) writeText(w io.Writer) {
	if r.TLS != "" {
		fmt.Fprintf(w, "TLS: %s\n", r.TLS)
	}
	if r.report != nil {
		fmt.Fprintln(w, "selection among the mechanisms the server offers:")
		writeReport(w, r.report, false)
	}
	if r.Mechanism != "" {
		fmt.Fprintf(w, "authenticated with %s\n", r.Mechanism)
	}
	for _, a := range r.Accepted {
		fmt.Fprintf(w, "accepted: %s\n", a)
	}
	for _, rj := range r.Rejected {
		fmt.Fprintf(w, "rejected: %s: %d %s\n", rj.Rcpt, rj.Code, rj.Message)
	}
	if r.response != "" {
		fmt.Fprintf(w, "server: %s\n", r.response)
	}
}

// send delivers the message on stdin to the server, authenticating first
// if credentials are given.
func send(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags("send", args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	res := &sendResult{Accepted: []string{}, Rejected: []rejected{}, Selection: []decision{}}
	if err == nil {
		err = o.send(ctx, stdin, res, stderr)
	}
	return finish("send", o, res, err, stdout, stderr)
}

func (o *options) send(ctx context.Context, stdin io.Reader, res *sendResult, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	c, creds, err := o.connect(ctx, stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	res.TLS = tlsVersion(c)

	if o.hasCredentials() {
		sel := o.registry().Auth(creds)
		err := c.Auth(sel) // closes the connection if it fails
		if res.report = sel.Report(); res.report != nil {
			res.Selection = selection(res.report)
			res.Mechanism = res.report.Chosen()
		}
		if err != nil {
			res.Mechanism = ""
			return fmt.Errorf("authentication: %w", err)
		}
	}

	// The body is streamed: its size is unknown, and the client announces
	// none with SIZE rather than read it all first.
	if isTerminal(stdin) {
		fmt.Fprintln(stderr, "smtpauth send: reading the message from the terminal; end it with Ctrl-D")
	}
	body := newProgress(stdin, stderr)
	r, err := c.Send(ctx, &client.Envelope{From: o.from, To: o.to}, body)
	body.finish()
	if r != nil {
		res.response = r.Response
		res.Accepted = append(res.Accepted, r.Accepted...)
		for _, rr := range r.Refused {
			rj := rejected{Rcpt: rr.Addr}
			if rr.Err != nil {
				rj.Code, rj.Message = rr.Err.Code, rr.Err.Msg
			}
			res.Rejected = append(res.Rejected, rj)
		}
	}
	if err != nil {
		return err
	}
	c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// progressStep is how often, in bytes read from stdin, the progress line
// is updated; a message shorter than that shows none.
const progressStep = 1 << 20

// progress counts the bytes of the message as the client reads them and,
// when stderr is a terminal, shows the count.
type progress struct {
	r    io.Reader
	w    io.Writer // nil: silent
	n    int64
	next int64
}

func newProgress(r io.Reader, stderr io.Writer) *progress {
	p := &progress{r: r, next: progressStep}
	if isTerminal(stderr) {
		p.w = stderr
	}
	return p
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.w != nil && p.n >= p.next {
		fmt.Fprintf(p.w, "\rsmtpauth: sending, %s of message read", mebibytes(p.n))
		p.next = (p.n/progressStep + 1) * progressStep
	}
	return n, err
}

// finish ends the progress line, if one was shown.
func (p *progress) finish() {
	if p.w != nil && p.n >= progressStep {
		fmt.Fprintf(p.w, "\rsmtpauth: %s of message read\n", mebibytes(p.n))
	}
}

func mebibytes(n int64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
