package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
)

// probeResult is what probe reports.
type probeResult struct {
	TLS        string            `json:"tls"`
	Extensions map[string]string `json:"extensions"`
	Auth       []string          `json:"auth"`
	Selection  []decision        `json:"selection"`
	Error      string            `json:"error,omitempty"`

	server string           // name the server is verified and known as
	report *registry.Report // for the text output
}

func (r *probeResult) setError(msg string) { r.Error = msg }

func (r *probeResult) writeText(w io.Writer) {
	if r.server == "" {
		return // nothing was learnt
	}
	fmt.Fprintf(w, "server: %s, TLS: %s\n", r.server, r.TLS)
	fmt.Fprintln(w, "extensions:")
	for _, kw := range slices.Sorted(maps.Keys(r.Extensions)) {
		fmt.Fprintln(w, strings.TrimRight("  "+kw+" "+r.Extensions[kw], " "))
	}
	fmt.Fprintf(w, "auth: %s\n", strings.Join(r.Auth, " "))
	if r.report != nil {
		fmt.Fprintln(w, "selection:")
		writeReport(w, r.report, true)
	}
}

// probe connects, secures the connection, and reports what the server
// offers and what the registry would do with the credentials given,
// without authenticating or sending anything.
func probe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags("probe", args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	res := &probeResult{Extensions: map[string]string{}, Auth: []string{}, Selection: []decision{}}
	if err == nil {
		err = o.probe(ctx, res, stderr)
	}
	return finish("probe", o, res, err, stdout, stderr)
}

func (o *options) probe(ctx context.Context, res *probeResult, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	c, creds, err := o.connect(ctx, stderr)
	if err != nil {
		return err
	}
	defer c.Close()

	info := c.ServerInfo()
	res.server = info.Name
	if info.TLS {
		res.server += " (certificate verified)"
	}
	res.TLS = tlsVersion(c)
	res.Extensions = c.Extensions()
	if info.Auth != nil {
		res.Auth = info.Auth
	}
	res.report = o.registry().Select(creds, info, c.ConnState())
	res.Selection = selection(res.report)
	c.Quit()
	if o.hasCredentials() && res.report.Chosen() == "" {
		return fmt.Errorf("%w for these credentials on this connection (see the selection)", registry.ErrNoMechanism)
	}
	return nil
}
