package client

import (
	"crypto/tls"
	"fmt"
)

// StartTLS sends the STARTTLS command and encrypts all further communication.
// Only servers that advertise the STARTTLS extension support this function.
//
// A nil config, or one without ServerName, verifies the certificate against
// the host name given to NewClient or Dial. StartTLS fails, and closes the
// connection, if the server sent anything after its 220 reply: such bytes
// were written before encryption and may have been injected (RFC 3207 §4.2,
// the CVE-2021-22947 class). After the handshake, the extensions and the
// AUTH list come only from a new EHLO.
func (c *Client) StartTLS(config *tls.Config) error {
	if err := c.hello(); err != nil {
		return err
	}
	if _, err := c.cmd(220, "STARTTLS"); err != nil {
		return err
	}
	if n := c.Text.R.Buffered(); n > 0 {
		return c.fail(fmt.Errorf("%w: %d bytes after the STARTTLS reply, before TLS started (response injection)", ErrProtocol, n))
	}
	config = withServerName(config, c.serverName)
	tc := tls.Client(c.conn, config)
	if err := c.arm(c.Timeouts.withDefaults().Command); err != nil {
		return err
	}
	if err := tc.Handshake(); err != nil {
		return c.fail(fmt.Errorf("TLS handshake: %w", err))
	}
	c.conn = tc
	c.Text = newText(tc)
	c.tlsConfig = config
	// RFC 3207 §4.2: forget everything learnt before TLS.
	c.ext, c.auth = nil, nil
	return c.ehlo()
}

// TLSConnectionState returns the client's TLS connection state.
// The return values are their zero values if StartTLS did
// not succeed.
func (c *Client) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	tc, ok := c.conn.(*tls.Conn)
	if !ok {
		return state, false
	}
	return tc.ConnectionState(), true
}

// verifiedTLS reports what ServerInfo.TLS promises: TLS with a certificate
// valid for the server's name. net/smtp reports any TLS connection, even
// one made with InsecureSkipVerify; here that counts only when the caller
// supplied its own verification, and the name must still match.
func (c *Client) verifiedTLS() bool {
	st, ok := c.TLSConnectionState()
	if !ok || !st.HandshakeComplete || len(st.PeerCertificates) == 0 {
		return false
	}
	verified := len(st.VerifiedChains) > 0
	if cfg := c.tlsConfig; !verified && cfg != nil && cfg.InsecureSkipVerify {
		verified = cfg.VerifyConnection != nil || cfg.VerifyPeerCertificate != nil
	}
	return verified && st.PeerCertificates[0].VerifyHostname(c.serverName) == nil
}
