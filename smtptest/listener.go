package smtptest

import (
	"net"
	"sync"
)

// listener remembers every accepted connection so that Close can interrupt
// them all. go-smtp only learns of a connection once its goroutine runs, so
// its own Close can miss one accepted just before.
//
// Connections are never forgotten: a test server sees few of them, and
// closing one twice is harmless.
type listener struct {
	net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c] = struct{}{}
	return c, nil
}

// closeConns closes every accepted connection. It must be called only after
// Serve has returned, so that no connection can be accepted afterwards.
func (l *listener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
}
