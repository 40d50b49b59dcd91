// Package bench compares smtpauth's client with net/smtp and other Go SMTP
// clients, through a latency-injecting proxy to a sink server that checks
// every message it receives. See README.md for how to run it.
package bench

import (
	"fmt"
	"hash/crc32"
)

// Domain is the domain of every address the benchmark uses.
const Domain = "bench.test"

// lineLen is the length of a body line without its CRLF: under the 78
// characters RFC 5322 §2.1.1 recommends, so that no client rewraps it.
const lineLen = 76

// Recipients returns k distinct recipient addresses.
func Recipients(k int) []string {
	to := make([]string, k)
	for i := range to {
		to[i] = fmt.Sprintf("rcpt%d@%s", i, Domain)
	}
	return to
}

// Message returns a message of about size bytes from tag@Domain to the
// recipients to, with CRLF line endings. Its X-Bench-* headers let the sink
// check it: X-Bench-Seq is seq, X-Bench-Rcpts the number of recipients,
// X-Bench-Len and X-Bench-Sum the length and CRC-32C of the body (a
// checksum the sink computes at memory speed, so that it does not limit the
// throughput it measures). Every
// tenth body line starts with a dot, so that dot-stuffing is exercised, and
// the body depends on seq, so that a message swapped for another is seen.
func Message(tag string, seq, size int, to []string) []byte {
	head := fmt.Sprintf("From: <%s@%s>\r\nTo: <%s>\r\nSubject: bench %s %d\r\nX-Bench-Seq: %d\r\nX-Bench-Rcpts: %d\r\n",
		tag, Domain, to[0], tag, seq, seq, len(to))
	// The length and sum headers are fixed-size, so the body size is known.
	const tail = len("X-Bench-Len: 0000000000\r\nX-Bench-Sum: 00000000\r\n\r\n")
	n := max(size-len(head)-tail, lineLen+2)
	n -= n % (lineLen + 2)
	body := make([]byte, 0, n)
	x := uint32(seq)*2654435761 + 1
	for line := 0; len(body) < n; line++ {
		for i := range lineLen {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			c := 'a' + byte(x%26)
			if i == 0 && line%10 == 9 {
				c = '.'
			}
			body = append(body, c)
		}
		body = append(body, '\r', '\n')
	}
	sum := crc32.Checksum(body, castagnoli)
	msg := make([]byte, 0, len(head)+tail+len(body))
	msg = append(msg, head...)
	msg = fmt.Appendf(msg, "X-Bench-Len: %010d\r\nX-Bench-Sum: %08x\r\n\r\n", len(body), sum)
	return append(msg, body...)
}

// castagnoli is CRC-32C, which the CPU computes in hardware on amd64/arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)
