package smtptest

import (
	"net"
	"sync"
	"time"
)

// listener remembers every accepted connection so that Close can interrupt
// them all. go-smtp only learns of a connection once its goroutine runs, so
// its own Close can miss one accepted just before.
//
// It also counts the connections the server is busy on, for Transcript:
// go-smtp logs what it sends just after sending it, but always before it
// next reads, so once every connection waits in Read or is closed, the log
// holds every reply a client can have seen.
//
// Connections are never forgotten: a test server sees few of them, and
// closing one twice is harmless.
type listener struct {
	net.Listener

	mu    sync.Mutex
	conns map[*conn]struct{}
	busy  int // connections neither blocked in Read nor closed
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Busy from the start: the greeting comes before any Read.
	lc := &conn{Conn: c, l: l, busy: true}
	l.conns[lc] = struct{}{}
	l.busy++
	return lc, nil
}

// closeConns closes every accepted connection. It must be called only after
// Serve has returned, so that no connection can be accepted afterwards.
func (l *listener) closeConns() {
	l.mu.Lock()
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// waitIdle waits until no connection is busy, or for at most timeout, so
// that a connection stuck in a Write cannot block a test forever.
func (l *listener) waitIdle(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		l.mu.Lock()
		busy := l.busy
		l.mu.Unlock()
		if busy == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// conn is an accepted connection, below TLS if any, so that go-smtp still
// sees its own *tls.Conn.
type conn struct {
	net.Conn
	l *listener

	busy, closed bool // guarded by l.mu
}

func (c *conn) Read(p []byte) (int, error) {
	c.setBusy(false)
	defer c.setBusy(true)
	return c.Conn.Read(p)
}

func (c *conn) Close() error {
	c.l.mu.Lock()
	c.setBusyLocked(false)
	c.closed = true
	c.l.mu.Unlock()
	return c.Conn.Close()
}

func (c *conn) setBusy(busy bool) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.setBusyLocked(busy)
}

func (c *conn) setBusyLocked(busy bool) {
	if c.closed || c.busy == busy {
		return
	}
	c.busy = busy
	if busy {
		c.l.busy++
	} else {
		c.l.busy--
	}
}
