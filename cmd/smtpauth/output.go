package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/smtpauth/smtpauth/auth/registry"
)

// decision is one line of a selection report in --json output.
type decision struct {
	Name     string `json:"name"`
	Decision string `json:"decision"` // chosen, candidate, skipped or tried
	Reason   string `json:"reason"`
}

// selection converts a registry report for --json; never nil, so that it
// encodes as [] rather than null.
func selection(r *registry.Report) []decision {
	out := []decision{}
	if r == nil {
		return out
	}
	for _, d := range r.Decisions {
		out = append(out, decision{Name: d.Name, Decision: string(d.Outcome), Reason: d.Reason})
	}
	return out
}

// writeReport prints a registry report as an indented table: every
// mechanism, or only those the server advertised.
func writeReport(w io.Writer, r *registry.Report, all bool) {
	for _, d := range r.Decisions {
		if !all && !d.Advertised {
			continue
		}
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-20s %-9s %s", d.Name, d.Outcome, d.Reason), " "))
	}
}

// result is the outcome of probe or send, printed as text or JSON.
type result interface {
	setError(string)
	writeText(io.Writer)
}

// finish prints res and err as the flags ask and returns the exit status:
// 0 success, 1 failure, 2 usage error. With --json, stdout holds exactly
// one JSON object, whatever happened.
func finish(cmd string, o *options, res result, err error, stdout, stderr io.Writer) int {
	code := 0
	if err != nil {
		code = 1
		msg := err.Error()
		var uerr *usageError
		if errors.As(err, &uerr) {
			code = 2
			fmt.Fprintf(stderr, "smtpauth %s: %s\nRun 'smtpauth %s -h' for usage.\n", cmd, msg, cmd)
		} else {
			fmt.Fprintf(stderr, "smtpauth %s: %s\n", cmd, msg)
		}
		res.setError(msg)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "smtpauth %s: %v\n", cmd, err)
			return 1
		}
		return code
	}
	if code != 2 {
		res.writeText(stdout)
	}
	return code
}
