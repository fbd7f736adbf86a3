package stream_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine/stream"
)

func uzumFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sources", "uzum", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUzumConfirmAndReverse: Uzum's /confirm and /reverse carry only the
// transaction id, so the stream applies them as status changes of the
// transaction /create decided; a confirm for an unknown one is dead-lettered.
func TestUzumConfirmAndReverse(t *testing.T) {
	b := MustStartBroker(t)
	store := MustOpenStore(t, t.TempDir())
	p := MustOpenPipeline(t, store, 0)
	rec := func(method, file, key string) stream.TrafficRecord {
		return stream.TrafficRecord{Source: "uzum", Key: key, Headers: map[string]string{"uzum-method": method, "payer-id": "acc-77"}, Value: uzumFixture(t, file)}
	}
	create := rec("create", "create_phone.json", "acc-77")
	confirm := rec("confirm", "confirm.json", "acc-77")
	reverse := rec("reverse", "reverse.json", "acc-77")
	cl := MustClient(t, b)
	r := MustRun(t, b, p, stream.Config{Partitions: 1})
	MustProduce(t, cl, create, confirm, reverse)
	WaitCommitted(t, r, 3)
	status := MustReadTopic(t, b, stream.DefaultStatusTopic)
	if len(status) != 2 || !strings.Contains(string(status[0].Value), `"to":"completed"`) || !strings.Contains(string(status[1].Value), `"to":"reversed"`) {
		for _, s := range status {
			t.Logf("%s", s.Value)
		}
		t.Fatalf("%d status records", len(status))
	}
	// A confirm arriving again after the reversal is an impossible
	// transition; a confirm of an unknown transaction has no decision.
	orphan := rec("confirm", "confirm.json", "acc-77")
	orphan.Value = []byte(strings.Replace(string(orphan.Value), "9b2b6e8c-4a3f-4c1e-9d7a-2f6e1b0c5a11", "0b2b6e8c-4a3f-4c1e-9d7a-2f6e1b0c5a11", 1))
	MustProduce(t, cl, confirm, orphan)
	WaitCommitted(t, r, 5)
	dlq := MustReadTopic(t, b, stream.DefaultDLQTopic)
	if len(dlq) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dlq))
	}
	codes := map[string]bool{}
	for _, d := range dlq {
		code, _ := header(d, stream.HeaderErrorCode)
		codes[code] = true
	}
	if !codes["conflict"] || !codes["not_found"] {
		t.Fatalf("error codes %v", codes)
	}
}

// TestStatusChangeSurvivesCrashBeforePublish: a status change committed in
// Badger whose record never reached the broker (the process died between
// the two) is published when the input record is redelivered, once.
func TestStatusChangeSurvivesCrashBeforePublish(t *testing.T) {
	b := MustStartBroker(t)
	p := MustOpenPipeline(t, MustOpenStore(t, t.TempDir()), 0)
	tr := stream.Traffic{Start: t0, Prefix: "crash-"}
	drift := tr.Drift(1, "sent") // pending, then sent
	// The first life: both records decided and committed, nothing published.
	for _, r := range drift {
		ev := decodeGenerated(t, r)
		if _, err := p.Submit(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	// The second life: the uncommitted offsets are redelivered, twice over.
	r := MustRun(t, b, p, stream.Config{Partitions: 1})
	MustProduce(t, MustClient(t, b), drift[0], drift[1], drift[1])
	WaitCommitted(t, r, 3)
	status := MustReadTopic(t, b, stream.DefaultStatusTopic)
	if len(status) != 1 || !strings.Contains(string(status[0].Value), `"to":"sent"`) {
		t.Fatalf("%d status records", len(status))
	}
}
