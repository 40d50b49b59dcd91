package registry

import (
	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/plain"
)

// Ranks of the built-in mechanisms, strongest first; docs/mechanisms.md
// gives the reasons.
const (
	RankCRAMMD5 = 30
	RankPLAIN   = 20
)

// host is the name the credentials are bound to: the caller's Host, or
// the server's own name when the caller left it open.
func host(c *Credentials, server *auth.ServerInfo) string {
	if c.Host != "" {
		return c.Host
	}
	return server.Name
}

func newDefault() *Registry {
	r := New()
	for _, m := range []Mechanism{
		{Name: "CRAM-MD5", Rank: RankCRAMMD5, Needs: NeedPassword,
			New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
				return crammd5.New(c.Username, c.Password), nil
			}},
		{Name: "PLAIN", Rank: RankPLAIN, CleartextEquivalent: true, Needs: NeedPassword,
			New: func(c *Credentials, s *auth.ServerInfo) (auth.Auth, error) {
				return plain.New(c.Identity, c.Username, c.Password, host(c, s)), nil
			}},
	} {
		if err := r.Register(m); err != nil {
			panic(err) // a built-in with a bad name is a bug in this package
		}
	}
	return r
}
