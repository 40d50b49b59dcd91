package bench

import (
	"bufio"
	"hash/crc32"
	"io"
	"net/textproto"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"
)

// TagStats is what the sink received from one sender tag (the local part
// of MAIL FROM), one tag per driver run.
type TagStats struct {
	Received   int   // messages accepted
	Unique     int   // distinct X-Bench-Seq values among them
	Duplicated int   // messages whose X-Bench-Seq was seen before
	Corrupt    int   // messages whose headers, length, sum or recipients are wrong
	Bytes      int64 // message bytes received, headers included
}

// sink is a go-smtp backend that accepts any envelope and checks every
// message against the X-Bench-* headers written by Message.
type sink struct {
	mu   sync.Mutex
	tags map[string]*tagState
}

type tagState struct {
	TagStats
	seen map[int]bool
}

func newSink() *sink { return &sink{tags: make(map[string]*tagState)} }

// NewSession implements smtp.Backend.
func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }

func (s *sink) stats(tag string) TagStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tags[tag]; t != nil {
		return t.TagStats
	}
	return TagStats{}
}

func (s *sink) record(tag string, seq int, n int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tags[tag]
	if t == nil {
		t = &tagState{seen: make(map[int]bool)}
		s.tags[tag] = t
	}
	t.Received++
	t.Bytes += n
	switch {
	case !ok:
		t.Corrupt++
	case t.seen[seq]:
		t.Duplicated++
	default:
		t.seen[seq] = true
		t.Unique++
	}
}

type session struct {
	sink  *sink
	tag   string
	rcpts int
}

func (s *session) Reset()        { s.tag, s.rcpts = "", 0 }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.tag, _, _ = strings.Cut(from, "@")
	s.rcpts = 0
	return nil
}

func (s *session) Rcpt(string, *smtp.RcptOptions) error {
	s.rcpts++
	return nil
}

// Data reads the whole message before it returns, so that the sink has
// recorded it before the client sees the 250 reply.
func (s *session) Data(r io.Reader) error {
	cr := &countReader{r: r}
	seq, ok := check(bufio.NewReaderSize(cr, 64<<10), s.rcpts)
	s.sink.record(s.tag, seq, cr.n, ok)
	return nil
}

// check reads a message and reports its X-Bench-Seq and whether it matches
// its X-Bench-Rcpts, X-Bench-Len and X-Bench-Sum headers.
func check(br *bufio.Reader, rcpts int) (seq int, ok bool) {
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		io.Copy(io.Discard, br)
		return -1, false
	}
	seq, err1 := strconv.Atoi(h.Get("X-Bench-Seq"))
	want, err2 := strconv.Atoi(h.Get("X-Bench-Rcpts"))
	size, err3 := strconv.ParseInt(h.Get("X-Bench-Len"), 10, 64)
	// Some clients fold the long sum header; folding adds spaces.
	sum, err4 := strconv.ParseUint(strings.ReplaceAll(h.Get("X-Bench-Sum"), " ", ""), 16, 32)
	d := crc32.New(castagnoli)
	n, err5 := io.Copy(d, br)
	ok = err1 == nil && err2 == nil && err3 == nil && err4 == nil && err5 == nil &&
		want == rcpts && n == size && uint64(d.Sum32()) == sum
	return seq, ok
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
