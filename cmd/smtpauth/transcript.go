package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// transcript is a slog.Handler that prints the client's trace events as an
// SMTP transcript: "C:" for lines sent, "S:" for lines received. The client
// has already replaced authentication payloads by "[redacted]"; other
// events, such as the registry's selection decisions, are left to the
// selection report.
type transcript struct{ w io.Writer }

func (transcript) Enabled(context.Context, slog.Level) bool { return true }

func (t transcript) Handle(_ context.Context, r slog.Record) error {
	prefix := ""
	switch r.Message {
	case "send":
		prefix = "C: "
	case "recv":
		prefix = "S: "
	default:
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			fmt.Fprintf(t.w, "%s%s\n", prefix, a.Value.String())
		}
		return true
	})
	return nil
}

func (t transcript) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t transcript) WithGroup(string) slog.Handler      { return t }
