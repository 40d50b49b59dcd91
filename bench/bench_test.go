package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"
)

// remote is the sink process shared by the tests and benchmarks of this
// binary; it is a re-execution of the test binary (see ServeIfChild).
var remote *Remote

func TestMain(m *testing.M) {
	ServeIfChild()
	var err error
	remote, err = Start([]time.Duration{0, time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	remote.Close()
	os.Exit(code)
}

// TestSmoke runs every driver through the 1 ms proxy and checks that the
// sink received every message once and intact. It asserts no timing.
func TestSmoke(t *testing.T) {
	for _, d := range Drivers() {
		for _, rcpts := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/rcpts=%d", d.Name, rcpts), func(t *testing.T) {
				if _, err := remote.Run(d, time.Millisecond, 2<<10, rcpts, 20); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestLargeMessage sends one 3 MiB message with every driver: long enough
// to cross many proxy chunks and client buffers.
func TestLargeMessage(t *testing.T) {
	for _, d := range Drivers() {
		t.Run(d.Name, func(t *testing.T) {
			if _, err := remote.Run(d, 0, 3<<20, 1, 1); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReferences runs the throughput test's baselines: the raw copy, and
// the pre-encoded BDAT whose messages the sink must receive intact.
func TestReferences(t *testing.T) {
	msg := Message("raw", 0, 3<<20, Recipients(1))
	if _, err := remote.RawCopy(time.Millisecond, msg, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.PreencodedBDAT(time.Millisecond, 3<<20, 2); err != nil {
		t.Fatal(err)
	}
}

// TestSinkDetects checks that the sink's check sees what it must: a
// changed body, a truncated one, a wrong recipient count and a duplicate,
// and that it accepts a folded header.
func TestSinkDetects(t *testing.T) {
	msg := Message("t", 7, 2<<10, Recipients(2))
	bad := append([]byte(nil), msg...)
	bad[len(bad)-3] ^= 1
	folded := bytes.Replace(msg, []byte("X-Bench-Sum: "), []byte("X-Bench-Sum:\r\n "), 1)
	for _, tc := range []struct {
		msg   []byte
		rcpts int
		ok    bool
	}{{msg, 2, true}, {folded, 2, true}, {msg, 1, false}, {bad, 2, false}, {msg[:len(msg)-10], 2, false}} {
		seq, ok := check(bufio.NewReader(bytes.NewReader(tc.msg)), tc.rcpts)
		if ok != tc.ok || (ok && seq != 7) {
			t.Errorf("check(rcpts=%d, len=%d) = %d, %v; want ok=%v", tc.rcpts, len(tc.msg), seq, ok, tc.ok)
		}
	}
	s := newSink()
	s.record("x", 1, 10, true)
	s.record("x", 1, 10, true)
	s.record("x", 2, 10, false)
	if got, want := s.stats("x"), (TagStats{Received: 3, Unique: 1, Duplicated: 1, Corrupt: 1, Bytes: 30}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// BenchmarkSend sends 2 KiB messages to one recipient with each driver,
// without delay, over one connection per benchmark run. rt/msg is the
// client's turnarounds per message as the proxy counts them.
func BenchmarkSend(b *testing.B) {
	for _, d := range Drivers() {
		for _, rcpts := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s/rcpts=%d", d.Name, rcpts), func(b *testing.B) {
				benchSend(b, d, 2<<10, rcpts)
			})
		}
	}
}

func benchSend(b *testing.B, d Driver, size, rcpts int) {
	c, err := remote.Dial(d, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	to := Recipients(rcpts)
	before, err := c.Stats()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	// Messages are built in chunks with the timer stopped, so that neither
	// their allocations nor b.N of them at once weigh on the measure.
	for sent := 0; sent < b.N; {
		b.StopTimer()
		msgs := c.Messages(sent, min(b.N-sent, 256), size, to)
		b.StartTimer()
		if err := c.Send(c.From(), to, msgs); err != nil {
			b.Fatal(err)
		}
		sent += len(msgs)
	}
	b.StopTimer()
	after, err := c.Stats()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(after.Turnarounds-before.Turnarounds)/float64(b.N), "rt/msg")
	if _, err := c.Verify(b.N); err != nil {
		b.Fatal(err)
	}
}
