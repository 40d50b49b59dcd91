package client

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// cannedConn is a net.Conn that reads canned server replies and records
// what the client writes. Deadlines are accepted and ignored.
type cannedConn struct {
	in  *strings.Reader
	out bytes.Buffer
}

func (c *cannedConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *cannedConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *cannedConn) Close() error                     { return nil }
func (c *cannedConn) LocalAddr() net.Addr              { return nil }
func (c *cannedConn) RemoteAddr() net.Addr             { return nil }
func (c *cannedConn) SetDeadline(time.Time) error      { return nil }
func (c *cannedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cannedConn) SetWriteDeadline(time.Time) error { return nil }

// cannedClient returns a Client, past its greeting, whose server sends
// replies.
func cannedClient(replies string) (*Client, *cannedConn) {
	conn := &cannedConn{in: strings.NewReader(replies)}
	return &Client{Text: newText(conn), conn: conn}, conn
}

// sendData runs a DATA command the server accepts, writes chunks with one
// Write call each, and returns the bytes sent after the "DATA" line.
func sendData(t testing.TB, chunks ...string) string {
	t.Helper()
	c, conn := cannedClient("354 Go ahead\r\n250 2.0.0 OK\r\n")
	w, err := c.Data()
	if err != nil {
		t.Fatalf("Data: %v", err)
	}
	for _, chunk := range chunks {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wire, ok := strings.CutPrefix(conn.out.String(), "DATA\r\n")
	if !ok {
		t.Fatalf("wire %q does not start with the DATA command", conn.out.String())
	}
	return wire
}

// normalize is the message a receiver should get for msg: every CRLF, bare
// CR and bare LF made CRLF, and a final CRLF added if missing.
func normalize(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; c {
		case '\r':
			b.WriteString("\r\n")
			if i+1 < len(msg) && msg[i+1] == '\n' {
				i++
			}
		case '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\r\n") {
		b.WriteString("\r\n")
	}
	return b.String()
}

// unstuff is what a receiver does with the data (RFC 5321 §4.5.2): it
// takes lines up to the first that holds only ".", dropping the leading "."
// of the others.
func unstuff(wire string) string {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(wire, "\r\n") {
		if line == ".\r\n" {
			break
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
	return b.String()
}

// dataWireError checks the bytes sent for msg after the DATA line: only
// CRLF line endings, one end-of-data mark at the very end, and unstuffed
// they give normalize(msg).
func dataWireError(msg, wire string) error {
	if !strings.HasSuffix(wire, ".\r\n") || len(wire) > 3 && !strings.HasSuffix(wire, "\r\n.\r\n") {
		return errors.New("does not end with CRLF . CRLF")
	}
	for i := 0; i < len(wire); i++ {
		switch {
		case wire[i] == '\r' && (i+1 == len(wire) || wire[i+1] != '\n'):
			return fmt.Errorf("bare CR at offset %d", i)
		case wire[i] == '\n' && (i == 0 || wire[i-1] != '\r'):
			return fmt.Errorf("bare LF at offset %d", i)
		}
	}
	// The CRLF that ends the DATA line counts: ".\r\n" first is the end.
	if i := strings.Index("\r\n"+wire, "\r\n.\r\n"); i != len(wire)-3 {
		return fmt.Errorf("end of data at offset %d, before the end", i)
	}
	if got, want := unstuff(wire), normalize(msg); got != want {
		return fmt.Errorf("receiver reads %q, want %q", got, want)
	}
	return nil
}

var dataTests = []struct{ in, want string }{
	{"", ".\r\n"},
	{"a", "a\r\n.\r\n"},
	{"a\r\n", "a\r\n.\r\n"},
	{"a\n", "a\r\n.\r\n"},
	{"a\r\nb", "a\r\nb\r\n.\r\n"},
	{".a\r\n", "..a\r\n.\r\n"},
	{".", "..\r\n.\r\n"},
	{"..", "...\r\n.\r\n"},
	{"a\r\n.\r\n", "a\r\n..\r\n.\r\n"},
	{"a\r\n..\r\n", "a\r\n...\r\n.\r\n"},
	{"a\n.b\n", "a\r\n..b\r\n.\r\n"},
	{"a.b\r\n .c", "a.b\r\n .c\r\n.\r\n"},
	{"a\rb", "a\r\nb\r\n.\r\n"},
	{"a\r\r\n", "a\r\n\r\n.\r\n"},
	{"a\r", "a\r\n.\r\n"},
	{"a\n\r", "a\r\n\r\n.\r\n"},
	{"\r", "\r\n.\r\n"},
	{"\n", "\r\n.\r\n"},
	{"\r\n", "\r\n.\r\n"},
	// "end of data" smuggling sequences
	{"\r\n.\r\n", "\r\n..\r\n.\r\n"},
	{"\n.\n", "\r\n..\r\n.\r\n"},
	{"\r.\r", "\r\n..\r\n.\r\n"},
	{"\n.\r\n", "\r\n..\r\n.\r\n"},
	{"\r\n.\n", "\r\n..\r\n.\r\n"},
	{"\r\n.\r", "\r\n..\r\n.\r\n"},
	{"a\n.\nMAIL FROM:<x@y>\n", "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"},
	{"Subject: hi\r\n\r\nbody", "Subject: hi\r\n\r\nbody\r\n.\r\n"},
}

func TestDataWriter(t *testing.T) {
	for _, tt := range dataTests {
		wire := sendData(t, tt.in)
		if wire != tt.want {
			t.Errorf("data %q sent as %q, want %q", tt.in, wire, tt.want)
		}
		if err := dataWireError(tt.in, wire); err != nil {
			t.Errorf("data %q sent as %q: %v", tt.in, wire, err)
		}
	}
}

// TestDataWriterSplitWrites checks that how the message is cut into Write
// calls does not matter, notably a CRLF cut between its CR and LF.
func TestDataWriterSplitWrites(t *testing.T) {
	for _, tt := range dataTests {
		for i := range len(tt.in) + 1 {
			if wire := sendData(t, tt.in[:i], tt.in[i:]); wire != tt.want {
				t.Errorf("data %q written as %q + %q sent as %q, want %q", tt.in, tt.in[:i], tt.in[i:], wire, tt.want)
			}
		}
		var bytewise []string
		for i := range len(tt.in) {
			bytewise = append(bytewise, "", tt.in[i:i+1])
		}
		if wire := sendData(t, bytewise...); wire != tt.want {
			t.Errorf("data %q written a byte at a time sent as %q, want %q", tt.in, wire, tt.want)
		}
	}
}

func TestDataWriterClosed(t *testing.T) {
	c, conn := cannedClient("354 Go ahead\r\n250 OK\r\n")
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	const want = "DATA\r\na\r\n.\r\n"
	if n, err := w.Write([]byte("b")); n != 0 || !errors.Is(err, errWriterClosed) {
		t.Errorf("Write after Close = %d, %v; want 0, errWriterClosed", n, err)
	}
	if err := w.Close(); !errors.Is(err, errWriterClosed) {
		t.Errorf("second Close = %v, want errWriterClosed", err)
	}
	if conn.out.String() != want {
		t.Errorf("wire %q, want %q", conn.out.String(), want)
	}
}

func TestDataRefused(t *testing.T) {
	c, conn := cannedClient("503 5.5.1 Need RCPT\r\n")
	w, err := c.Data()
	if w != nil {
		t.Errorf("Data returned a writer with error %v", err)
	}
	checkError(t, err, 503, "5.5.1 Need RCPT")
	if conn.out.String() != "DATA\r\n" {
		t.Errorf("wire %q, want only the DATA line", conn.out.String())
	}
}

func TestDataMessageRejected(t *testing.T) {
	c, _ := cannedClient("354 Go ahead\r\n554 5.7.1 Message rejected\r\n")
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	checkError(t, err, 554, "5.7.1 Message rejected")
	var e *Error
	if errors.As(err, &e) && e.EnhancedCode != (EnhancedCode{5, 7, 1}) {
		t.Errorf("EnhancedCode = %v, want 5.7.1", e.EnhancedCode)
	}
}

// TestDataWireCheck makes sure the round-trip check catches what it is
// meant to catch.
func TestDataWireCheck(t *testing.T) {
	tests := []struct{ msg, wire string }{
		{"a", "a\r\n"},                      // no end of data
		{"a", "a\n.\r\n"},                   // bare LF
		{"a\rb", "a\rb\r\n.\r\n"},           // bare CR
		{"a\n.\nb", "a\r\n.\r\nb\r\n.\r\n"}, // early end of data
		{".a", ".a\r\n.\r\n"},               // not stuffed
		{"a", "a.\r\n"},                     // end mark not at a line start
		{"a", "b\r\n.\r\n"},                 // wrong content
	}
	for _, tt := range tests {
		if dataWireError(tt.msg, tt.wire) == nil {
			t.Errorf("dataWireError(%q, %q) = nil, want an error", tt.msg, tt.wire)
		}
	}
}
