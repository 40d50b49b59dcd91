// Command bench compares SMTP clients through a latency-injecting proxy to
// a checking sink, and prints medians and ratios to net/smtp. See
// ../../README.md for the columns.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/smtpauth/smtpauth/bench"
)

type config struct {
	rounds, n int
	bigRounds int
	delays    []time.Duration
	sizes     []int
	rcpts     []int
	big, bigN int
	drivers   []bench.Driver
}

func main() {
	bench.ServeIfChild()
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func parseFlags() (config, error) {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds; each runs every driver once per case, in a rotating order")
	flag.IntVar(&cfg.n, "n", 200, "messages per run, over one connection")
	delays := flag.String("delays", "0,1ms,5ms", "one-way delays the proxy adds")
	sizes := flag.String("sizes", "2KiB", "message sizes")
	rcpts := flag.String("rcpts", "1,5", "recipient counts")
	big := flag.String("big", "20MiB", "message size of the throughput test; 0 skips it")
	flag.IntVar(&cfg.bigN, "bign", 5, "messages per run in the throughput test")
	flag.IntVar(&cfg.bigRounds, "bigrounds", 9, "rounds of the throughput test, after the others")
	drivers := flag.String("drivers", "", "comma-separated driver names; empty means all")
	flag.Parse()
	var err error
	if cfg.delays, err = bench.ParseDelays(*delays); err != nil {
		return cfg, err
	}
	if cfg.sizes, err = parseList(*sizes, parseSize); err != nil {
		return cfg, err
	}
	if cfg.rcpts, err = parseList(*rcpts, strconv.Atoi); err != nil {
		return cfg, err
	}
	if cfg.big, err = parseSize(*big); err != nil {
		return cfg, err
	}
	for _, d := range bench.Drivers() {
		if *drivers == "" || slices.Contains(strings.Split(*drivers, ","), d.Name) {
			cfg.drivers = append(cfg.drivers, d)
		}
	}
	if cfg.rounds < 1 || cfg.n < 1 || cfg.bigN < 1 || cfg.bigRounds < 1 || len(cfg.drivers) == 0 {
		return cfg, fmt.Errorf("bench: need -rounds, -n, -bign and -bigrounds >= 1 and at least one driver")
	}
	return cfg, nil
}

// A scenario is one row group of a table: of the first, or of the
// throughput test if big.
type scenario struct {
	delay       time.Duration
	size, rcpts int
	n           int
	big         bool
}

// references are the throughput test's baselines, measured in each round
// next to the drivers: total times for n messages.
type references struct {
	raw, preencoded []time.Duration
}

func run(cfg config) error {
	remote, err := bench.Start(cfg.delays)
	if err != nil {
		return err
	}
	defer remote.Close()

	fmt.Printf("%s %s/%s, GOMAXPROCS=%d, %d rounds, %d messages per run%s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), cfg.rounds, cfg.n, loadAvg())
	fmt.Println("one-way delay  measured RTT (median of 50 1-byte ping-pongs)")
	for _, d := range cfg.delays {
		rtt, err := remote.RTT(d, 50)
		if err != nil {
			return err
		}
		fmt.Printf("%-13v  %v\n", d, rtt.Round(time.Microsecond))
	}
	fmt.Println()

	var cases, bigCases []scenario
	for _, d := range cfg.delays {
		for _, s := range cfg.sizes {
			for _, r := range cfg.rcpts {
				cases = append(cases, scenario{d, s, r, cfg.n, false})
			}
		}
		if cfg.big > 0 {
			bigCases = append(bigCases, scenario{d, cfg.big, 1, cfg.bigN, true})
		}
	}
	m := measurements{
		results: make(map[scenario]map[string][]bench.Result),
		refs:    make(map[scenario]*references),
	}
	if cfg.big > 0 {
		m.bigMsg = bench.Message("raw", 0, cfg.big, bench.Recipients(1))
	}
	if err := m.run(remote, cfg.drivers, cfg.rounds, cases); err != nil {
		return err
	}
	if err := m.run(remote, cfg.drivers, cfg.bigRounds, bigCases); err != nil {
		return err
	}
	printTable(cfg, cases, m.results)
	if len(bigCases) > 0 {
		printBig(cfg, bigCases, m.results, m.refs)
	}
	return nil
}

// measurements collects the results of every round.
type measurements struct {
	results map[scenario]map[string][]bench.Result
	refs    map[scenario]*references
	bigMsg  []byte // what the raw copy sends
}

// run runs rounds rounds of cases with every driver.
func (m *measurements) run(remote *bench.Remote, drivers []bench.Driver, rounds int, cases []scenario) error {
	if len(cases) == 0 {
		return nil
	}
	for round := range rounds {
		// Rotating the order spreads slow moments of the machine over
		// every driver instead of always hitting the same one.
		order := append(drivers[round%len(drivers):], drivers[:round%len(drivers)]...)
		for _, sc := range cases {
			if m.results[sc] == nil {
				m.results[sc] = make(map[string][]bench.Result)
			}
			// The references run before the drivers in even rounds and
			// after them in odd ones.
			if sc.big && round%2 == 0 {
				if err := m.measureRefs(remote, sc); err != nil {
					return err
				}
			}
			for _, d := range order {
				res, err := remote.Run(d, sc.delay, sc.size, sc.rcpts, sc.n)
				if err != nil {
					return fmt.Errorf("round %d, %v: %w", round+1, sc, err)
				}
				m.results[sc][d.Name] = append(m.results[sc][d.Name], res)
			}
			if sc.big && round%2 == 1 {
				if err := m.measureRefs(remote, sc); err != nil {
					return err
				}
			}
		}
		what := "round"
		if cases[0].big {
			what = "throughput round"
		}
		fmt.Fprintf(os.Stderr, "%s %d/%d done%s\n", what, round+1, rounds, loadAvg())
	}
	return nil
}

// measureRefs measures the references of throughput scenario sc once.
func (m *measurements) measureRefs(remote *bench.Remote, sc scenario) error {
	r := m.refs[sc]
	if r == nil {
		r = new(references)
		m.refs[sc] = r
	}
	t, err := remote.RawCopy(sc.delay, m.bigMsg, sc.n)
	if err != nil {
		return err
	}
	r.raw = append(r.raw, t)
	if t, err = remote.PreencodedBDAT(sc.delay, sc.size, sc.n); err != nil {
		return err
	}
	r.preencoded = append(r.preencoded, t)
	return nil
}

// row is the medians of one driver's runs in one scenario, per message.
type row struct {
	rate, rt, allocs, bytes, cpu float64
}

func medians(rs []bench.Result) row {
	per := func(f func(bench.Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	return row{
		rate:   per(func(r bench.Result) float64 { return float64(r.Messages) / r.Elapsed.Seconds() }),
		rt:     per(func(r bench.Result) float64 { return float64(r.Turnarounds) / float64(r.Messages) }),
		allocs: per(func(r bench.Result) float64 { return float64(r.Mallocs) / float64(r.Messages) }),
		bytes:  per(func(r bench.Result) float64 { return float64(r.AllocBytes) / float64(r.Messages) }),
		cpu:    per(func(r bench.Result) float64 { return r.CPU.Seconds() * 1e6 / float64(r.Messages) }),
	}
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratio formats a/b, or "-" when there is no baseline.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func printTable(cfg config, cases []scenario, results map[scenario]map[string][]bench.Result) {
	fmt.Printf("Messages over one connection (medians of %d runs; x = ratio to net/smtp in the same run)\n", cfg.rounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "delay\tsize\trcpts\tdriver\tmsg/s\tx\trt/msg\tallocs/msg\tx\tB/msg\tx\tCPU µs/msg\tx\t")
	for _, sc := range cases {
		var base row
		if rs := results[sc][bench.NetSMTP]; rs != nil {
			base = medians(rs)
		}
		for _, d := range cfg.drivers {
			m := medians(results[sc][d.Name])
			fmt.Fprintf(w, "%v\t%s\t%d\t%s\t%.0f\t%s\t%.1f\t%.1f\t%s\t%.0f\t%s\t%.1f\t%s\t\n",
				sc.delay, formatSize(sc.size), sc.rcpts, d.Name,
				m.rate, ratio(m.rate, base.rate), m.rt,
				m.allocs, ratio(m.allocs, base.allocs), m.bytes, ratio(m.bytes, base.bytes),
				m.cpu, ratio(m.cpu, base.cpu))
		}
	}
	w.Flush()
	fmt.Println()
}

func printBig(cfg config, cases []scenario, results map[scenario]map[string][]bench.Result, refs map[scenario]*references) {
	fmt.Printf("Throughput: %d × %s per run (medians of %d runs; x = ratio to a raw io.Copy of the same bytes through the same proxy)\n",
		cfg.bigN, formatSize(cfg.big), cfg.bigRounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "delay\tdriver\tMB/s\tx\tallocs\tKB alloc\tCPU ms\t")
	for _, sc := range cases {
		mbps := func(ts []time.Duration) float64 {
			secs := make([]float64, len(ts))
			for i, t := range ts {
				secs[i] = t.Seconds()
			}
			return float64(cfg.big*sc.n) / 1e6 / median(secs)
		}
		base := mbps(refs[sc].raw)
		fmt.Fprintf(w, "%v\traw io.Copy\t%.0f\t1.00\t\t\t\t\n", sc.delay, base)
		pre := mbps(refs[sc].preencoded)
		fmt.Fprintf(w, "%v\tBDAT pre-encoded\t%.0f\t%s\t\t\t\t\n", sc.delay, pre, ratio(pre, base))
		for _, d := range cfg.drivers {
			rs := results[sc][d.Name]
			m := medians(rs)
			rate := m.rate * float64(rs[0].Bytes) / float64(rs[0].Messages) / 1e6
			fmt.Fprintf(w, "%v\t%s\t%.0f\t%s\t%.0f\t%.1f\t%.1f\t\n",
				sc.delay, d.Name, rate, ratio(rate, base), m.allocs, m.bytes/1e3, m.cpu/1e3)
		}
	}
	w.Flush()
}

func parseList(s string, parse func(string) (int, error)) ([]int, error) {
	var v []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := parse(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench: bad list element %q", f)
		}
		v = append(v, n)
	}
	return v, nil
}

var units = []struct {
	suffix string
	n      int
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}

// parseSize parses a byte count such as 2048, 2KiB or 20MiB.
func parseSize(s string) (int, error) {
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bench: bad size %q", s)
			}
			return n * u.n, nil
		}
	}
	return 0, fmt.Errorf("bench: bad size %q", s)
}

func formatSize(n int) string {
	for _, u := range units {
		if n >= u.n && n%u.n == 0 {
			return strconv.Itoa(n/u.n) + u.suffix
		}
	}
	return strconv.Itoa(n)
}

// loadAvg returns ", load average X Y Z" where the system tells it: other
// work on the machine is the first suspect for noisy numbers.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return ", load average " + strings.Join(f[:3], " ")
	}
	return ""
}
