// Package login implements the LOGIN SASL mechanism for SMTP.
//
// LOGIN was never an RFC: its only specification is the expired
// draft-murchison-sasl-login-00, which documents it as obsolete (§1) and
// asks clients to prefer PLAIN whenever a server offers it. It survives
// because some servers offer nothing else for passwords.
//
// LOGIN sends the password itself, base64-encoded. It is therefore
// cleartext-equivalent: the Auth returned by [New] refuses to run unless the
// connection is TLS with a certificate verified for the expected host, or
// the host is a loopback name, exactly as PLAIN does.
package login

import (
	"errors"
	"strings"

	"github.com/smtpauth/smtpauth/auth"
)

// ErrBadCredential reports a NUL, CR or LF in the username or password.
//
// The base64 encoding of the wire would carry them safely, but draft §2
// excludes them from passwords, and LOGIN servers hand both strings on to
// line- and C-string-based back ends (the traditional LOGIN and USER/PASS
// commands the draft maps them to, PAM, saslauthd), which would truncate or
// split them: the server would check something other than what was given.
// Refusing before anything is sent turns that silent mismatch into a clear
// local error.
var ErrBadCredential = errors.New("login: NUL, CR or LF in username or password")

// The states of an exchange. Only a successful Start leaves idle, so that
// no caller gets a credential out of Next without the checks of Start.
const (
	idle = iota
	wantUsername
	wantPassword
	answered
)

type loginAuth struct {
	username, password string
	host               string
	state              int
}

// New returns an Auth that implements LOGIN. It authenticates as username
// with password. It only sends the credentials when the server's name is
// host and the connection is TLS with a verified certificate, or host is a
// loopback name.
//
// The draft's limit of 64 characters on usernames (§2) is not enforced:
// usernames are often email addresses longer than that, which servers
// accept.
func New(username, password, host string) auth.Auth {
	return &loginAuth{username: username, password: password, host: host}
}

func (a *loginAuth) Start(server *auth.ServerInfo) (string, []byte, error) {
	a.state = idle
	// Both checks come before anything else so that no credential byte is
	// ever produced for the wrong server or an unprotected link.
	if server == nil || (!server.TLS && !auth.IsLocalhost(server.Name)) {
		return "", nil, auth.ErrUnencrypted
	}
	if server.Name != a.host {
		return "", nil, auth.ErrWrongHost
	}
	if strings.ContainsAny(a.username, "\x00\r\n") || strings.ContainsAny(a.password, "\x00\r\n") {
		return "", nil, ErrBadCredential
	}
	a.state = wantUsername
	// Draft §2.1: the server speaks first, so there is no initial response.
	// Some servers accept the username as one (MS-XLOGIN), others refuse
	// it; waiting for the first challenge works with all of them.
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	// Draft §2.1: the contents of both challenges SHOULD be ignored. Servers
	// send "User Name" (§2.2), "User Name\x00" (§2.3), "Username:" (the
	// note in §2.2), or their own wording: only the order counts.
	switch a.state {
	case wantUsername:
		a.state = wantPassword
		return []byte(a.username), nil
	case wantPassword:
		a.state = answered
		return []byte(a.password), nil
	}
	// Draft §2.1 has exactly two challenges; a third one is not LOGIN, and
	// none comes before a successful Start.
	return nil, auth.ErrUnexpectedChallenge
}

// String hides the password from fmt's %v and %+v.
func (a *loginAuth) String() string { return "LOGIN" }

// GoString hides the password from fmt's %#v.
func (a *loginAuth) GoString() string { return "login.New(...)" }
