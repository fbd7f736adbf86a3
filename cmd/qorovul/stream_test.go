package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
)

// streamWait bounds how long an end-to-end test waits for the stream to
// catch up (a hang guard, not a speed assertion).
const streamWait = 4 * time.Minute

// mustKcat returns the kcat binary, skipping the test when it is missing
// unless QOROVUL_E2E=1 (CI), where a missing kcat fails.
func mustKcat(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the binary against kcat; skipped in -short")
	}
	p, err := exec.LookPath("kcat")
	if err == nil {
		return p
	}
	if os.Getenv("QOROVUL_E2E") == "1" {
		t.Fatalf("kcat is not installed (QOROVUL_E2E=1): apt-get install -y kcat")
	}
	t.Skip("kcat is not installed; apt-get install -y kcat (or set QOROVUL_E2E=1 to fail instead)")
	return ""
}

// startBroker runs `qorovul broker` on a free port and waits until it
// accepts connections.
func startBroker(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	startBrokerAt(t, addr, "--partitions", "6")
	return addr
}

// startBrokerAt runs `qorovul broker --addr addr` with args and waits until
// it accepts connections; the test's end stops it.
func startBrokerAt(t *testing.T, addr string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(MustBuild(t), append([]string{"broker", "--addr", addr, "--log-format", "text"}, args...)...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not listen on %s:\n%s", addr, logs.String())
		}
	}
}

// ledgerDecisions runs `audit verify` on dir, which must pass, and returns
// the ledger's decision entries by event id, from `audit export`.
func ledgerDecisions(t *testing.T, dir string) map[string]int {
	t.Helper()
	if out, errOut, code := runBin(t, "audit", "verify", "--data-dir", dir); code != 0 {
		t.Fatalf("audit verify: %s %s", out, errOut)
	}
	out, errOut, code := runBin(t, "audit", "export", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("audit export: %s", errOut)
	}
	perID := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ Kind, Subject string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Kind == "decision" {
			perID[e.Subject]++
		}
	}
	return perID
}

// kcatBatch is one kcat -P run: records with the same headers.
type kcatBatch struct {
	headers []string // k=v
	lines   []string // key \t value
}

// kcatProduce writes each batch to a file and produces it with kcat -l;
// conn are kcat's connection options (-X security.protocol=…), if any.
func kcatProduce(t *testing.T, kcat, broker string, batches map[string]*kcatBatch, conn ...string) {
	t.Helper()
	dir := t.TempDir()
	for name, b := range batches {
		f := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(f, []byte(strings.Join(b.lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-P", "-b", broker, "-t", stream.DefaultInputTopic, "-K", "\t", "-l"}, conn...)
		for _, h := range b.headers {
			args = append(args, "-H", h)
		}
		args = append(args, f)
		if out, err := exec.Command(kcat, args...).CombinedOutput(); err != nil {
			t.Fatalf("kcat -P %s: %v\n%s", name, err, out)
		}
	}
}

// addRecord puts a generated record into the batch of its headers.
func addRecord(batches map[string]*kcatBatch, r stream.TrafficRecord, noSourceHeader bool) {
	var hs []string
	if r.Source != "" && !noSourceHeader {
		hs = append(hs, stream.HeaderSource+"="+r.Source)
	}
	for k, v := range r.Headers {
		if k == "occurred-at" {
			continue // per record: kcat sets one set of headers per run; the record timestamp stands in
		}
		hs = append(hs, k+"="+v)
	}
	name := strings.ReplaceAll(strings.Join(hs, "_"), "=", "-")
	if name == "" {
		name = "noheaders"
	}
	b := batches[name]
	if b == nil {
		b = &kcatBatch{headers: hs}
		batches[name] = b
	}
	b.lines = append(b.lines, r.Key+"\t"+string(r.Value))
}

// kcatMessage is one record as `kcat -C -J` prints it.
type kcatMessage struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Key       string   `json:"key"`
	Payload   string   `json:"payload"`
	Headers   []string `json:"headers"`
}

func (m kcatMessage) header(k string) (string, bool) {
	for i := 0; i+1 < len(m.Headers); i += 2 {
		if m.Headers[i] == k {
			return m.Headers[i+1], true
		}
	}
	return "", false
}

// kcatConsume reads a whole topic with kcat -C -e; conn as for kcatProduce.
func kcatConsume(t *testing.T, kcat, broker, topic string, conn ...string) []kcatMessage {
	t.Helper()
	cmd := exec.Command(kcat, append([]string{"-C", "-b", broker, "-t", topic, "-e", "-q", "-J"}, conn...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat -C %s: %v\n%s", topic, err, stderr.String())
	}
	var msgs []kcatMessage
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m kcatMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("kcat -J line %q: %v", sc.Text(), err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// metric reads one unlabelled sample from serve's /metrics.
func metric(addr, name string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}

// e2eTraffic is acceptance 1's input: n generated records of every source
// (a third of the canonical ones without a source header) and bad ones.
func e2eTraffic(tr stream.Traffic, n, bad int) map[string]*kcatBatch {
	batches := map[string]*kcatBatch{}
	for i := range n {
		r := tr.Record(i)
		addRecord(batches, r, r.Source == engine.SourceAPI && i%3 == 0)
	}
	for i := range bad {
		addRecord(batches, tr.Malformed(i), false)
	}
	return batches
}

// waitDecided waits until the decisions topic holds want distinct event ids
// and the DLQ wantDLQ distinct input offsets, and returns both topics.
func waitDecided(t *testing.T, kcat, broker string, want, wantDLQ int, logs *syncBuffer) ([]kcatMessage, []kcatMessage) {
	t.Helper()
	deadline := time.Now().Add(streamWait)
	for {
		decisions := kcatConsume(t, kcat, broker, stream.DefaultDecisionsTopic)
		dlq := kcatConsume(t, kcat, broker, stream.DefaultDLQTopic)
		ids, offs := map[string]bool{}, map[string]bool{}
		for _, m := range decisions {
			id, _ := m.header(stream.HeaderEventID)
			ids[id] = true
		}
		for _, m := range dlq {
			p, _ := m.header(stream.HeaderOriginalPartition)
			o, _ := m.header(stream.HeaderOriginalOffset)
			offs[p+"/"+o] = true
		}
		if len(ids) >= want && len(offs) >= wantDLQ {
			return decisions, dlq
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d decisions, %d of %d dead letters\n%s", streamWait, len(ids), want, len(offs), wantDLQ, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestStreamKcat is acceptance 1: kcat produces 10,000 records of mixed
// sources and 100 malformed ones to `qorovul serve --brokers` on `qorovul
// broker`; kcat reads back exactly 10,000 decisions with 10,000 distinct
// event ids and 100 dead letters with reasons.
func TestStreamKcat(t *testing.T) {
	kcat := mustKcat(t)
	broker := startBroker(t)
	const n, bad = 10_000, 100
	tr := stream.Traffic{Start: time.Now().Add(-4 * time.Hour).Truncate(time.Second), Payers: 50, Prefix: "kcat-"}
	kcatProduce(t, kcat, broker, e2eTraffic(tr, n, bad))

	t.Setenv("QOROVUL_BROKERS", broker)
	addr := freeAddr(t)
	serve, logs := startServe(t, t.TempDir(), addr)
	waitDecided(t, kcat, broker, n, bad, logs)
	// Everything is committed: nothing more will come.
	deadline := time.Now().Add(streamWait)
	for v, err := metric(addr, "qorovul_stream_records_committed_total"); v < n+bad; v, err = metric(addr, "qorovul_stream_records_committed_total") {
		if time.Now().After(deadline) {
			t.Fatalf("committed %v of %d records: %v", v, n+bad, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	decisions := kcatConsume(t, kcat, broker, stream.DefaultDecisionsTopic)
	dlq := kcatConsume(t, kcat, broker, stream.DefaultDLQTopic)
	// The dead letters by error code: every malformed record is invalid.
	for code, want := range map[string]float64{engine.EINVALID: bad, engine.ECONFLICT: 0} {
		if v, err := metric(addr, `qorovul_stream_dlq_total{code="`+code+`"}`); err != nil || v != want {
			t.Fatalf("dead letters with code %s on /metrics: %v (%v), want %v", code, v, err, want)
		}
	}

	if len(decisions) != n {
		t.Fatalf("kcat read %d decisions, want exactly %d", len(decisions), n)
	}
	ids := map[string]bool{}
	sources := map[string]int{}
	for _, m := range decisions {
		var d engine.Decision
		if err := json.Unmarshal([]byte(m.Payload), &d); err != nil {
			t.Fatalf("decision payload %q: %v", m.Payload, err)
		}
		id, _ := m.header(stream.HeaderEventID)
		src, _ := m.header(stream.HeaderSource)
		if id != d.EventID || d.DecisionID == "" || m.Key == "" {
			t.Fatalf("decision record %+v", m)
		}
		ids[id] = true
		sources[src]++
	}
	if len(ids) != n {
		t.Fatalf("%d distinct event ids in %d decisions", len(ids), n)
	}
	if len(sources) != 6 {
		t.Fatalf("decisions by source %v, want all six", sources)
	}
	if len(dlq) != bad {
		t.Fatalf("kcat read %d dead letters, want exactly %d", len(dlq), bad)
	}
	for _, m := range dlq {
		reason, ok := m.header(stream.HeaderReason)
		code, _ := m.header(stream.HeaderErrorCode)
		if !ok || reason == "" || code == "" {
			t.Fatalf("dead letter without a reason: %+v", m)
		}
	}
	t.Logf("decisions by source %v", sources)
	stopServe(t, serve, logs)
}

// TestStreamKcatKill is acceptance 2: the same run with serve killed by
// SIGKILL in the middle and restarted. The ledger verifies and holds one
// decision per event id, the decisions topic one decision id per event id,
// and the windows counted every event once.
func TestStreamKcatKill(t *testing.T) {
	kcat := mustKcat(t)
	broker := startBroker(t)
	const n, bad = 10_000, 100
	// Telecom requests take their time from the record timestamp (now):
	// the rest of the traffic must be recent too, or the windows prune it.
	tr := stream.Traffic{Start: time.Now().Add(-4 * time.Hour).Truncate(time.Second), Payers: 50, Prefix: "kill-"}
	kcatProduce(t, kcat, broker, e2eTraffic(tr, n, bad))

	t.Setenv("QOROVUL_BROKERS", broker)
	t.Setenv("QOROVUL_INSTANCE_ID", "serve-1")
	dir := t.TempDir()
	addr := freeAddr(t)
	serve, logs := startServe(t, dir, addr)
	deadline := time.Now().Add(streamWait)
	for v, _ := metric(addr, "qorovul_stream_decisions_produced_total"); v < n/4; v, _ = metric(addr, "qorovul_stream_decisions_produced_total") {
		if time.Now().After(deadline) {
			t.Fatalf("serve decided %v records in %s\n%s", v, streamWait, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := serve.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	serve.Wait()
	out, errOut, code := runBin(t, "audit", "verify", "--data-dir", dir)
	var rep struct{ Entries int }
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("audit verify after SIGKILL: %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("SIGKILL after %d durable decisions", rep.Entries)
	if rep.Entries == 0 || rep.Entries >= n {
		t.Fatalf("killed with %d of %d decisions durable: not in the middle", rep.Entries, n)
	}

	serve, logs = startServe(t, dir, addr)
	waitDecided(t, kcat, broker, n, bad, logs)

	// A last event of a busy payer: its 7-day count must be every one of
	// the payer's canonical events once, plus itself. Record i is
	// canonical ("api") when i%6 == 0, of payer i%50.
	li := n + (6-n%6)%6
	last := tr.Record(li)
	if last.Source != engine.SourceAPI {
		t.Fatalf("record %d is %s, not api", li, last.Source)
	}
	want := 1
	for i := range n {
		if i%6 == 0 && i%50 == li%50 {
			want++
		}
	}
	lastID := fmt.Sprintf("api:kill-%d", li)
	batches := map[string]*kcatBatch{}
	addRecord(batches, last, false)
	kcatProduce(t, kcat, broker, batches)
	var lastDec engine.Decision
	waitDecidedFn := func() bool {
		for _, m := range kcatConsume(t, kcat, broker, stream.DefaultDecisionsTopic) {
			if id, _ := m.header(stream.HeaderEventID); id == lastID {
				return json.Unmarshal([]byte(m.Payload), &lastDec) == nil
			}
		}
		return false
	}
	for deadline := time.Now().Add(streamWait); !waitDecidedFn(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the last event was not decided\n%s", logs.String())
		}
	}
	if lastDec.Features.PayerCount7d != want {
		t.Fatalf("last event of payer %d counts %d events in 7 days, want %d (each once)", li%50, lastDec.Features.PayerCount7d, want)
	}

	// The topic: after de-duplication by event id, one decision each.
	byID := map[string]string{}
	all := kcatConsume(t, kcat, broker, stream.DefaultDecisionsTopic)
	for _, m := range all {
		id, _ := m.header(stream.HeaderEventID)
		dec, _ := m.header(stream.HeaderDecisionID)
		if prev, ok := byID[id]; ok && prev != dec {
			t.Fatalf("event %s has decisions %s and %s on the topic", id, prev, dec)
		}
		byID[id] = dec
	}
	if len(byID) != n+1 {
		t.Fatalf("%d distinct events on the decisions topic, want %d", len(byID), n+1)
	}
	t.Logf("decisions topic: %d records, %d distinct events (redelivered after the kill: %d)", len(all), len(byID), len(all)-len(byID))

	stopServe(t, serve, logs)
	// The ledger: verifies, and one decision entry per event id.
	perID := ledgerDecisions(t, dir)
	entries := 0
	for id, c := range perID {
		entries += c
		if c > 1 {
			t.Fatalf("event %s has %d decision entries in the ledger", id, c)
		}
	}
	if entries != n+1 {
		t.Fatalf("ledger holds %d decision entries, want %d", entries, n+1)
	}
	for id, dec := range byID {
		if perID[id] != 1 {
			t.Fatalf("event %s (decision %s) is on the topic but not in the ledger", id, dec)
		}
	}
}
