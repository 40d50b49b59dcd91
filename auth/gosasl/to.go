package gosasl

import (
	"slices"

	"github.com/emersion/go-sasl"

	"github.com/smtpauth/smtpauth/auth"
)

type toSASL struct {
	a    auth.Auth
	info *auth.ServerInfo
	mech string
}

// ToSASL returns a go-sasl client that runs a, which is started with info.
//
// info is what a's policy checks rely on, and ToSASL cannot verify it: set
// TLS only when the connection the go-sasl client will run on is TLS with a
// certificate verified for info.Name. Each Start gives a a fresh copy of
// *info, read at that moment; a nil info stands for a zero ServerInfo (no
// name, no TLS), on which cleartext-equivalent mechanisms refuse to run.
//
// An empty initial response from a becomes nil: under net/smtp's contract
// it means "none", while go-sasl's callers would send it as an empty one.
// A nil response from a's Next becomes []byte{}: net/smtp sends it as an
// empty line, while go-smtp's client would stop answering and leave the
// server waiting.
//
// go-sasl clients are never told of success, so a never sees Next(text,
// false); a mechanism that checks the server in that last step (SCRAM's
// server signature, when the server sends it with the success reply) cannot
// do so through ToSASL. ToSASL does not call [auth.ConnStateAuth]'s
// SetConnState either, as net/smtp does not.
func ToSASL(a auth.Auth, info *auth.ServerInfo) sasl.Client {
	return &toSASL{a: a, info: info}
}

func (c *toSASL) Start() (string, []byte, error) {
	c.mech = ""
	if c.a == nil {
		return "", nil, errNilAuth
	}
	var info auth.ServerInfo
	if c.info != nil {
		info = *c.info
		info.Auth = slices.Clone(info.Auth)
	}
	mech, ir, err := c.a.Start(&info)
	if err != nil {
		return "", nil, wrap(mech, err)
	}
	if mech == "" {
		return "", nil, ErrNoMechanism
	}
	c.mech = mech
	if len(ir) == 0 {
		ir = nil
	}
	return mech, ir, nil
}

func (c *toSASL) Next(challenge []byte) ([]byte, error) {
	if c.a == nil {
		return nil, errNilAuth
	}
	resp, err := c.a.Next(challenge, true)
	if err != nil {
		return nil, wrap(c.mech, err)
	}
	if resp == nil {
		resp = []byte{}
	}
	return resp, nil
}

// String hides what the Auth holds.
func (c *toSASL) String() string { return "gosasl.ToSASL(...)" }

// GoString hides what the Auth holds from fmt's %#v.
func (c *toSASL) GoString() string { return "gosasl.ToSASL(...)" }
