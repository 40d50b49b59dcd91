package registry

import (
	"slices"
	"strings"

	"github.com/smtpauth/smtpauth/auth"
)

// Select explains, without authenticating, what the registry would do with
// creds on the connection described by server and conn. The candidates are
// the Decisions with Outcome Chosen or Candidate, in order.
func (r *Registry) Select(creds Credentials, server *auth.ServerInfo, conn auth.ConnState) *Report {
	mechs := r.Mechanisms()
	policy := r.Policy()
	return selectMechanisms(mechs, &policy, &creds, server, conn)
}

func selectMechanisms(mechs []Mechanism, p *Policy, creds *Credentials, server *auth.ServerInfo, conn auth.ConnState) *Report {
	// Only well-formed names count: net/smtp's client passes the server's
	// spelling through, look-alike letters included.
	var names []string
	advertised := make(map[string]bool, len(server.Auth))
	for _, name := range server.Auth {
		if name, ok := auth.CanonicalMechanism(name); ok && !advertised[name] {
			advertised[name] = true
			names = append(names, name)
		}
	}
	var usable, skipped []Decision
	for i := range mechs {
		m := &mechs[i]
		d := Decision{Name: m.Name, Advertised: advertised[m.Name], Registered: true, Outcome: Skipped}
		switch {
		case !d.Advertised:
			d.Reason = "not advertised by the server"
		case creds.Host != "" && !strings.EqualFold(creds.Host, server.Name):
			d.Reason = "the credentials are for " + creds.Host + ", not " + server.Name
		case !creds.has(m.Needs):
			d.Reason = "no credentials for it"
		default:
			d.Reason = p.refuse(m, server, conn)
		}
		if d.Reason == "" {
			d.Outcome, d.Reason = Candidate, "usable; next if the chosen one is refused"
			usable = append(usable, d)
		} else {
			skipped = append(skipped, d)
		}
	}
	for _, name := range names {
		if !slices.ContainsFunc(mechs, func(m Mechanism) bool { return m.Name == name }) &&
			!slices.ContainsFunc(skipped, func(d Decision) bool { return d.Name == name }) {
			skipped = append(skipped, Decision{Name: name, Advertised: true, Outcome: Skipped, Reason: "not registered"})
		}
	}
	// Mechanisms come sorted by rank; a stable sort on the preference
	// index keeps rank order among the rest.
	slices.SortStableFunc(usable, func(a, b Decision) int {
		return preference(p.Prefer, a.Name) - preference(p.Prefer, b.Name)
	})
	if len(usable) > 0 {
		usable[0].Outcome, usable[0].Reason = Chosen, "strongest usable"
		if preference(p.Prefer, usable[0].Name) < len(p.Prefer) {
			usable[0].Reason = "preferred by the policy"
		}
	}
	return &Report{Decisions: append(usable, skipped...)}
}

// preference is name's index in prefer, or len(prefer) if it is not there.
func preference(prefer []string, name string) int {
	if i := slices.IndexFunc(prefer, func(s string) bool { return strings.EqualFold(s, name) }); i >= 0 {
		return i
	}
	return len(prefer)
}
