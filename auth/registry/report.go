package registry

import (
	"fmt"
	"strings"
)

// Outcome is what happened to one mechanism during selection.
type Outcome string

// The outcomes a Report can hold.
const (
	Chosen    Outcome = "chosen"    // selected; in use, or succeeded
	Candidate Outcome = "candidate" // usable, kept in reserve for a fallback
	Skipped   Outcome = "skipped"   // not usable; Reason says why
	Tried     Outcome = "tried"     // used and refused; Reason holds the reply
)

// Decision is the Report's line for one mechanism.
type Decision struct {
	Name       string
	Advertised bool // the server listed it
	Registered bool // the registry holds it
	Outcome    Outcome
	Reason     string
}

// Report explains a selection: one Decision per mechanism the server
// advertised or the registry holds, candidates in the order they would be
// tried, then the skipped ones.
type Report struct {
	Decisions []Decision
}

// Chosen returns the name of the chosen mechanism, or "" if none was.
func (r *Report) Chosen() string {
	for _, d := range r.Decisions {
		if d.Outcome == Chosen {
			return d.Name
		}
	}
	return ""
}

func (r *Report) find(name string) *Decision {
	for i := range r.Decisions {
		if r.Decisions[i].Name == name {
			return &r.Decisions[i]
		}
	}
	return nil
}

// String formats the report as a table, one mechanism per line.
func (r *Report) String() string {
	var b strings.Builder
	for _, d := range r.Decisions {
		fmt.Fprintf(&b, "%-20s %-9s %s\n", d.Name, d.Outcome, d.Reason)
	}
	return b.String()
}

// errNoMechanism wraps ErrNoMechanism with the reasons in r, so that the
// error alone tells a caller what to change.
func (r *Report) errNoMechanism() error {
	var reasons []string
	for _, d := range r.Decisions {
		if d.Advertised {
			reasons = append(reasons, d.Name+": "+d.Reason)
		}
	}
	if len(reasons) == 0 {
		return fmt.Errorf("%w: the server advertised no mechanism", ErrNoMechanism)
	}
	return fmt.Errorf("%w (%s)", ErrNoMechanism, strings.Join(reasons, "; "))
}
