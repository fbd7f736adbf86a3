package stream_test

import (
	"context"
	"testing"

	"github.com/qorovul/qorovul/audit"
	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/qorovul/qorovul/engine/stream"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestOffsetsFollowDurability: the pipeline fails in the middle of a run
// (it is closed under the consumer). Every offset the consumer committed
// is of a record whose decision is in Badger, and a consumer restarted on a
// new pipeline re-reads exactly the uncommitted records: those whose
// decision was durable come back as duplicates, the rest are decided now.
func TestOffsetsFollowDurability(t *testing.T) {
	b := MustStartBroker(t)
	store := MustOpenStore(t, t.TempDir())
	p1 := MustOpenPipeline(t, store, 0)
	tr := stream.Traffic{Start: t0, Payers: 20, Prefix: "dur-"}
	const n = 1500
	var recs []stream.TrafficRecord
	for i := range n {
		recs = append(recs, tr.Record(i))
	}
	cl := MustClient(t, b)
	MustProduce(t, cl, recs...)

	cfg := stream.Config{MaxInFlight: 64}
	r1 := MustRun(t, b, p1, cfg)
	WaitCommitted(t, r1, 200)
	p1.Close() // Submit now fails with EUNAVAILABLE: the consumer retries
	r1.Stop(t) // and, stopped, commits only what is done
	committed1 := r1.Stats().Committed
	if committed1 >= n {
		t.Fatalf("all %d records committed before the failure; the test needs a larger n", committed1)
	}

	// Offsets committed ≤ durable: every record below its partition's
	// committed offset has its decision stored.
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), stream.DefaultGroup)
	if err != nil {
		t.Fatal(err)
	}
	input := MustReadTopic(t, b, stream.DefaultInputTopic)
	var below, durableAbove int64
	for _, rec := range input {
		o, ok := offs.Lookup(rec.Topic, rec.Partition)
		src, _ := header(rec, stream.HeaderSource)
		hs := map[string]string{}
		for _, h := range rec.Headers {
			hs[h.Key] = string(h.Value)
		}
		ev, err := ingest.Decode(ingest.Record{Source: src, Key: rec.Key, Headers: hs, Body: rec.Value})
		if err != nil {
			t.Fatal(err)
		}
		_, derr := store.Decision(ev.ID)
		stored := derr == nil
		if derr != nil && engine.ErrorCode(derr) != engine.ENOTFOUND {
			t.Fatal(derr)
		}
		if ok && rec.Offset < o.At {
			below++
			if !stored {
				t.Fatalf("offset %d of partition %d committed (up to %d) but its decision %s is not durable", rec.Offset, rec.Partition, o.At, ev.ID)
			}
		} else if stored {
			durableAbove++
		}
	}
	if below != committed1 {
		t.Fatalf("group offsets cover %d records, the consumer counted %d committed", below, committed1)
	}
	t.Logf("first run: %d committed, %d more durable but uncommitted", below, durableAbove)

	// Restart on a new pipeline over the same store.
	p2 := MustOpenPipeline(t, store, 0)
	r2 := MustRun(t, b, p2, cfg)
	WaitCommitted(t, r2, n-below)
	st := r2.Stats()
	if st.Consumed != n-below {
		t.Fatalf("restarted consumer read %d records, want exactly the %d uncommitted", st.Consumed, n-below)
	}
	if st.Duplicates != durableAbove || st.Decided != n-below {
		t.Fatalf("restart: %+v; want %d duplicates (durable, uncommitted) of %d decisions", st, durableAbove, n-below)
	}
	// Exactly one decision per event in the store, and on the topic after
	// de-duplication by event id.
	ids := MustDecisionsByEvent(t, b)
	if len(ids) != n {
		t.Fatalf("%d distinct events on the decisions topic, want %d", len(ids), n)
	}
	rep, err := audit.Verify(store.DB(), engine.LedgerAudit, nil)
	if err != nil || rep.Entries != n {
		t.Fatalf("audit ledger: %d entries (want %d, one per event): %+v %v", rep.Entries, n, rep, err)
	}
}
