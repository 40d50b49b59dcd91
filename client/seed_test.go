package client_test

import (
	"encoding/pem"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	smtp "github.com/smtpauth/smtpauth/client"
	"github.com/smtpauth/smtpauth/smtptest"
)

// seedServer is trusted through SSL_CERT_FILE, as a public mail server's
// certificate would be through the system pool, so that the seed's
// examples run here unchanged but for the address.
var seedServer *smtptest.Server

func TestMain(m *testing.M) {
	seedServer = smtptest.NewServer()
	dir, err := os.MkdirTemp("", "smtpauth-seed")
	if err != nil {
		log.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: seedServer.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		log.Fatal(err)
	}
	// Read once, at the first verification against system roots.
	os.Setenv("SSL_CERT_FILE", ca)
	os.Setenv("SSL_CERT_DIR", dir)
	code := m.Run()
	seedServer.Close()
	os.RemoveAll(dir)
	// Every client operation, timeouts and cancellations included, must
	// leave no goroutine behind; the servers are closed first.
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// The three functions below are the seed's examples (Go 1.6 net/smtp
// documentation) with only the import and the server address changed.

func seedPackageExample(addr string) {
	// Connect to the remote SMTP server.
	c, err := smtp.Dial(addr)
	if err != nil {
		log.Fatal(err)
	}
	// Set the sender and recipient first
	if err := c.Mail("sender@example.org"); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt("recipient@example.net"); err != nil {
		log.Fatal(err)
	}
	// Send the email body.
	wc, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	_, err = fmt.Fprintf(wc, "This is the email body")
	if err != nil {
		log.Fatal(err)
	}
	err = wc.Close()
	if err != nil {
		log.Fatal(err)
	}
	// Send the QUIT command and close the connection.
	err = c.Quit()
	if err != nil {
		log.Fatal(err)
	}
}

func seedPlainAuthExample(hostname, port string, from string, recipients []string, msg []byte) {
	// hostname is used by PlainAuth to validate the TLS certificate.
	auth := smtp.PlainAuth("", "user@example.com", "password", hostname)
	err := smtp.SendMail(hostname+":"+port, auth, from, recipients, msg)
	if err != nil {
		log.Fatal(err)
	}
}

func seedSendMailExample(addr string) {
	// Set up authentication information.
	auth := smtp.PlainAuth("", "user@example.com", "password", "127.0.0.1")
	// Connect to the server, authenticate, set the sender and recipient,
	// and send the email all in one step.
	to := []string{"recipient@example.net"}
	msg := []byte("To: recipient@example.net\r\n" +
		"Subject: discount Gophers!\r\n" +
		"\r\n" +
		"This is the email body.\r\n")
	err := smtp.SendMail(addr, auth, "sender@example.org", to, msg)
	if err != nil {
		log.Fatal(err)
	}
}

func TestSeedExamples(t *testing.T) {
	host, port, _ := net.SplitHostPort(seedServer.Addr)
	before := len(seedServer.Messages()) // the server lives across -count runs
	seedPackageExample(seedServer.Addr)
	seedPlainAuthExample(host, port, "sender@example.org", []string{"recipient@example.net"}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	seedSendMailExample(seedServer.Addr)

	want := []struct {
		data, auth string
		tls        bool
	}{
		{"This is the email body\r\n", "", false},
		{"Subject: hi\r\n\r\nhi\r\n", "PLAIN", true},
		{"To: recipient@example.net\r\nSubject: discount Gophers!\r\n\r\nThis is the email body.\r\n", "PLAIN", true},
	}
	msgs := seedServer.Messages()[before:]
	if len(msgs) != len(want) {
		t.Fatalf("server received %d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		w := want[i]
		if string(m.Data) != w.data || m.Auth != w.auth || m.TLS != w.tls || m.From != "sender@example.org" || fmt.Sprint(m.To) != "[recipient@example.net]" {
			t.Errorf("message %d = %+v (data %q), want data %q auth %q TLS %v", i, m, m.Data, w.data, w.auth, w.tls)
		}
	}
}
