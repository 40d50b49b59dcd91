package scripttest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// recorder keeps the errors a Server reports instead of failing the test,
// so that the server's own strictness can be tested.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// talk sends lines to s and reads what comes back until the server closes.
func talk(t *testing.T, conn net.Conn, lines ...string) string {
	t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(conn, l); err != nil {
			t.Fatal(err)
		}
	}
	conn.(*net.TCPConn).CloseWrite()
	b, _ := io.ReadAll(conn)
	conn.Close()
	return string(b)
}

func TestConversation(t *testing.T) {
	s := New(t, "S: 220 hi\nC: EHLO x\nS: 250-a\nS: 250 b\nS! 2")
	got := talk(t, s.Dial(t), "EHLO x\r\n")
	if got != "220 hi\r\n250-a\r\n250 b\r\n2" {
		t.Errorf("server sent %q", got)
	}
	s.Check(t)
	if w := s.Wire(); w != "EHLO x\r\n" {
		t.Errorf("Wire = %q", w)
	}
	if !s.Accepted() {
		t.Error("Accepted = false")
	}
}

func TestStrictness(t *testing.T) {
	for name, tc := range map[string]struct {
		script string
		send   []string
		want   string
	}{
		"wrong line":          {"C: EHLO x", []string{"EHLO y\r\n"}, `client sent "EHLO y\r\n"`},
		"bare LF":             {"C: EHLO x", []string{"EHLO x\n"}, `client sent "EHLO x\n"`},
		"missing line":        {"C: EHLO x\nC: QUIT", []string{"EHLO x\r\n"}, `want "QUIT\r\n"`},
		"beyond the script":   {"C: EHLO x", []string{"EHLO x\r\nQUIT\r\n"}, `"QUIT\r\n" after the script ended`},
		"failing step":        {"STEP", []string{"x\r\n"}, "STEP"},
		"handshake completed": {"TLSFAIL", nil, "completed a TLS handshake"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &recorder{TB: t}
			fail := func(c *Conn) error { return c.Expect("y") }
			var steps []Step
			if strings.Contains(tc.script, "STEP") {
				steps = append(steps, fail)
			}
			s := New(r, tc.script, steps...)
			conn := s.Dial(t)
			if tc.script == "TLSFAIL" {
				tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				tc.Close()
			} else {
				talk(t, conn, tc.send...)
			}
			s.Check(r)
			if len(r.errs) == 0 || !strings.Contains(strings.Join(r.errs, "\n"), tc.want) {
				t.Errorf("errors %q, want one containing %q", r.errs, tc.want)
			}
		})
	}
}

func TestTLSAndSteps(t *testing.T) {
	echo := func(c *Conn) error {
		line, err := c.ReadLine()
		if err != nil {
			return err
		}
		return c.WriteLine("echo " + strings.TrimSpace(line))
	}
	s := New(t, "S: 220 go\nTLS\nSTEP\nDISCARD", echo)
	conn := s.Dial(t)
	br := bufio.NewReader(conn)
	if l, _ := br.ReadString('\n'); l != "220 go\r\n" {
		t.Fatalf("got %q", l)
	}
	tc := tls.Client(conn, TrustingConfig())
	fmt.Fprintf(tc, "hello\r\n")
	if l, _ := bufio.NewReader(tc).ReadString('\n'); l != "echo hello\r\n" {
		t.Errorf("got %q", l)
	}
	fmt.Fprintf(tc, "anything\r\n")
	tc.Close()
	s.Check(t)
	if w := s.Wire(); w != "hello\r\nanything\r\n" {
		t.Errorf("Wire = %q", w)
	}
}

func TestNoConnection(t *testing.T) {
	s := New(t, "C: EHLO x")
	s.Close()
	s.Check(t)
	if s.Accepted() || s.Wire() != "" {
		t.Error("a connection was recorded")
	}
}
