// Package adversarial holds no code: its tests play hostile servers and
// careless callers against smtpauth's client and mechanisms, and check the
// exact bytes the client sends or the exact error it returns.
//
// The groups A to K of docs/security.md map to the files a_tls_test.go to
// k_secrets_test.go; each test's comment says what it defends against.
// Every conversation is scripted with internal/scripttest on a loopback
// listener, so the whole suite runs offline in a few seconds, and
// TestMain fails the run if any client operation left a goroutine behind.
package adversarial
