package client

import (
	"bytes"
	"strings"
	"testing"
)

// bdatEncode is the reference: what BDAT must carry for msg.
func bdatEncode(msg []byte) []byte {
	var out bytes.Buffer
	e := newLineEncoder(false)
	e.encode(&out, msg)
	e.finish(&out)
	return out.Bytes()
}

// FuzzChunker: whether or not a chunk takes the no-copy path, the bytes
// sent are the canonical encoding, also when the message arrives in two
// reads.
func FuzzChunker(f *testing.F) {
	for _, s := range []string{"", "a\r\nb\r\n", "a\nb", "a\r", "\r\n", "a\r\n\r", ".x\r\n", "a\r\r\nb\r\n",
		// Lines of one length, then a shorter one: a guessed LF position
		// jumps over an LF, which must still be checked.
		"ab\r\n\r\n\r\n", "ab\r\nab\r\n\nb\r\n", "ab\r\nab\r\n\n\r\r\n"} {
		f.Add([]byte(s), uint(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, msg []byte, split uint) {
		var ch chunker
		ch.begin()
		if err := ch.fill(bytes.NewReader(msg), int64(len(msg))); err != nil || !ch.last {
			t.Fatalf("fill: %v, last %v", err, ch.last)
		}
		if want := bdatEncode(msg); !bytes.Equal(ch.data, want) {
			t.Errorf("chunk of %q = %q, want %q", msg, ch.data, want)
		}

		// Two chunks: the first of k bytes, then the rest.
		k := int(split%uint(len(msg)+1)) + 1
		if k > len(msg) {
			return
		}
		r := bytes.NewReader(msg)
		ch.begin()
		if err := ch.fill(r, int64(k-1)); err != nil || ch.last {
			t.Fatalf("first fill: %v, last %v", err, ch.last)
		}
		got := append([]byte(nil), ch.data...)
		if err := ch.fill(r, int64(len(msg)-k)); err != nil || !ch.last {
			t.Fatalf("second fill: %v, last %v", err, ch.last)
		}
		got = append(got, ch.data...)
		if want := bdatEncode(msg); !bytes.Equal(got, want) {
			t.Errorf("%q in chunks of %d and %d = %q, want %q", msg, k, len(msg)-k, got, want)
		}
	})
}

func TestUnchanged(t *testing.T) {
	for in, want := range map[string]bool{
		"a\r\nb\r\n": true, "a\r\nb": false, "a\nb\r\n": false, "a\r\n\r": false, "a\rb\r\n": false,
		"\nab\r\n": false, "": false,
		"ab\r\n\r\n\r\n": true, "ab\r\nab\r\n\nb\r\n": false, "ab\r\nab\r\n\n\r\r\n": false,
		"ab\r\nab\r\nab\r\n": true, "ab\r\nab\r\na\rb\r\n": false,
	} {
		e := newLineEncoder(false)
		if got := e.unchanged([]byte(in), true); got != want {
			t.Errorf("unchanged(%q) = %v, want %v", in, got, want)
		}
	}
	e := newLineEncoder(false)
	if !e.unchanged([]byte("a\r\nb"), false) || e.lineStart {
		t.Error("a chunk ending mid-line, not the last, is unchanged and leaves the line open")
	}
}

// BenchmarkUnchanged measures the check that lets a canonical chunk go out
// without a copy, on a chunk of base64 lines of one length and on one of
// text lines of varying length.
func BenchmarkUnchanged(b *testing.B) {
	for _, tt := range []struct {
		name string
		line func(i int) string
	}{
		{"base64", func(int) string { return strings.Repeat("QUJD", 19) }},
		{"text", func(i int) string { return strings.Repeat("word ", 1+i%15) }},
	} {
		var p []byte
		for i := 0; len(p) < maxChunk-100; i++ {
			p = append(append(p, tt.line(i)...), "\r\n"...)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				e := newLineEncoder(false)
				if !e.unchanged(p, true) {
					b.Fatal("a canonical chunk was judged to need encoding")
				}
			}
		})
	}
}
