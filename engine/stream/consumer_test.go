package stream_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
)

// TestEverySourceDecidedOnce feeds every source's records, malformed ones
// and an event first seen through the API, and checks each topic's records.
func TestEverySourceDecidedOnce(t *testing.T) {
	b := MustStartBroker(t)
	store := MustOpenStore(t, t.TempDir())
	p := MustOpenPipeline(t, store, 0)
	tr := stream.Traffic{Start: t0, Payers: 7, Prefix: "every-"}

	// One event arrives through the API first: the stream must return its
	// stored decision and not count it again.
	first := tr.Record(0)
	ev, err := engine.ParseEvent(first.Value)
	if err != nil {
		t.Fatal(err)
	}
	viaAPI, err := p.Submit(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}

	const n, bad = 120, 18
	var recs []stream.TrafficRecord
	ids := map[string]bool{}
	payerOf := map[string]string{}
	for i := range n {
		r := tr.Record(i)
		recs = append(recs, r)
		ev := decodeGenerated(t, r)
		ids[ev.ID] = true
		payerOf[ev.ID] = ev.Payer.ID
	}
	if len(ids) != n {
		t.Fatalf("generated %d distinct ids for %d records", len(ids), n)
	}
	for i := range bad {
		recs = append(recs, tr.Malformed(i))
	}
	cl := MustClient(t, b)
	r := MustRun(t, b, p, stream.Config{})
	MustProduce(t, cl, recs...)
	WaitCommitted(t, r, n+bad)

	st := r.Stats()
	if st.Consumed != n+bad || st.Decided != n || st.DeadLettered != bad || st.Duplicates != 1 || st.Allow+st.Review+st.Deny != n {
		t.Fatalf("stats %+v", st)
	}

	decisions := MustReadTopic(t, b, stream.DefaultDecisionsTopic)
	if len(decisions) != n {
		t.Fatalf("%d decision records, want %d", len(decisions), n)
	}
	seenSources := map[string]int{}
	for _, rec := range decisions {
		var d engine.Decision
		if err := json.Unmarshal(rec.Value, &d); err != nil {
			t.Fatal(err)
		}
		id, _ := header(rec, stream.HeaderEventID)
		outcome, _ := header(rec, stream.HeaderOutcome)
		src, _ := header(rec, stream.HeaderSource)
		dup, _ := header(rec, stream.HeaderDuplicate)
		if !ids[id] || id != d.EventID || outcome != d.Outcome || src == "" {
			t.Fatalf("decision record headers %v for %+v", rec.Headers, d)
		}
		delete(ids, id)
		seenSources[src]++
		if want := payerOf[id]; string(rec.Key) != want {
			t.Fatalf("decision of %s keyed %q, want the payer %q", id, rec.Key, want)
		}
		if id == viaAPI.Decision.EventID {
			if dup != "true" || d.DecisionID != viaAPI.Decision.DecisionID || mustJSON(t, d.Features) != mustJSON(t, viaAPI.Decision.Features) {
				t.Fatalf("event first seen via the API: stream gave %+v (duplicate=%s), API %+v", d, dup, viaAPI.Decision)
			}
		} else if dup != "false" {
			t.Fatalf("new event %s produced with duplicate=%s", id, dup)
		}
	}
	for _, s := range []string{"api", "upay", "anjirpay", "upmobile", "uzum", "telecom"} {
		if seenSources[s] != n/6 {
			t.Errorf("source %s: %d decisions, want %d", s, seenSources[s], n/6)
		}
	}

	for id := range payerOf {
		if _, err := store.Decision(id); err != nil {
			t.Fatalf("decision %s not in the store: %v", id, err)
		}
	}

	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != bad {
		t.Fatalf("%d DLQ records, want %d", len(dlq), bad)
	}
	for _, rec := range dlq {
		reason, ok := header(rec, stream.HeaderReason)
		code, _ := header(rec, stream.HeaderErrorCode)
		if !ok || reason == "" || code != engine.EINVALID {
			t.Fatalf("DLQ record %s without reason/code: %v", rec.Key, rec.Headers)
		}
		if _, ok := header(rec, stream.HeaderOriginalOffset); !ok {
			t.Fatalf("DLQ record %s without its original offset", rec.Key)
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAnjirPayDrift is acceptance 3: pending → sent emits one status change;
// pending → declined → sent sends the sent record to the DLQ.
func TestAnjirPayDrift(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	tr := stream.Traffic{Start: t0, Prefix: "drift-"}
	sent := tr.Drift(1, "sent")
	declined := tr.Drift(2, "declined", "sent")
	// A redelivered sent record changes nothing more.
	recs := append(append(sent, sent[1]), declined...)
	r := MustRun(t, b, p, stream.Config{})
	MustProduce(t, MustClient(t, b), recs...)
	WaitCommitted(t, r, int64(len(recs)))

	status := MustReadTopic(t, b, stream.DefaultStatusTopic)
	var got []string
	for _, rec := range status {
		var ch engine.StatusChange
		if err := json.Unmarshal(rec.Value, &ch); err != nil {
			t.Fatal(err)
		}
		if string(rec.Key) != ch.EventID {
			t.Fatalf("status record keyed %q for %s", rec.Key, ch.EventID)
		}
		got = append(got, ch.EventID+" "+ch.From+"→"+ch.To)
	}
	slices.Sort(got)
	want := []string{"anjirpay:drift-drift1 pending→sent", "anjirpay:drift-drift2 pending→declined"}
	if !slices.Equal(got, want) {
		t.Fatalf("status changes %q, want %q", got, want)
	}

	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != 1 {
		t.Fatalf("%d DLQ records, want the one sent after declined", len(dlq))
	}
	code, _ := header(dlq[0], stream.HeaderErrorCode)
	reason, _ := header(dlq[0], stream.HeaderReason)
	if code != engine.ECONFLICT || !strings.Contains(reason, "declined") || !strings.Contains(reason, "sent") || string(dlq[0].Value) != string(declined[2].Value) {
		t.Fatalf("DLQ record: code %q reason %q value %s", code, reason, dlq[0].Value)
	}
	if n := len(MustReadTopic(t, b, stream.DefaultDecisionsTopic)); n != len(recs)-1 {
		t.Fatalf("%d decision records, want %d (every record but the conflict)", n, len(recs)-1)
	}
	if st := r.Stats(); st.StatusChanges != 2 || st.DeadLettered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDLQReasons: every malformed record goes to the DLQ unchanged, with a
// reason naming the bad field.
func TestDLQReasons(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	tr := stream.Traffic{Start: t0, Prefix: "dlq-"}
	wants := []string{
		0: "body",        // broken JSON
		1: "amount_usd",  // unknown field of the canonical event
		2: "amount_usd",  // negative amount
		3: "dest_masked", // a full card number
		4: "source",      // unknown source
		5: "type",        // an Upmobile deposit is no payment out
	}
	var recs []stream.TrafficRecord
	for i := range wants {
		recs = append(recs, tr.Malformed(i))
	}
	r := MustRun(t, b, p, stream.Config{})
	MustProduce(t, MustClient(t, b), recs...)
	WaitCommitted(t, r, int64(len(recs)))
	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != len(recs) {
		t.Fatalf("%d DLQ records, want %d", len(dlq), len(recs))
	}
	for _, rec := range dlq {
		i := slices.IndexFunc(recs, func(g stream.TrafficRecord) bool { return g.Key == string(rec.Key) })
		if i < 0 {
			t.Fatalf("DLQ record with unknown key %q", rec.Key)
		}
		t.Run(recs[i].Key, func(t *testing.T) {
			reason, _ := header(rec, stream.HeaderReason)
			code, _ := header(rec, stream.HeaderErrorCode)
			src, _ := header(rec, stream.HeaderSource)
			t.Logf("reason: %s", reason)
			if code != engine.EINVALID || !strings.Contains(reason, wants[i]) {
				t.Errorf("code %q reason %q; want %s naming %q", code, reason, engine.EINVALID, wants[i])
			}
			if string(rec.Value) != string(recs[i].Value) || src != recs[i].Source {
				t.Errorf("DLQ record changed: source %q value %s", src, rec.Value)
			}
		})
	}
}
