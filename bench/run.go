package bench

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// ErrDelivery reports that the sink did not receive exactly the messages
// sent: some were lost, duplicated or corrupted.
var ErrDelivery = errors.New("bench: delivery check failed")

// Conn is a driver's session through a proxy to the sink, with a sender
// tag of its own.
type Conn struct {
	Sender
	Tag    string // MAIL FROM is Tag@Domain
	remote *Remote
	conn   net.Conn
}

// Dial connects d through the proxy with the given one-way delay and does
// the driver's untimed setup (greeting, EHLO).
func (r *Remote) Dial(d Driver, delay time.Duration) (*Conn, error) {
	addr := r.Addr(TargetSMTP, delay)
	if addr == "" {
		return nil, fmt.Errorf("bench: no proxy with delay %v", delay)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	s, err := d.Open(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Conn{Sender: s, Tag: r.newTag(d.Name), remote: r, conn: conn}, nil
}

// From is the envelope sender of c's messages.
func (c *Conn) From() string { return c.Tag + "@" + Domain }

// Messages returns n messages of c's tag with sequence numbers first,
// first+1, ...
func (c *Conn) Messages(first, n, size int, to []string) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = Message(c.Tag, first+i, size, to)
	}
	return msgs
}

// Stats returns what the proxy has seen on c so far.
func (c *Conn) Stats() (ConnStats, error) { return c.remote.Conn(c.conn.LocalAddr()) }

// Verify checks that the sink received each of c's sequence numbers
// 0..n-1 exactly once, intact; it returns ErrDelivery if not.
func (c *Conn) Verify(n int) (TagStats, error) {
	st, err := c.remote.Tag(c.Tag)
	if err != nil {
		return st, err
	}
	if st.Received != n || st.Unique != n || st.Duplicated != 0 || st.Corrupt != 0 {
		return st, fmt.Errorf("%w: %s: sent %d, received %d, lost %d, duplicated %d, corrupt %d",
			ErrDelivery, c.Tag, n, st.Received, n-st.Unique, st.Duplicated, st.Corrupt)
	}
	return st, nil
}

// Result is one timed run of a driver: n messages over one connection.
type Result struct {
	Driver      string
	Messages    int
	Bytes       int64         // message bytes the sink received
	Elapsed     time.Duration // wall time of the sending loop
	CPU         time.Duration // user+system time of this process in the loop
	Mallocs     uint64        // heap allocations in the loop
	AllocBytes  uint64        // heap bytes allocated in the loop
	Turnarounds int           // client writes after server bytes, per the proxy
}

// Run sends n messages of size bytes to rcpts recipients with driver d
// through the proxy with the given delay, measures the sending loop, and
// checks that the sink received every message once and intact. The
// messages are built before the loop, so their allocations do not count.
func (r *Remote) Run(d Driver, delay time.Duration, size, rcpts, n int) (Result, error) {
	c, err := r.Dial(d, delay)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	to := Recipients(rcpts)
	msgs := c.Messages(0, n, size, to)
	before, err := c.Stats()
	if err != nil {
		return Result{}, err
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	start := time.Now()
	err = c.Send(c.From(), to, msgs)
	elapsed := time.Since(start)
	cpu1 := cpuTime()
	runtime.ReadMemStats(&m1)
	if err != nil {
		return Result{}, err
	}
	after, err := c.Stats()
	if err != nil {
		return Result{}, err
	}
	st, err := c.Verify(n)
	if err != nil {
		return Result{}, err
	}
	return Result{
		Driver:      d.Name,
		Messages:    n,
		Bytes:       st.Bytes,
		Elapsed:     elapsed,
		CPU:         cpu1 - cpu0,
		Mallocs:     m1.Mallocs - m0.Mallocs,
		AllocBytes:  m1.TotalAlloc - m0.TotalAlloc,
		Turnarounds: after.Turnarounds - before.Turnarounds,
	}, nil
}
