package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/internal/benchmeter"
)

// The load driver of BENCHMARKS.md: 64 concurrent callers, each on its own
// keep-alive connection, post recharges for loadPayers payers to a real
// instance (Badger with synced commits in a temporary directory, the shipped
// policy and lists) over loopback. It reports events/s, the p50/p99 latency
// of a call, the CPU time of the whole process (server and driver) per
// call, the events per commit and, from the instance's metrics, the mean
// time of an event in each stage of the pipeline (queued-ms, scoring-ms,
// waiting-ms) and of a commit (commit-ms); the rest of a call's latency is
// HTTP, and waiting for a core to read the request and the response. The
// garbage collector is configured as serve configures it (Go's default
// target, or GOGC if set; in a container, a soft memory limit).
//
// The driver shares the machine's cores with the server it measures, in
// its process. (A driver in a process of its own was tried: the two then
// take turns on the cores through the kernel's scheduler, and the same load
// ran 15-20% slower with no better tail; BENCHMARKS.md.) So it is kept
// cheap, as wrk-style drivers are: request bytes are built before the
// clock starts, each is written in one call, and responses are read with a
// minimal HTTP/1.1 parser (status line, Content-Length, body).
//
// The clock starts once the server is in its steady state: the same 64
// callers first send warm-up traffic until the collector has finished two
// cycles. Before that the heap is still growing towards its first goal,
// and every request pays for page faults on memory the process has never
// touched (about eight per request, see BENCHMARKS.md); a service that has
// run for a minute has long stopped paying them. After the warm-up the
// timed requests meet what a long-running service meets: collections,
// Badger's memtable flushes and the journal's checkpoints.

// BenchmarkPreauth is the scoring core's pipeline over HTTP: events carry
// no names, so nothing is screened; windows, Rego and the ledger decide.
func BenchmarkPreauth(b *testing.B) {
	benchPreauth(b, func(i int) []byte { return preauthBody(i, false) }, 200)
}

// BenchmarkPreauthPaced is BenchmarkPreauth at constant rates below what
// the server can take (10-15k requests per second here), an open loop: the
// latency a client sees at that load, measured from when each call was
// due. BenchmarkPreauth's latency is that of a server driven as hard as 64
// callers can drive it, whose mean is, by Little's law, 64 divided by the
// throughput.
func BenchmarkPreauthPaced(b *testing.B) {
	for _, rate := range []int{2000, 4000, 8000} {
		b.Run(fmt.Sprintf("%d", rate), func(b *testing.B) {
			benchPreauthAt(b, func(i int) []byte { return preauthBody(i, false) }, 200, float64(rate))
		})
	}
}

// BenchmarkPreauthScreened is BenchmarkPreauth with the payer's and the
// beneficiary's names screened against the shipped lists.
func BenchmarkPreauthScreened(b *testing.B) {
	benchPreauth(b, func(i int) []byte { return preauthBody(i, true) }, 200)
}

// BenchmarkHTTPFloor is the same server and driver without the pipeline:
// each body is refused at validation (a zero amount), after the request
// was routed, authenticated, decoded and validated. It is what HTTP costs
// here, a floor under BenchmarkPreauth.
func BenchmarkHTTPFloor(b *testing.B) {
	zero := func(i int) []byte {
		return bytes.Replace(preauthBody(i, false), []byte(`"value":"10.00"`), []byte(`"value":"0.00"`), 1)
	}
	benchPreauth(b, zero, 400)
}

// loadPayers is how many payers the load spreads over: a payer sends one
// or two payments in a run, as most do, so the windows stay under their
// limits and the policy allows nearly every payment.
const loadPayers = 50_000

func preauthBody(i int, names bool) []byte {
	payer := i % loadPayers
	payerName, beneficiaryName := "", ""
	if names {
		payerName, beneficiaryName = `"name":"John Smith",`, `"name":"Alisher Karimov",`
	}
	return fmt.Appendf(nil, `{"id":"load_%d","source":"api","kind":"recharge","occurred_at":"%s",`+
		`"payer":{"id":"usr_%d",%s"country":"US"},`+
		`"instrument":{"type":"card","brand":"visa","bin":"424242","last4":"4242","bin_country":"US","token":"tok_%d"},`+
		`"beneficiary":{%s"msisdn":"+99890%07d"},"destination":{"country":"UZ","operator":"beeline"},`+
		`"amount":{"value":"10.00","currency":"USD"}}`,
		i, testT0.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), payer, payerName, payer, beneficiaryName, payer*3+i%3)
}

func benchPreauth(b *testing.B, body func(i int) []byte, wantStatus int) {
	benchPreauthAt(b, body, wantStatus, 0)
}

// benchPreauthAt runs the load at rate requests per second
// (benchmeter.Latencies.RunPaced), or as fast as the callers go if rate is 0.
func benchPreauthAt(b *testing.B, body func(i int) []byte, wantStatus int, rate float64) {
	const callers = 64
	_, restore := setMemoryLimit(os.Getenv, os.ReadFile)
	b.Cleanup(restore)
	dir := benchmeter.DataDir(b)
	tokens, err := demoTokens(dir)
	if err != nil {
		b.Fatal(err)
	}
	app := NewApp(Config{DataDir: dir, HTTPAddr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	app.Lists = MustLoadLists(b)
	if err := app.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer app.Close(context.Background())
	addr := app.URL[len("http://"):]
	token := "Bearer " + tokens[engine.RolePayment]

	conns := make([]*loadConn, callers)
	for c := range conns {
		if conns[c], err = dialLoad(addr); err != nil {
			b.Fatal(err)
		}
		defer conns[c].Close()
	}
	warm, err := benchmeter.WarmUp(callers, 100_000, func(c, i int) error {
		return conns[c].do(preauthRequest(token, body(i)), wantStatus)
	})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([][]byte, b.N)
	for i := range reqs {
		reqs[i] = preauthRequest(token, body(warm+i))
	}

	lat := benchmeter.NewLatencies(callers, b.N)
	times0 := readPipelineTimes(b, app)
	b.ReportAllocs()
	b.ResetTimer()
	m := benchmeter.Start(b)
	err = lat.RunPaced(b.N, rate, func(c, i int) error { return conns[c].do(reqs[i], wantStatus) })
	m.Report(b, b.N, "event")
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	lat.Report(b)
	readPipelineTimes(b, app).report(b, times0, b.N)
}

// pipelineTimes is what the instance's Prometheus metrics say of its
// pipeline so far: batches committed and the time their commits took, and
// per stage of a decision (queued, scoring, waiting) how many and how long.
type pipelineTimes struct {
	commits, commitTime float64
	stages, stageTime   map[string]float64
}

func readPipelineTimes(b *testing.B, app *App) pipelineTimes {
	mfs, err := app.Metrics.Registry().Gather()
	if err != nil {
		b.Fatal(err)
	}
	t := pipelineTimes{stages: map[string]float64{}, stageTime: map[string]float64{}}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "qorovul_commit_duration_seconds":
			h := mf.GetMetric()[0].GetHistogram()
			t.commits, t.commitTime = float64(h.GetSampleCount()), h.GetSampleSum()
		case "qorovul_pipeline_stage_seconds":
			for _, m := range mf.GetMetric() {
				stage := m.GetLabel()[0].GetValue()
				t.stages[stage], t.stageTime[stage] = float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()
			}
		}
	}
	return t
}

// report reports, since before, the events per commit and the mean time
// of an event in each stage of the pipeline ("queued-ms", "scoring-ms",
// "waiting-ms") and of a commit ("commit-ms"): where the latency went.
func (t pipelineTimes) report(b *testing.B, before pipelineTimes, events int) {
	if n := t.commits - before.commits; n > 0 {
		b.ReportMetric(float64(events)/n, "events/commit")
		b.ReportMetric(1000*(t.commitTime-before.commitTime)/n, "commit-ms")
	}
	for _, stage := range []string{"queued", "scoring", "waiting"} {
		if n := t.stages[stage] - before.stages[stage]; n > 0 {
			b.ReportMetric(1000*(t.stageTime[stage]-before.stageTime[stage])/n, stage+"-ms")
		}
	}
}

func preauthRequest(token string, body []byte) []byte {
	r := make([]byte, 0, 200+len(token)+len(body))
	r = append(r, "POST /v1/preauth HTTP/1.1\r\nHost: qorovul\r\nAuthorization: "...)
	r = append(r, token...)
	r = append(r, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	r = strconv.AppendInt(r, int64(len(body)), 10)
	r = append(r, "\r\n\r\n"...)
	return append(r, body...)
}

// loadConn is one keep-alive HTTP/1.1 connection of the load driver.
type loadConn struct {
	net.Conn
	r *bufio.Reader
}

func dialLoad(addr string) (*loadConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &loadConn{Conn: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

// do writes one request and reads its response, which must have status
// want and a Content-Length.
func (c *loadConn) do(req []byte, want int) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("read status line: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("read header: %w", err)
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return errors.New("response has no Content-Length")
	}
	if status != want {
		body := make([]byte, length)
		if _, err := io.ReadFull(c.r, body); err != nil {
			return err
		}
		return fmt.Errorf("status %d, want %d: %s", status, want, body)
	}
	_, err = c.r.Discard(length)
	return err
}
