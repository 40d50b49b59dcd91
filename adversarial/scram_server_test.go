package adversarial_test

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/smtpauth/smtpauth/internal/scripttest"
)

// scramServer is the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677)
// for the scripts of groups C, D and K: the client's nonce is random, so
// these steps are written in Go. Each step checks what the client sent
// exactly, then sends whatever the test asks, right or wrong.
type scramServer struct {
	mech string // "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS"
	gs2  string // the gs2 header the client must send: "n,,", "y,," or "p=tls-exporter,,"
	salt []byte
	iter int

	// Learnt during the exchange.
	clientNonce string
	nonce       string // client nonce and the server's part
	firstBare   string // client-first-message-bare
	serverFirst string // as sent
	serverSig   []byte // the right ServerSignature
}

func newSCRAM(mech, gs2 string) *scramServer {
	return &scramServer{mech: mech, gs2: gs2, salt: []byte("salt-for-tests!!"), iter: 4096}
}

// serverFirstMessage is the right server-first-message.
func (x *scramServer) serverFirstMessage() string {
	return "r=" + x.nonce + ",s=" + base64.StdEncoding.EncodeToString(x.salt) + ",i=" + strconv.Itoa(x.iter)
}

// v is the right server-final-message.
func (x *scramServer) v() string { return "v=" + base64.StdEncoding.EncodeToString(x.serverSig) }

// first reads "AUTH <mech> <client-first-message>" and answers with a 334
// challenge holding msg(x), the server-first-message to send.
func (x *scramServer) first(msg func(x *scramServer) string) scripttest.Step {
	return x.firstReply(func(x *scramServer) string {
		x.serverFirst = msg(x)
		return "334 " + b64(x.serverFirst)
	})
}

// firstReply reads the AUTH command and answers with the reply line
// reply(x), whatever it is.
func (x *scramServer) firstReply(reply func(x *scramServer) string) scripttest.Step {
	return func(c *scripttest.Conn) error {
		line, err := c.ReadLine()
		if err != nil {
			return err
		}
		prefix := "AUTH " + x.mech + " "
		payload, ok := strings.CutPrefix(line, prefix)
		payload, ok2 := strings.CutSuffix(payload, "\r\n")
		if !ok || !ok2 {
			return fmt.Errorf("client sent %q, want %q and an initial response", line, prefix)
		}
		msg, err := base64.StdEncoding.Strict().DecodeString(payload)
		if err != nil {
			return fmt.Errorf("initial response %q: %v", payload, err)
		}
		bare, ok := strings.CutPrefix(string(msg), x.gs2)
		if !ok {
			return fmt.Errorf("client-first-message %q, want gs2 header %q", msg, x.gs2)
		}
		nonce, ok := strings.CutPrefix(bare, "n="+user+",r=")
		if !ok || len(nonce) < 16 || strings.ContainsAny(nonce, ",=") {
			return fmt.Errorf("client-first-message-bare %q, want n=%s,r=<nonce>", bare, user)
		}
		x.firstBare, x.clientNonce, x.nonce = bare, nonce, nonce+"srv-N0nce"
		return c.WriteLine(reply(x))
	}
}

// final reads the client-final-message, checks its channel binding, nonce
// and proof against the password, and answers with the line reply(x).
func (x *scramServer) final(reply func(x *scramServer) string) scripttest.Step {
	return func(c *scripttest.Conn) error {
		line, err := c.ReadLine()
		if err != nil {
			return err
		}
		msg, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(line, "\r\n"))
		if err != nil {
			return fmt.Errorf("client-final-message %q: %v", line, err)
		}
		withoutProof, proof, ok := strings.Cut(string(msg), ",p=")
		if !ok {
			return fmt.Errorf("client-final-message %q has no proof", msg)
		}
		cbind := []byte(x.gs2)
		if strings.HasPrefix(x.gs2, "p=") {
			st, err := c.TLS()
			if err != nil {
				return err
			}
			data, err := st.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
			if err != nil {
				return err
			}
			cbind = append(cbind, data...)
		}
		if want := "c=" + base64.StdEncoding.EncodeToString(cbind) + ",r=" + x.nonce; withoutProof != want {
			return fmt.Errorf("client-final-message-without-proof %q, want %q", withoutProof, want)
		}
		salted, err := pbkdf2.Key(sha256.New, password, x.salt, x.iter, sha256.Size)
		if err != nil {
			return err
		}
		mac := func(key []byte, s string) []byte {
			m := hmac.New(sha256.New, key)
			m.Write([]byte(s))
			return m.Sum(nil)
		}
		clientKey := mac(salted, "Client Key")
		stored := sha256.Sum256(clientKey)
		authMessage := x.firstBare + "," + x.serverFirst + "," + withoutProof
		want := mac(stored[:], authMessage)
		for i := range want {
			want[i] ^= clientKey[i]
		}
		if got, _ := base64.StdEncoding.DecodeString(proof); !hmac.Equal(got, want) {
			return errors.New("wrong client proof")
		}
		x.serverSig = mac(mac(salted, "Server Key"), authMessage)
		return c.WriteLine(reply(x))
	}
}
