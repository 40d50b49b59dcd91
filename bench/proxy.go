package bench

import (
	"net"
	"sync"
	"time"
)

// ConnStats is what the proxy saw on one client connection.
type ConnStats struct {
	// Turnarounds counts the times the client sent bytes after the server
	// had sent some: each is a round trip the client waited for (or at
	// least did not overlap with its own writes).
	Turnarounds int
	Up, Down    int64 // bytes from the client, bytes to the client
}

// proxy forwards connections to target, delaying each direction's bytes by
// delay. Each direction has a queue of (deliverAt, bytes) chunks and a
// writer that sleeps until each chunk is due, so throughput is not limited
// to one chunk per delay.
type proxy struct {
	target string
	delay  time.Duration
	bufs   sync.Pool

	mu    sync.Mutex
	conns map[string]*connState // by client address
}

type connState struct {
	ConnStats
	lastDown bool // the last bytes seen went to the client
}

type chunk struct {
	at  time.Time
	buf *[]byte
	n   int
}

// queueLen bounds the bytes in flight per direction to queueLen chunks, so
// that a fast sender meets back-pressure instead of growing memory.
const (
	chunkSize = 32 << 10
	queueLen  = 512
)

func newProxy(target string, delay time.Duration) *proxy {
	p := &proxy{target: target, delay: delay, conns: make(map[string]*connState)}
	p.bufs.New = func() any { b := make([]byte, chunkSize); return &b }
	return p
}

func (p *proxy) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *proxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	key := client.RemoteAddr().String()
	st := &connState{}
	p.mu.Lock()
	p.conns[key] = st
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, key)
		p.mu.Unlock()
	}()
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, st, false); done <- struct{}{} }()
	go func() { p.pipe(client, server, st, true); done <- struct{}{} }()
	<-done
	<-done
}

// pipe copies src to dst through the delay queue; down is true for the
// server-to-client direction.
func (p *proxy) pipe(dst, src net.Conn, st *connState, down bool) {
	q := make(chan chunk, queueLen)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		failed := false
		for c := range q {
			if d := time.Until(c.at); d > 0 {
				time.Sleep(d)
			}
			if !failed {
				_, err := dst.Write((*c.buf)[:c.n])
				failed = err != nil
			}
			p.bufs.Put(c.buf)
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	for {
		buf := p.bufs.Get().(*[]byte)
		n, err := src.Read(*buf)
		if n > 0 {
			p.mu.Lock()
			if !down && st.lastDown {
				st.Turnarounds++
			}
			st.lastDown = down
			if down {
				st.Down += int64(n)
			} else {
				st.Up += int64(n)
			}
			p.mu.Unlock()
			q <- chunk{at: time.Now().Add(p.delay), buf: buf, n: n}
		} else {
			p.bufs.Put(buf)
		}
		if err != nil {
			break
		}
	}
	close(q)
	<-wrote
}

func (p *proxy) stats(client string) (ConnStats, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.conns[client]
	if !ok {
		return ConnStats{}, false
	}
	return st.ConnStats, true
}
