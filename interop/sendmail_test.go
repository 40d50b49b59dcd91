package interop

import (
	"crypto/tls"
	"net"
	"runtime"
	"testing"
	"time"

	// The client under test; see the import comment in main_test.go.
	smtp "github.com/smtpauth/smtpauth/client"
)

// TestSendMail submits through the package-level SendMail to the STARTTLS
// listener.
//
// SendMail verifies the server against the system roots, with the host part
// of addr (127.0.0.1) as the name; Dovecot's certificate has IP:127.0.0.1 in
// its SANs but is issued by the private test CA. The test therefore makes
// the CA a system root for this process through SSL_CERT_FILE, which
// crypto/x509 honours on Linux and reads once, on first use of the system
// pool. Nothing else in this package uses the system pool (the other tests
// pass RootCAs, or an empty pool), so this is effective whatever the test
// order; should the pool have been loaded earlier, the test says so instead
// of failing obscurely.
func TestSendMail(t *testing.T) {
	c := dovecot(t)
	if runtime.GOOS != "linux" {
		t.Skip("needs SSL_CERT_FILE support for the system roots (Linux)")
	}
	t.Setenv("SSL_CERT_FILE", c.caFile)

	host, _, err := net.SplitHostPort(c.starttlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	// Does the system pool now trust Dovecot's certificate for host?
	d := &net.Dialer{Timeout: connDeadline}
	conn, err := tls.DialWithDialer(d, "tcp", c.tlsAddr, &tls.Config{ServerName: host})
	if err != nil {
		t.Fatalf("the test CA is not a system root in this process (was the system pool loaded before TestSendMail set SSL_CERT_FILE?): %v", err)
	}
	conn.Close()

	token, msg := newMessage(t, c.user)
	auth := smtp.PlainAuth("", c.user, c.password, host)
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(c.starttlsAddr, auth, c.user, []string{recipient}, msg) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SendMail: %v", err)
		}
	case <-time.After(connDeadline):
		t.Fatalf("SendMail did not return within %v", connDeadline)
	}
	checkDelivered(t, c.user, token, msg)
}
