// Command smtpauth is the command-line face of the smtpauth library.
//
// Usage:
//
//	smtpauth demo
//
// demo starts an in-process SMTP server on loopback, connects to it with
// STARTTLS, authenticates, sends a message, and prints the conversation
// (authentication payloads redacted) and what the server received.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `usage: smtpauth <command>

commands:
  demo    send a message to an in-process server and show the conversation
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit status: 0 success, 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "smtpauth: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
