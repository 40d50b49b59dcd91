package registry

import (
	"github.com/smtpauth/smtpauth/auth"
	"github.com/smtpauth/smtpauth/auth/crammd5"
	"github.com/smtpauth/smtpauth/auth/gosasl"
	"github.com/smtpauth/smtpauth/auth/login"
	"github.com/smtpauth/smtpauth/auth/ntlm"
	"github.com/smtpauth/smtpauth/auth/oauthbearer"
	"github.com/smtpauth/smtpauth/auth/plain"
	"github.com/smtpauth/smtpauth/auth/scram"
	"github.com/smtpauth/smtpauth/auth/xoauth2"
)

// Ranks of the built-in mechanisms, strongest first; docs/mechanisms.md
// gives the reasons.
const (
	RankSCRAMSHA512PLUS = 100
	RankSCRAMSHA256PLUS = 95
	RankSCRAMSHA1PLUS   = 90
	RankSCRAMSHA512     = 80
	RankSCRAMSHA256     = 75
	RankSCRAMSHA1       = 70
	RankEXTERNAL        = 60
	RankOAUTHBEARER     = 50
	RankXOAUTH2         = 45
	RankCRAMMD5         = 30
	RankPLAIN           = 20
	RankLOGIN           = 15
	RankNTLM            = 10
	RankANONYMOUS       = 1
)

// host is the name the credentials are bound to: the caller's Host, or
// the server's own name when the caller left it open.
func host(c *Credentials, server *auth.ServerInfo) string {
	if c.Host != "" {
		return c.Host
	}
	return server.Name
}

// builtins are the mechanisms of the Default registry but SCRAM.
var builtins = []Mechanism{
	{Name: "EXTERNAL", Rank: RankEXTERNAL, Needs: NeedCertificate,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) { return gosasl.External(c.Identity), nil }},
	{Name: "OAUTHBEARER", Rank: RankOAUTHBEARER, CleartextEquivalent: true, Needs: NeedToken,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
			return oauthbearer.New(c.Username, c.TokenSource), nil
		}},
	{Name: "XOAUTH2", Rank: RankXOAUTH2, CleartextEquivalent: true, Needs: NeedToken,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
			return xoauth2.New(c.Username, c.TokenSource), nil
		}},
	{Name: "CRAM-MD5", Rank: RankCRAMMD5, Needs: NeedPassword,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
			return crammd5.New(c.Username, c.Password), nil
		}},
	{Name: "PLAIN", Rank: RankPLAIN, CleartextEquivalent: true, Needs: NeedPassword,
		New: func(c *Credentials, s *auth.ServerInfo) (auth.Auth, error) {
			return plain.New(c.Identity, c.Username, c.Password, host(c, s)), nil
		}},
	{Name: "LOGIN", Rank: RankLOGIN, CleartextEquivalent: true, Needs: NeedPassword,
		New: func(c *Credentials, s *auth.ServerInfo) (auth.Auth, error) {
			return login.New(c.Username, c.Password, host(c, s)), nil
		}},
	{Name: "NTLM", Rank: RankNTLM, CleartextEquivalent: true, Needs: NeedPassword,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
			return ntlm.New("", c.Username, c.Password), nil
		}},
	{Name: "ANONYMOUS", Rank: RankANONYMOUS, Needs: NeedNothing,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) { return gosasl.Anonymous(c.Username), nil }},
}

// scramMechanism registers one SCRAM variant (RFC 5802, 7677; -PLUS with
// RFC 5929/9266 channel binding).
func scramMechanism(name string, rank int, plus bool) Mechanism {
	return Mechanism{Name: name, Rank: rank, ChannelBinding: plus, Needs: NeedPassword,
		New: func(c *Credentials, _ *auth.ServerInfo) (auth.Auth, error) {
			return scram.New(name, scram.Config{Username: c.Username, Password: c.Password, Authzid: c.Identity})
		}}
}

func newDefault() *Registry {
	r := New()
	all := append([]Mechanism{
		scramMechanism("SCRAM-SHA-512-PLUS", RankSCRAMSHA512PLUS, true),
		scramMechanism("SCRAM-SHA-256-PLUS", RankSCRAMSHA256PLUS, true),
		scramMechanism("SCRAM-SHA-1-PLUS", RankSCRAMSHA1PLUS, true),
		scramMechanism("SCRAM-SHA-512", RankSCRAMSHA512, false),
		scramMechanism("SCRAM-SHA-256", RankSCRAMSHA256, false),
		scramMechanism("SCRAM-SHA-1", RankSCRAMSHA1, false),
	}, builtins...)
	for _, m := range all {
		if err := r.Register(m); err != nil {
			panic(err) // a built-in with a bad name is a bug in this package
		}
	}
	return r
}
