// Package interop tests the client package against a real Dovecot
// submission server (Dovecot 2.3, as packaged in Debian bookworm).
//
// The package contains no code besides this comment; everything is in its
// test files. The tests need a private Dovecot instance started by
// .ci/dovecot-start (as root; it needs the Debian packages dovecot-core,
// dovecot-submissiond and openssl):
//
//	bash .ci/dovecot-start              # prints the directory it uses
//	source /tmp/smtpauth-dovecot.XXXXXX/dovecot.env
//	go test -count=1 ./interop/
//	bash .ci/dovecot-stop "$SMTPAUTH_DOVECOT_DIR"
//
// .ci/run does all of this in CI. The env file exports
// SMTPAUTH_DOVECOT_STARTTLS, SMTPAUTH_DOVECOT_TLS, SMTPAUTH_DOVECOT_CA,
// SMTPAUTH_DOVECOT_RELAY, SMTPAUTH_DOVECOT_USER and SMTPAUTH_DOVECOT_PASSWORD.
// Without SMTPAUTH_DOVECOT_STARTTLS the tests skip, except when CI=true,
// where they fail.
//
// Dovecot relays every accepted message to SMTPAUTH_DOVECOT_RELAY, where
// TestMain runs an in-process SMTP sink (github.com/emersion/go-smtp) that
// records the envelope and data, so the tests can check end to end that the
// message they submitted arrived unchanged.
package interop
