package registry

import (
	"encoding/json"
	"fmt"
)

// redacted is Credentials as they may be shown: which secrets are set,
// never what they are.
type redacted struct {
	Identity    string `json:",omitempty"`
	Username    string `json:",omitempty"`
	Password    bool   `json:",omitempty"`
	TokenSource bool   `json:",omitempty"`
	Certificate bool   `json:",omitempty"`
	Anonymous   bool   `json:",omitempty"`
	Host        string `json:",omitempty"`
}

func (c Credentials) redacted() redacted {
	return redacted{c.Identity, c.Username, c.Password != "", c.TokenSource != nil, c.Certificate != nil, c.Anonymous, c.Host}
}

// Format shows the credentials for every fmt verb without their secrets:
// the password, the token source and the certificate appear only as set
// or not, so that logging a Credentials value cannot leak them.
func (c Credentials) Format(f fmt.State, verb rune) {
	r := c.redacted()
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "registry.Credentials%+v", r)
		return
	}
	fmt.Fprintf(f, "%+v", r)
}

// MarshalJSON encodes the credentials without their secrets, as Format.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.redacted())
}
