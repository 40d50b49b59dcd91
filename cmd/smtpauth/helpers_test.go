package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
	"github.com/smtpauth/smtpauth/smtptest"
)

const (
	testUser     = "user@example.com"
	testPassword = "password" // smtptest's default
	passwordVar  = "SMTPAUTH_TEST_PASSWORD"
)

// runCmd runs the command line with stdin and returns the exit status and
// what it wrote.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// startServer starts an smtptest server, configured by configure if not
// nil, and returns it with the flags that trust it: --ca with its
// certificate in a PEM file and --server-name.
func startServer(t *testing.T, implicitTLS bool, configure func(*smtptest.Server)) (*smtptest.Server, []string) {
	t.Helper()
	srv := smtptest.NewUnstartedServer()
	if configure != nil {
		configure(srv)
	}
	if implicitTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, []string{"--ca", ca, "--server-name", srv.ServerName}
}

// passwordFlags sets the password variable and returns the flags that use it.
func passwordFlags(t *testing.T, password string) []string {
	t.Setenv(passwordVar, password)
	return []string{"--user", testUser, "--password-env", passwordVar}
}

// strongest is the mechanism registry.Default picks among mechs on a
// verified TLS connection to loopback.
func strongest(t *testing.T, mechs []string) string {
	t.Helper()
	r := registry.Default.Select(
		registry.Credentials{Username: testUser, Password: testPassword},
		&auth.ServerInfo{Name: "mail.smtpauth.test", TLS: true, Auth: mechs},
		auth.ConnState{TLS: &tls.ConnectionState{}, RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}},
	)
	if r.Chosen() == "" {
		t.Fatalf("registry.Default chooses nothing among %q:\n%s", mechs, r)
	}
	return r.Chosen()
}

// decodeJSON checks that out is exactly one JSON object with exactly the
// keys given, and decodes it into v.
func decodeJSON(t *testing.T, out string, v any, keys ...string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value:\n%s", out)
	}
	var got []string
	for k := range raw {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("JSON keys = %q, want %q\n%s", got, keys, out)
	}
	strict := json.NewDecoder(strings.NewReader(out))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, out)
	}
}

// Types for decoding --json output strictly.
type (
	jsonDecision struct {
		Name     string `json:"name"`
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	jsonProbe struct {
		TLS        string            `json:"tls"`
		Extensions map[string]string `json:"extensions"`
		Auth       []string          `json:"auth"`
		Selection  []jsonDecision    `json:"selection"`
		Error      string            `json:"error"`
	}
	jsonRejected struct {
		Rcpt    string `json:"rcpt"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	jsonSend struct {
		Mechanism string         `json:"mechanism"`
		TLS       string         `json:"tls"`
		Accepted  []string       `json:"accepted"`
		Rejected  []jsonRejected `json:"rejected"`
		Selection []jsonDecision `json:"selection"`
		Error     string         `json:"error"`
	}
)

// findDecision returns the selection's line for name.
func findDecision(t *testing.T, sel []jsonDecision, name string) jsonDecision {
	t.Helper()
	for _, d := range sel {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("selection has no line for %s: %+v", name, sel)
	return jsonDecision{}
}

// fakeServer is a minimal SMTP server on loopback for what smtptest will
// not do: it greets, answers EHLO with ehlo (keyword lines, without
// "250-"), QUIT with 221, and everything else with 502. A silent fake
// greets and then never answers. It records the lines it receives.
type fakeServer struct {
	Addr   string
	ln     net.Listener
	ehlo   []string
	silent bool

	mu    sync.Mutex
	lines []string
	wg    sync.WaitGroup
}

func startFake(t *testing.T, silent bool, ehlo ...string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{Addr: ln.Addr().String(), ln: ln, ehlo: ehlo, silent: silent}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) serve() {
	defer f.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			f.handle(c)
		}()
	}
}

func (f *fakeServer) handle(c net.Conn) {
	defer c.Close()
	io.WriteString(c, "220 fake.smtpauth.test ESMTP\r\n")
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.lines = append(f.lines, line)
		f.mu.Unlock()
		if f.silent {
			continue
		}
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch verb {
		case "EHLO":
			reply := "250-fake.smtpauth.test\r\n"
			for i, kw := range f.ehlo {
				sep := "-"
				if i == len(f.ehlo)-1 {
					sep = " "
				}
				reply += "250" + sep + kw + "\r\n"
			}
			if len(f.ehlo) == 0 {
				reply = "250 fake.smtpauth.test\r\n"
			}
			io.WriteString(c, reply)
		case "QUIT":
			io.WriteString(c, "221 bye\r\n")
			return
		default:
			io.WriteString(c, "502 5.5.1 not here\r\n")
		}
	}
}

// received returns the lines the fake received.
func (f *fakeServer) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lines)
}

// decodeLoose checks that out is one JSON object and decodes the fields v
// names.
func decodeLoose(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value:\n%s", out)
	}
}

// sentCommand reports whether an smtptest transcript shows the client
// sending verb: client lines are those not starting with a reply code.
func sentCommand(transcript, verb string) bool {
	for line := range strings.Lines(transcript) {
		if strings.HasPrefix(strings.ToUpper(line), verb+" ") {
			return true
		}
	}
	return false
}
