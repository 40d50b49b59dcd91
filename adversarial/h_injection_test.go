package adversarial_test

import (
	"strings"
	"testing"

	"github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// Group H: argument injection by a careless caller, who passes user input
// to the client. CR or LF ends the command line and starts another; NUL
// truncates it in C servers; '<' '>' spaces and quotes close the path and
// add ESMTP parameters ("a@b> NOTIFY=NEVER"). Every argument of every
// command is refused before a single byte is written: each script below
// ends right after EHLO and sees only QUIT.

// hostile are the characters every argument is tried with, placed inside
// an otherwise valid value.
var hostile = []struct{ name, s string }{
	{"CR", "\r"},
	{"LF", "\n"},
	{"CRLF command", "\r\nRSET\r\n"},
	{"NUL", "\x00"},
	{"less-than", "<"},
	{"greater-than", ">"},
	{"space", " "},
	{"quote", `"`},
	{"parameter", "> NOTIFY=NEVER ORCPT=rfc822;x@y"},
	{"tab", "\t"},
	{"DEL", "\x7f"},
}

// addr puts the hostile string in the local part of an address.
func addr(h string) string { return "us" + h + "er@example.com" }

// onlyQuit runs f against a client whose server expects EHLO and QUIT and
// nothing else.
func onlyQuit(t *testing.T, f func(c *client.Client) error) {
	t.Helper()
	s := scripttest.New(t, script(greet, ehlo("DSN", "SMTPUTF8", "8BITMIME", "SIZE 1000"), quit))
	c := dial(t, s, "mx.example.com")
	wantErr(t, "call", f(c), client.ErrInvalidArgument)
	c.Quit() // Auth quits by itself after refusing a mechanism's name
	s.Check(t)
	wantWire(t, s, lines("EHLO localhost", "QUIT"))
}

func env(from string, to ...string) *client.Envelope { return &client.Envelope{From: from, To: to} }

// TestH_Commands tries every hostile string in every argument of every
// command.
func TestH_Commands(t *testing.T) {
	body := func() *strings.Reader { return strings.NewReader("hi\r\n") }
	commands := []struct {
		name string
		call func(c *client.Client, h string) error
	}{
		{"Mail", func(c *client.Client, h string) error { return c.Mail(addr(h)) }},
		{"Rcpt", func(c *client.Client, h string) error { return c.Rcpt(addr(h)) }},
		{"Verify", func(c *client.Client, h string) error { return c.Verify(addr(h)) }},
		{"Hello", func(c *client.Client, h string) error { return c.Hello("client" + h + ".example.org") }},
		{"Send/From", func(c *client.Client, h string) error {
			_, err := c.Send(t.Context(), env(addr(h), "b@example.net"), body())
			return err
		}},
		{"Send/To", func(c *client.Client, h string) error {
			_, err := c.Send(t.Context(), env("a@example.org", "b@example.net", addr(h)), body())
			return err
		}},
		{"SendMail/From", func(c *client.Client, h string) error { return c.SendMail(addr(h), []string{"b@example.net"}, body()) }},
		{"SendMail/To", func(c *client.Client, h string) error { return c.SendMail("a@example.org", []string{addr(h)}, body()) }},
		{"SendBatch/From", func(c *client.Client, h string) error {
			return c.SendBatch(t.Context(), []client.Outgoing{{Envelope: *env(addr(h), "b@example.net"), Body: body()}})[0].Err
		}},
		{"SendBatch/To", func(c *client.Client, h string) error {
			return c.SendBatch(t.Context(), []client.Outgoing{{Envelope: *env("a@example.org", addr(h)), Body: body()}})[0].Err
		}},
		{"DSN/EnvelopeID", func(c *client.Client, h string) error {
			e := env("a@example.org", "b@example.net")
			e.DSN = &client.DSN{EnvelopeID: "id" + h + "1"}
			_, err := c.Send(t.Context(), e, body())
			return err
		}},
		{"DSN/Notify", func(c *client.Client, h string) error {
			e := env("a@example.org", "b@example.net")
			e.DSN = &client.DSN{Notify: []string{"SUCCESS" + h}}
			_, err := c.Send(t.Context(), e, body())
			return err
		}},
		{"DSN/Return", func(c *client.Client, h string) error {
			e := env("a@example.org", "b@example.net")
			e.DSN = &client.DSN{Return: "FULL" + h}
			_, err := c.Send(t.Context(), e, body())
			return err
		}},
		{"Auth/mechanism name", func(c *client.Client, h string) error {
			return c.Auth(&scriptedAuth{mech: "PLAIN" + h, initial: []byte("x")})
		}},
	}
	for _, cmd := range commands {
		for _, h := range hostile {
			if cmd.name == "DSN/EnvelopeID" && strings.ContainsAny(h.s, `<>" `) && !strings.ContainsAny(h.s, "\r\n\x00\t\x7f") {
				continue // printable: xtext-encoded, see TestH_EnvelopeIDEncoded
			}
			t.Run(cmd.name+"/"+h.name, func(t *testing.T) {
				onlyQuit(t, func(c *client.Client) error { return cmd.call(c, h.s) })
			})
		}
	}
}

// TestH_EnvelopeIDEncoded: printable characters in ENVID are sent
// xtext-encoded (RFC 3461 §4), where '+' and '=' would otherwise be taken
// for encodings, so they cannot add a parameter either.
func TestH_EnvelopeIDEncoded(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo("DSN"),
		`C: MAIL FROM:<a@example.org> RET=HDRS ENVID=a<b>c"d+2Be+3Df`, "S: 250 ok",
		"C: RCPT TO:<b+x@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.net", "S: 250 ok",
		"C: DATA", "S: 354 go", "C: hi", "C: .", "S: 250 ok", quit))
	c := dial(t, s, "mx.example.com")
	e := env("a@example.org", "b+x@example.net")
	e.DSN = &client.DSN{Return: "hdrs", EnvelopeID: `a<b>c"d+e=f`, Notify: []string{"success", "Failure"}}
	_, err := c.Send(t.Context(), e, strings.NewReader("hi\r\n"))
	must(t, err)
	must(t, c.Quit())
	s.Check(t)
}

// TestH_QuotedLocalPart: RFC 5321 §4.1.2 lets a quoted local part hold
// spaces; outside quotes, or unbalanced, they are refused, and control
// characters or angle brackets are refused even inside quotes.
func TestH_QuotedLocalPart(t *testing.T) {
	for _, a := range []string{
		`"unterminated@example.com`,
		`a"b@example.com`,
		`"a"b"@example.com`,
		`"a b"@exa mple.com`,
		`"a>b"@example.com`,
		"\"a\r\nb\"@example.com",
		"\"a\x00b\"@example.com",
		`"a b"`,
		`"a\"@example.com`,
	} {
		t.Run(a, func(t *testing.T) {
			onlyQuit(t, func(c *client.Client) error { return c.Mail(a) })
		})
	}
	t.Run("valid", func(t *testing.T) {
		s := scripttest.New(t, script(greet, ehlo(), `C: MAIL FROM:<"a b\"c"@example.com>`, "S: 250 ok", quit))
		c := dial(t, s, "mx.example.com")
		must(t, c.Mail(`"a b\"c"@example.com`))
		must(t, c.Quit())
		s.Check(t)
	})
}

// TestH_Limits: an address beyond RFC 5321's 256-octet path, an empty
// recipient, an empty recipient list, and DSN values outside their sets.
func TestH_Limits(t *testing.T) {
	long := strings.Repeat("a", 250) + "@example.com"
	body := strings.NewReader("hi\r\n")
	for name, f := range map[string]func(c *client.Client) error{
		"long Mail":      func(c *client.Client) error { return c.Mail(long) },
		"long Rcpt":      func(c *client.Client) error { return c.Rcpt(long) },
		"empty Rcpt":     func(c *client.Client) error { return c.Rcpt("") },
		"empty Hello":    func(c *client.Client) error { return c.Hello("") },
		"long Hello":     func(c *client.Client) error { return c.Hello(strings.Repeat("h", 256)) },
		"no recipients":  func(c *client.Client) error { _, err := c.Send(t.Context(), env("a@example.org"), body); return err },
		"NOTIFY NEVER+":  func(c *client.Client) error { return sendDSN(t, c, &client.DSN{Notify: []string{"NEVER", "SUCCESS"}}) },
		"NOTIFY list":    func(c *client.Client) error { return sendDSN(t, c, &client.DSN{Notify: []string{"SUCCESS,FAILURE"}}) },
		"RET other":      func(c *client.Client) error { return sendDSN(t, c, &client.DSN{Return: "BODY"}) },
		"ENVID too long": func(c *client.Client) error { return sendDSN(t, c, &client.DSN{EnvelopeID: strings.Repeat("i", 101)}) },
		"ENVID non-ASCII": func(c *client.Client) error {
			return sendDSN(t, c, &client.DSN{EnvelopeID: "idé"})
		},
	} {
		t.Run(name, func(t *testing.T) { onlyQuit(t, f) })
	}
}

func sendDSN(t *testing.T, c *client.Client, d *client.DSN) error {
	e := env("a@example.org", "b@example.net")
	e.DSN = d
	_, err := c.Send(t.Context(), e, strings.NewReader("hi\r\n"))
	return err
}

// TestH_BeforeConnecting: arguments given to the functions that dial are
// checked before dialing; the server never sees a connection.
func TestH_BeforeConnecting(t *testing.T) {
	for _, h := range hostile {
		t.Run("Dialer.LocalName/"+h.name, func(t *testing.T) {
			s := scripttest.New(t, "")
			d := client.Dialer{LocalName: "client" + h.s + ".example.org", Timeouts: fast}
			c, err := d.DialContext(t.Context(), s.Addr)
			wantErr(t, "DialContext", err, client.ErrInvalidArgument)
			if err == nil {
				c.Close()
			}
			s.Close()
			if s.Accepted() {
				t.Error("connected before refusing the argument")
			}
		})
		t.Run("SendMail/"+h.name, func(t *testing.T) {
			s := scripttest.New(t, "")
			err := client.SendMail(s.Addr, nil, addr(h.s), []string{"b@example.net"}, []byte("hi\r\n"))
			wantErr(t, "SendMail", err, client.ErrInvalidArgument)
			err = client.SendMail(s.Addr, nil, "a@example.org", []string{addr(h.s)}, []byte("hi\r\n"))
			wantErr(t, "SendMail", err, client.ErrInvalidArgument)
			s.Close()
			if s.Accepted() {
				t.Error("connected before refusing the argument")
			}
		})
	}
}

// TestH_BatchOthersUnaffected: one bad envelope in a batch is refused
// alone; the messages around it go out as if it were not there.
func TestH_BatchOthersUnaffected(t *testing.T) {
	s := scripttest.New(t, script(greet, ehlo(),
		"C: MAIL FROM:<a@example.org>", "S: 250 ok", "C: RCPT TO:<b@example.net>", "S: 250 ok",
		"C: DATA", "S: 354 go", "C: one", "C: .", "S: 250 ok",
		"C: MAIL FROM:<c@example.org>", "S: 250 ok", "C: RCPT TO:<b@example.net>", "S: 250 ok",
		"C: DATA", "S: 354 go", "C: three", "C: .", "S: 250 ok",
		quit))
	c := dial(t, s, "mx.example.com")
	res := c.SendBatch(t.Context(), []client.Outgoing{
		{Envelope: *env("a@example.org", "b@example.net"), Body: strings.NewReader("one\r\n")},
		{Envelope: *env("evil@example.org>\r\nRCPT TO:<x@example.net", "b@example.net"), Body: strings.NewReader("two\r\n")},
		{Envelope: *env("c@example.org", "b@example.net"), Body: strings.NewReader("three\r\n")},
	})
	want := []client.Status{client.Delivered, client.NotSent, client.Delivered}
	for i, r := range res {
		if r.Status != want[i] {
			t.Errorf("message %d: %v (%v), want %v", i, r.Status, r.Err, want[i])
		}
	}
	wantErr(t, "message 1", res[1].Err, client.ErrInvalidArgument)
	must(t, c.Quit())
	s.Check(t)
}
