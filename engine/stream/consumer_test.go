package stream_test

import (
	"context"
	"encoding/json"
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
