package client

import (
	"context"
	"log/slog"
)

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
	for i, text := range r.lines {
		if i == len(r.lines)-1 {
			sep = " "
		}
		if c.redact && r.code == 334 {
			text = "[redacted]"
		}
		c.trace("recv", itoa3(r.code)+sep+text)
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
