package stream_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/stream"
)

// TestReusedIDDeadLettered: a record that reuses a decided event id for
// another payment goes to the DLQ as a conflict that names what differs;
// it gets no decision and the first payment keeps its own.
func TestReusedIDDeadLettered(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	tr := stream.Traffic{Start: t0, Payers: 1, Prefix: "reuse-"}
	first := tr.Record(0) // a canonical event (source api) of 5.00 USD
	if first.Source != engine.SourceAPI || !bytes.Contains(first.Value, []byte(`"value":"5.00"`)) {
		t.Fatalf("record 0 is not the canonical event this test edits: %s %s", first.Source, first.Value)
	}
	reused := first
	reused.Value = bytes.Replace(first.Value, []byte(`"value":"5.00"`), []byte(`"value":"950.00"`), 1)

	r := MustRun(t, b, p, stream.Config{})
	MustProduce(t, MustClient(t, b), first, reused, first)
	WaitCommitted(t, r, 3)
	if st := r.Stats(); st.Decided != 2 || st.Duplicates != 1 || st.DeadLettered != 1 {
		t.Fatalf("stats %+v: want the first payment decided (then its redelivery) and the reuse dead-lettered", st)
	}
	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dlq))
	}
	code, _ := header(dlq[0], stream.HeaderErrorCode)
	reason, _ := header(dlq[0], stream.HeaderReason)
	if code != engine.ECONFLICT || !strings.Contains(reason, "amount") || !bytes.Equal(dlq[0].Value, reused.Value) {
		t.Fatalf("dead letter: code %q reason %q value %s", code, reason, dlq[0].Value)
	}
}
