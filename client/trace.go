package client

import (
	"context"
	"log/slog"
	"strings"
)

// redacted is what the trace shows of a line sent during AUTH: the
// command and mechanism name, or the cancelling "*", never a payload.
func (c *Client) redacted(line string) string {
	if !c.redact || line == "*" {
		return line
	}
	if rest, ok := strings.CutPrefix(line, "AUTH "); ok {
		mech, payload, _ := strings.Cut(rest, " ")
		if payload == "" {
			return line
		}
		return "AUTH " + mech + " [redacted]"
	}
	return "[redacted]"
}

// trace logs one line the client sent.
func (c *Client) trace(msg, line string) {
	if c.Logger == nil {
		return
	}
	c.Logger.LogAttrs(context.Background(), slog.LevelDebug, msg, slog.String("line", line))
}

// traceReply logs a reply line by line. During AUTH, challenges are
// redacted too: some mechanisms echo the client's identity in them.
func (c *Client) traceReply(r *reply) {
	if c.Logger == nil {
		return
	}
	sep := "-"
	lines := r.lines()
	for i, text := range lines {
		if i == len(lines)-1 {
			sep = " "
		}
		if c.redact && r.code == 334 {
			// Challenges are redacted too: some echo the client's identity.
			text = "[redacted]"
		}
		c.trace("recv", itoa3(r.code)+sep+text)
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
