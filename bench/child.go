package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// childEnv, when set in the environment, makes ServeIfChild run the sink
// and proxies: its value is the comma-separated list of one-way delays.
const childEnv = "SMTPAUTH_BENCH_SINK"

// MaxMessageBytes is the SIZE the sink advertises.
const MaxMessageBytes = 64 << 20

// Targets a proxy can forward to, for Remote.Addr.
const (
	TargetSMTP    = "smtp"    // the go-smtp sink
	TargetDiscard = "discard" // reads a length-prefixed payload, answers one byte
	TargetEcho    = "echo"    // echoes every byte
)

// addrs is what the child prints on its first line of output.
type addrs struct {
	Control string            // HTTP address of the stats endpoints
	Routes  map[string]string // route(target, delay) → proxy address
}

func route(target string, delay time.Duration) string { return target + "/" + delay.String() }

// ServeIfChild runs the sink process and exits if this process was started
// as one by Start; otherwise it returns at once. Call it first in main (or
// TestMain) of any program that calls Start.
func ServeIfChild() {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	if err := serveChild(v); err != nil {
		fmt.Fprintln(os.Stderr, "bench sink:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serveChild(delayList string) error {
	delays, err := ParseDelays(delayList)
	if err != nil {
		return err
	}
	listen := func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	sk := newSink()
	srv := smtp.NewServer(sk)
	srv.Domain = "sink." + Domain
	srv.MaxMessageBytes = MaxMessageBytes
	srv.ErrorLog = log.New(io.Discard, "", 0)
	targets := map[string]func(net.Listener){
		TargetSMTP:    func(l net.Listener) { srv.Serve(l) },
		TargetDiscard: func(l net.Listener) { serveEach(l, discard) },
		TargetEcho:    func(l net.Listener) { serveEach(l, echo) },
	}
	out := addrs{Routes: make(map[string]string)}
	var proxies []*proxy
	for name, serve := range targets {
		l, err := listen()
		if err != nil {
			return err
		}
		go serve(l)
		for _, d := range delays {
			pl, err := listen()
			if err != nil {
				return err
			}
			p := newProxy(l.Addr().String(), d)
			proxies = append(proxies, p)
			go p.serve(pl)
			out.Routes[route(name, d)] = pl.Addr().String()
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tag/{tag}", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(sk.stats(r.PathValue("tag")))
	})
	mux.HandleFunc("GET /conn/{addr}", func(w http.ResponseWriter, r *http.Request) {
		for _, p := range proxies {
			if st, ok := p.stats(r.PathValue("addr")); ok {
				json.NewEncoder(w).Encode(st)
				return
			}
		}
		http.NotFound(w, r)
	})
	cl, err := listen()
	if err != nil {
		return err
	}
	go http.Serve(cl, mux)
	out.Control = cl.Addr().String()
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return err
	}
	// The parent holds our stdin: when it closes it, or dies, we stop.
	io.Copy(io.Discard, os.Stdin)
	return nil
}

func serveEach(l net.Listener, h func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() { defer c.Close(); h(c) }()
	}
}

func echo(c net.Conn) { io.Copy(c, c) }

// discard reads an 8-byte big-endian length and that many bytes, then
// answers one byte, repeatedly: the raw baseline for a message transfer.
func discard(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		var n uint64
		if err := binary.Read(br, binary.BigEndian, &n); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			return
		}
		if _, err := c.Write([]byte{1}); err != nil {
			return
		}
	}
}

// ParseDelays parses a comma-separated list of durations; "0" is allowed.
func ParseDelays(s string) ([]time.Duration, error) {
	var ds []time.Duration
	for f := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bench: bad delay %q", f)
		}
		ds = append(ds, d)
	}
	return ds, nil
}
