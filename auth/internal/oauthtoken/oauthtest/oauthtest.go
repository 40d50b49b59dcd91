// Package oauthtest holds the test helpers that the tests of auth/xoauth2
// and auth/oauthbearer share: token sources that script what they hand
// out, and a server that plays scripted replies on a connection.
package oauthtest

import (
	"bufio"
	"net"

	"golang.org/x/oauth2"
)

// Tokens is a TokenSource that hands out List in order, repeating the last
// one, and counts the calls. With Err set, it fails with Err instead. It
// is not safe for concurrent use.
type Tokens struct {
	List  []string
	Err   error
	Calls int
}

// Token implements oauth2.TokenSource.
func (t *Tokens) Token() (*oauth2.Token, error) {
	t.Calls++
	if t.Err != nil {
		return nil, t.Err
	}
	if len(t.List) == 0 {
		return &oauth2.Token{}, nil
	}
	return &oauth2.Token{AccessToken: t.List[min(t.Calls, len(t.List))-1]}, nil
}

// NilToken is a TokenSource whose Token returns neither a token nor an
// error, as a broken one might.
type NilToken struct{}

// Token implements oauth2.TokenSource.
func (NilToken) Token() (*oauth2.Token, error) { return nil, nil }

// Static returns a TokenSource that always returns token.
func Static(token string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
}

// Serve plays an SMTP server on conn: it sends replies[0] as the greeting,
// then replies[i] after the i-th line it reads, and returns the lines read
// once it has closed conn.
func Serve(conn net.Conn, replies []string) <-chan []string {
	done := make(chan []string, 1)
	go func() {
		defer conn.Close()
		var lines []string
		r := bufio.NewReader(conn)
		for i, reply := range replies {
			if i > 0 {
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				lines = append(lines, line)
			}
			if _, err := conn.Write([]byte(reply)); err != nil {
				break
			}
		}
		done <- lines
	}()
	return done
}
