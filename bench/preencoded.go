package bench

import (
	"fmt"
	"net"
	"net/textproto"
	"time"
)

// preencodedChunk is the BDAT chunk size of PreencodedBDAT: smtpauth's.
const preencodedChunk = 1 << 20

// PreencodedBDAT sends n messages of size bytes to the sink through the
// proxy with the given delay, as no BDAT client can beat: each message's
// MAIL, RCPT and BDAT chunks are encoded before the clock starts and go out
// in one write, then the replies are read. Next to RawCopy, whose ceiling
// is the path's, it shows the ceiling that the sink's SMTP server sets on
// every BDAT client. The sink checks the messages as it checks the
// drivers'.
func (r *Remote) PreencodedBDAT(delay time.Duration, size, n int) (time.Duration, error) {
	conn, err := net.Dial("tcp", r.Addr(TargetSMTP, delay))
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	c := textproto.NewConn(conn)
	defer c.Close()
	tag := r.newTag("bdat pre-encoded")
	from := tag + "@" + Domain
	to := Recipients(1)
	type wire struct {
		bytes   []byte
		replies int
	}
	wires := make([]wire, n)
	for i := range wires {
		msg := Message(tag, i, size, to)
		w := fmt.Appendf(nil, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n", from, to[0])
		replies := 2
		for len(msg) > 0 {
			k := min(len(msg), preencodedChunk)
			last := ""
			if k == len(msg) {
				last = " LAST"
			}
			w = fmt.Appendf(w, "BDAT %d%s\r\n", k, last)
			w = append(w, msg[:k]...)
			msg = msg[k:]
			replies++
		}
		wires[i] = wire{w, replies}
	}
	if _, _, err := c.ReadResponse(220); err != nil {
		return 0, fmt.Errorf("bench: pre-encoded BDAT: %w", err)
	}
	if err := c.PrintfLine("EHLO client.%s", Domain); err != nil {
		return 0, fmt.Errorf("bench: pre-encoded BDAT: %w", err)
	}
	if _, _, err := c.ReadResponse(250); err != nil {
		return 0, fmt.Errorf("bench: pre-encoded BDAT: %w", err)
	}

	start := time.Now()
	for _, w := range wires {
		if _, err := conn.Write(w.bytes); err != nil {
			return 0, fmt.Errorf("bench: pre-encoded BDAT: %w", err)
		}
		for range w.replies {
			if _, _, err := c.ReadResponse(250); err != nil {
				return 0, fmt.Errorf("bench: pre-encoded BDAT: %w", err)
			}
		}
	}
	elapsed := time.Since(start)

	st, err := r.Tag(tag)
	if err != nil {
		return 0, err
	}
	if st.Received != n || st.Unique != n || st.Corrupt != 0 {
		return 0, fmt.Errorf("%w: %s: sent %d, received %d, unique %d, corrupt %d",
			ErrDelivery, tag, n, st.Received, st.Unique, st.Corrupt)
	}
	return elapsed, nil
}
