package registry_test

import (
	"bytes"
	"crypto/tls"
	"testing"

	"golang.org/x/oauth2"

	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/registry"
)

// FuzzChallenges feeds every built-in mechanism of the Default registry
// hostile challenges: none may panic, and none may answer with more than a
// bounded response, whatever the server sends.
func FuzzChallenges(f *testing.F) {
	for _, seed := range [][]byte{
		nil, []byte("Username:"), []byte("<1896.697170952@postoffice.reston.mci.net>"),
		[]byte("r=abc,s=QSXCR+Q6sek8bf92,i=4096"), []byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), []byte("e=invalid-proof"),
		[]byte(`{"status":"401","schemes":"Bearer"}`), []byte("NTLMSSP\x00\x02\x00\x00\x00"), {0x01}, bytes.Repeat([]byte{0xff}, 300),
	} {
		f.Add(seed, seed)
	}
	creds := registry.Credentials{
		Username: "user@example.com", Password: "pencil", Anonymous: true,
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"}),
		Certificate: &tls.Certificate{},
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		for _, m := range registry.Default.Mechanisms() {
			server := &auth.ServerInfo{Name: "localhost", TLS: true, Auth: []string{m.Name}}
			a, err := m.New(&creds, server)
			if err != nil {
				continue
			}
			if _, _, err := a.Start(server); err != nil {
				continue
			}
			for _, ch := range [][]byte{first, second} {
				resp, err := a.Next(ch, true)
				if err != nil {
					break
				}
				if len(resp) > 64<<10 {
					t.Fatalf("%s answered a %d-byte challenge with %d bytes", m.Name, len(ch), len(resp))
				}
			}
			a.Next(second, false)
		}
	})
}
