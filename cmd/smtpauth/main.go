// Command smtpauth is the command-line face of the smtpauth library.
//
// Usage:
//
//	smtpauth demo
//	smtpauth probe [flags] HOST:PORT
//	smtpauth send [flags] --from ADDR --to ADDR HOST:PORT < message
//
// demo starts an in-process SMTP server on loopback, connects to it with
// STARTTLS, lets the registry choose the authentication mechanism, sends a
// message, and prints the conversation (authentication payloads redacted),
// the registry's selection report and what the server received.
//
// probe connects to a server, secures the connection, and prints its
// extensions, its AUTH list and the registry's verdict on every mechanism
// for the credentials given, without authenticating.
//
// send sends the message read from standard input.
//
// Passwords and tokens are never taken from the command line, where other
// users of the machine can read them: they come from an environment
// variable or a file. Run "smtpauth help" for the flags.
//
// The exit status is 0 on success, 1 when the server or the policy refused
// (or anything else failed at run time) and 2 on a usage error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  smtpauth demo
  smtpauth probe [flags] HOST:PORT
  smtpauth send [flags] --from ADDR --to ADDR [--to ADDR...] HOST:PORT < message

commands:
  demo    send a message to an in-process server and show the conversation,
          the mechanism selection and what the server received
  probe   connect, secure the connection, and show the server's extensions,
          its AUTH list and the verdict on every mechanism; sends nothing
  send    send the message on standard input

flags of probe and send:
  --tls MODE            starttls (default): upgrade with STARTTLS, and fail if
                        the server does not offer it; implicit: TLS from the
                        first byte (port 465); none: plaintext, no TLS at all
  --ca FILE             also trust the CA certificates in FILE (PEM)
  --server-name NAME    name to verify the certificate for and to tell the
                        mechanisms (default: the host in HOST:PORT)
  --user NAME           user name
  --password-env VAR    read the password from environment variable VAR
  --password-file FILE  read the password from the first line of FILE
  --token-env VAR       read an OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER)
                        from environment variable VAR
  --token-file FILE     read the bearer token from the first line of FILE
  --cert FILE           client certificate (PEM), for EXTERNAL
  --key FILE            its private key (PEM; default: in the --cert file)
  --mech auto|NAME[,NAME...]
                        auto (default): the strongest mechanism the server
                        offers and the policy allows; or only the mechanisms
                        named, in that order of preference
  --timeout DURATION    bound the whole exchange (default 2m)
  --trace               print the SMTP conversation on stderr, authentication
                        payloads redacted
  --json                print one JSON object on stdout, also on failure

flags of send only:
  --from ADDR           envelope sender (MAIL FROM)
  --to ADDR             envelope recipient (RCPT TO); repeat for more

Passwords and tokens are never accepted on the command line, where other
users of the machine could read them: there is no --password flag. Without
--password-*, --token-* or --cert, send does not authenticate.
Cleartext-equivalent mechanisms (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) are used
only over TLS with a verified certificate, or to a loopback address.

exit status: 0 success, 1 refused by the server or the policy (or any other
failure), 2 usage error.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status: 0
// success, 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "demo":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "smtpauth demo: takes no arguments\n")
			return 2
		}
		if err := demo(ctx, stdout); err != nil {
			fmt.Fprintf(stderr, "smtpauth demo: %v\n", err)
			return 1
		}
		return 0
	case "probe":
		return probe(ctx, args[1:], stdout, stderr)
	case "send":
		return send(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "smtpauth: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
