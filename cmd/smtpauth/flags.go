package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth/registry"
)

// The values of --tls.
const (
	tlsStartTLS = "starttls"
	tlsImplicit = "implicit"
	tlsNone     = "none"
)

// options are the flags shared by probe and send, and the server address.
type options struct {
	tlsMode    string
	caFile     string
	serverName string

	user         string
	passwordEnv  string
	passwordFile string
	tokenEnv     string
	tokenFile    string
	certFile     string
	keyFile      string
	mechs        []string // nil for --mech auto

	from string
	to   []string

	timeout time.Duration
	trace   bool
	json    bool

	addr string
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// parseFlags parses the command line of cmd, "probe" or "send"; only send
// takes --from and --to. It returns flag.ErrHelp for -h and --help.
func parseFlags(cmd string, args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("smtpauth "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, usage on request
	fs.StringVar(&o.tlsMode, "tls", tlsStartTLS, "")
	fs.StringVar(&o.caFile, "ca", "", "")
	fs.StringVar(&o.serverName, "server-name", "", "")
	fs.StringVar(&o.user, "user", "", "")
	fs.StringVar(&o.passwordEnv, "password-env", "", "")
	fs.StringVar(&o.passwordFile, "password-file", "", "")
	fs.StringVar(&o.tokenEnv, "token-env", "", "")
	fs.StringVar(&o.tokenFile, "token-file", "", "")
	fs.StringVar(&o.certFile, "cert", "", "")
	fs.StringVar(&o.keyFile, "key", "", "")
	mech := fs.String("mech", "auto", "")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "")
	fs.BoolVar(&o.trace, "trace", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	var to stringList
	if cmd == "send" {
		fs.StringVar(&o.from, "from", "", "")
		fs.Var(&to, "to", "")
	}

	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return o, err
	}
	if err != nil {
		msg := err.Error()
		if strings.HasSuffix(msg, "not defined: -password") {
			msg += " (passwords are never accepted on the command line: use --password-env or --password-file)"
		}
		return o, &usageError{msg}
	}
	o.to = to
	if o.mechs, err = parseMech(*mech); err != nil {
		return o, err
	}
	switch {
	case len(positional) == 0:
		return o, usagef("missing HOST:PORT")
	case len(positional) > 1:
		return o, usagef("unexpected arguments after %s: %q", positional[0], positional[1:])
	}
	o.addr = positional[0]
	if host, port, err := net.SplitHostPort(o.addr); err != nil || host == "" || port == "" {
		return o, usagef("%q is not HOST:PORT", o.addr)
	}
	return o, o.check(cmd)
}

// parseInterspersed parses flags before and after the positional arguments,
// so that "send HOST:PORT --to x" works too; after "--" everything is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseMech returns nil for "auto", or the mechanisms named, which must be
// registered: a typo must not silently mean "no mechanism allowed".
func parseMech(s string) ([]string, error) {
	if strings.EqualFold(s, "auto") {
		return nil, nil
	}
	var known []string
	for _, m := range registry.Default.Mechanisms() {
		known = append(known, m.Name)
	}
	var names []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		if !slices.Contains(known, name) {
			return nil, usagef("--mech: unknown mechanism %q (known: auto, %s)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, nil
}

// check verifies the combinations of flags.
func (o *options) check(cmd string) error {
	switch o.tlsMode {
	case tlsStartTLS, tlsImplicit, tlsNone:
	default:
		return usagef("--tls must be starttls, implicit or none, not %q", o.tlsMode)
	}
	switch {
	case o.passwordEnv != "" && o.passwordFile != "":
		return usagef("--password-env and --password-file exclude each other")
	case o.tokenEnv != "" && o.tokenFile != "":
		return usagef("--token-env and --token-file exclude each other")
	case (o.passwordEnv != "" || o.passwordFile != "") && o.user == "":
		return usagef("a password needs --user")
	case o.keyFile != "" && o.certFile == "":
		return usagef("--key needs --cert")
	case o.user != "" && !o.hasCredentials():
		return usagef("--user needs --password-env, --password-file, --token-env, --token-file or --cert")
	case o.certFile != "" && o.tlsMode == tlsNone:
		return usagef("--cert needs TLS: a client certificate is presented in the TLS handshake")
	case o.timeout <= 0:
		return usagef("--timeout must be positive")
	}
	if cmd == "send" && (o.from == "" || len(o.to) == 0) {
		return usagef("send needs --from and at least one --to")
	}
	return nil
}

func (o *options) hasCredentials() bool {
	return o.passwordEnv != "" || o.passwordFile != "" || o.tokenEnv != "" || o.tokenFile != "" || o.certFile != ""
}

// tlsConfig trusts the system roots plus --ca, and presents --cert. The
// server name is left to the client: --server-name, or the host in addr.
func (o *options) tlsConfig() (*tls.Config, *tls.Certificate, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool() // no system roots here: --ca alone
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--ca: no PEM certificate in %s", o.caFile)
		}
		cfg.RootCAs = pool
	}
	if o.certFile == "" {
		return cfg, nil, nil
	}
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = o.certFile // one PEM file with both
	}
	cert, err := tls.LoadX509KeyPair(o.certFile, keyFile)
	if err != nil {
		// LoadX509KeyPair's errors name files and PEM types, never key bytes.
		return nil, nil, fmt.Errorf("--cert/--key: %w", err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, &cfg.Certificates[0], nil
}

// credentials reads the secrets the flags point to.
func (o *options) credentials(cert *tls.Certificate) (registry.Credentials, error) {
	creds := registry.Credentials{Username: o.user, Certificate: cert}
	var err error
	switch {
	case o.passwordEnv != "":
		creds.Password, err = fromEnv("--password-env", o.passwordEnv)
	case o.passwordFile != "":
		creds.Password, err = fromFile("--password-file", o.passwordFile)
	}
	if err != nil {
		return creds, err
	}
	var token string
	switch {
	case o.tokenEnv != "":
		token, err = fromEnv("--token-env", o.tokenEnv)
	case o.tokenFile != "":
		token, err = fromFile("--token-file", o.tokenFile)
	}
	if err != nil {
		return creds, err
	}
	if token != "" {
		creds.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
	}
	return creds, nil
}

func fromEnv(flagName, name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("%s: environment variable %s is unset or empty", flagName, name)
	}
	return v, nil
}

// fromFile returns the first line of the file, without its line ending.
func fromFile(flagName, name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s: the first line of %s is empty", flagName, name)
	}
	return line, nil
}

// registry is registry.Default for --mech auto, else a clone that allows
// only the named mechanisms, preferred in the order given.
func (o *options) registry() *registry.Registry {
	if o.mechs == nil {
		return registry.Default
	}
	r := registry.Default.Clone()
	p := r.Policy()
	p.Allow = o.mechs
	p.Prefer = o.mechs
	r.SetPolicy(p)
	return r
}
