package bench

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Remote is a sink process started by Start: the go-smtp sink, a discard
// and an echo server, and a delaying proxy in front of each for each delay.
// Running them in another process keeps their allocations and CPU time out
// of the client's measurements.
type Remote struct {
	addrs
	cmd   *exec.Cmd
	stdin io.Closer
	http  http.Client
	tags  atomic.Int64
}

// Start re-executes the current binary as a sink process (see
// ServeIfChild) with proxies for each delay.
func Start(delays []time.Duration) (*Remote, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	ds := make([]string, len(delays))
	for i, d := range delays {
		ds[i] = d.String()
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(ds, ","))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start sink: %w", err)
	}
	r := &Remote{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &r.addrs)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("bench: sink did not start: %w", err)
	}
	return r, nil
}

// Close stops the sink process.
func (r *Remote) Close() error {
	r.stdin.Close()
	return r.cmd.Wait()
}

// Addr returns the address of the proxy to target with the one-way delay,
// or "" if the sink was not started with that delay.
func (r *Remote) Addr(target string, delay time.Duration) string {
	return r.Routes[route(target, delay)]
}

// Tag returns what the sink received from sender tag.
func (r *Remote) Tag(tag string) (TagStats, error) {
	var st TagStats
	return st, r.get("/tag/"+url.PathEscape(tag), &st)
}

// Conn returns what the proxy saw on the connection from local.
func (r *Remote) Conn(local net.Addr) (ConnStats, error) {
	var st ConnStats
	return st, r.get("/conn/"+url.PathEscape(local.String()), &st)
}

func (r *Remote) get(path string, v any) error {
	resp, err := r.http.Get("http://" + r.Control + path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// newTag returns a sender tag no other run of this Remote used.
func (r *Remote) newTag(driver string) string {
	name := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(driver))
	return fmt.Sprintf("%s-%d", name, r.tags.Add(1))
}

// RTT returns the median of count 1-byte round trips through the echo
// proxy with the given one-way delay: the delay the clients really see,
// timer overshoot included.
func (r *Remote) RTT(delay time.Duration, count int) (time.Duration, error) {
	c, err := net.Dial("tcp", r.Addr(TargetEcho, delay))
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer c.Close()
	rtts := make([]time.Duration, count)
	b := []byte{0}
	for i := range rtts {
		start := time.Now()
		if _, err := c.Write(b); err != nil {
			return 0, fmt.Errorf("bench: echo: %w", err)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return 0, fmt.Errorf("bench: echo: %w", err)
		}
		rtts[i] = time.Since(start)
	}
	slices.Sort(rtts)
	return rtts[count/2], nil
}

// RawCopy sends data n times with io.Copy through the discard proxy with
// the given delay, each time waiting for the discard server to acknowledge
// it, and returns the total time: the baseline for a message transfer of
// that size.
func (r *Remote) RawCopy(delay time.Duration, data []byte, n int) (time.Duration, error) {
	c, err := net.Dial("tcp", r.Addr(TargetDiscard, delay))
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer c.Close()
	ack := make([]byte, 1)
	start := time.Now()
	for range n {
		if err := binary.Write(c, binary.BigEndian, uint64(len(data))); err != nil {
			return 0, fmt.Errorf("bench: discard: %w", err)
		}
		if _, err := io.Copy(c, bytes.NewReader(data)); err != nil {
			return 0, fmt.Errorf("bench: discard: %w", err)
		}
		if _, err := io.ReadFull(c, ack); err != nil {
			return 0, fmt.Errorf("bench: discard: %w", err)
		}
	}
	return time.Since(start), nil
}
