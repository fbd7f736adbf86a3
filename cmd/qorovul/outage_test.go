package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kgo"
)

// streamHealth is what /healthz says of the stream.
type streamHealth struct {
	Status string
	Stream struct {
		Connected bool
		Since     time.Time
		Error     string
	}
}

func getHealth(t *testing.T, addr string) (int, streamHealth) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h streamHealth
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz body %q: %v", body, err)
	}
	return resp.StatusCode, h
}

// TestServeRidesOutBrokerOutage: the broker is killed (SIGKILL) while serve
// is deciding, and comes back on the same address with its data. Meanwhile
// serve stays up and /healthz stays 200 (the API still decides; a restart
// would not bring the broker back) but says the stream is disconnected, as
// does qorovul_stream_connected. Afterwards every record, produced before
// and after the outage, is decided: one decision id per event id on the
// topic, and one decision entry per event in a ledger that verifies.
func TestServeRidesOutBrokerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; skipped in -short")
	}
	addr, bdir := freeAddr(t), t.TempDir()
	broker := startBrokerAt(t, addr, "--data-dir", bdir, "--sync-writes", "--partitions", "3")
	t.Setenv("QOROVUL_BROKERS", addr)
	httpAddr, dir := freeAddr(t), t.TempDir()
	token := mustPaymentToken(t, dir, "outage")
	serve, logs := startServe(t, dir, httpAddr)
	if code, h := getHealth(t, httpAddr); code != 200 || h.Status != "ok" || !h.Stream.Connected || h.Stream.Error != "" {
		t.Fatalf("/healthz at start: %d %+v", code, h)
	}

	const n = 2000
	tr := stream.Traffic{Start: time.Now().Add(-2 * time.Hour).Truncate(time.Second), Payers: 40, Prefix: "outage-"}
	produce := func(from, to int) {
		t.Helper()
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		recs := make([]*kgo.Record, 0, to-from)
		for i := from; i < to; i++ {
			recs = append(recs, tr.Record(i).Kafka(stream.DefaultInputTopic))
		}
		ctx, cancel := context.WithTimeout(context.Background(), streamWait)
		defer cancel()
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	produce(0, n/2)
	deadline := time.Now().Add(streamWait)
	for v, _ := metric(httpAddr, "qorovul_stream_decisions_produced_total"); v < n/8; v, _ = metric(httpAddr, "qorovul_stream_decisions_produced_total") {
		if time.Now().After(deadline) {
			t.Fatalf("serve decided %v records\n%s", v, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	broker.Process.Signal(syscall.SIGKILL)
	broker.Wait()

	// The next check (every 5 s) finds no broker.
	var down streamHealth
	for deadline := time.Now().Add(streamWait); ; time.Sleep(100 * time.Millisecond) {
		code, h := getHealth(t, httpAddr)
		if code != 200 || h.Status != "ok" {
			t.Fatalf("/healthz during the outage: %d %+v\n%s", code, h, logs.String())
		}
		if !h.Stream.Connected {
			down = h
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still says connected %v after the broker died", streamWait)
		}
	}
	if down.Stream.Error == "" || down.Stream.Since.IsZero() {
		t.Fatalf("/healthz during the outage says neither why nor since when: %+v", down)
	}
	if v, err := metric(httpAddr, "qorovul_stream_connected"); err != nil || v != 0 {
		t.Fatalf("qorovul_stream_connected during the outage: %v (%v), want 0", v, err)
	}
	// The API decides on meanwhile.
	ev := testEvent("outage-api-1", "usr_outage", "+998901112233", 0, "10.00")
	ev["occurred_at"] = time.Now().UTC().Format(time.RFC3339)
	if _, code, err := postPreauth(http.DefaultClient, httpAddr, token, ev); err != nil || code != 200 {
		t.Fatalf("preauth during the outage: %d %v", code, err)
	}

	startBrokerAt(t, addr, "--data-dir", bdir, "--sync-writes", "--partitions", "3")
	produce(n/2, n)
	for deadline := time.Now().Add(streamWait); ; time.Sleep(100 * time.Millisecond) {
		if _, h := getHealth(t, httpAddr); h.Stream.Connected && h.Stream.Error == "" && h.Stream.Since.After(down.Stream.Since) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz does not say connected %v after the broker came back\n%s", streamWait, logs.String())
		}
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(stream.DefaultDecisionsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	decisions, records := map[string]string{}, 0
	for len(decisions) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d of %d events decided after the outage\n%s", len(decisions), n, logs.String())
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			var id, dec string
			for _, h := range r.Headers {
				switch h.Key {
				case stream.HeaderEventID:
					id = string(h.Value)
				case stream.HeaderDecisionID:
					dec = string(h.Value)
				}
			}
			if prev, ok := decisions[id]; ok && prev != dec {
				t.Fatalf("event %s has decisions %s and %s", id, prev, dec)
			}
			decisions[id] = dec
		})
	}
	t.Logf("decisions topic: %d records for %d events (produced again after the outage: %d)", records, len(decisions), records-len(decisions))
	if v, err := metric(httpAddr, "qorovul_stream_connected"); err != nil || v != 1 {
		t.Fatalf("qorovul_stream_connected after the outage: %v (%v), want 1", v, err)
	}
	stopServe(t, serve, logs)
	out := logs.String()
	if !strings.Contains(out, "kafka unreachable") || !strings.Contains(out, "kafka reachable again") {
		t.Fatalf("the log does not tell the outage:\n%s", out)
	}

	// The ledger: verifies, and one decision entry per event (the stream's
	// and the one preauth call).
	perID := ledgerDecisions(t, dir)
	for id := range decisions {
		if perID[id] != 1 {
			t.Fatalf("event %s has %d decision entries in the ledger, want 1", id, perID[id])
		}
	}
	if len(perID) != n+1 {
		t.Fatalf("ledger has decisions of %d events, want %d", len(perID), n+1)
	}
}
