package audit_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

// benchPayload is the size of a typical decision record (~450 bytes).
var benchPayload = json.RawMessage(`{"decision_id":"dec_01J9Z3","event_id":"tx_92f1","outcome":"review","score":72,` +
	`"reasons":[{"code":"msisdn_spread_24h","message":"payer topped up 9 distinct numbers in 24h (limit 5)"}],` +
	`"sanctions":[{"list":"ofac_sdn","entry_id":"35283","name":"USMANOV, Alisher Burhanovich","field":"beneficiary.name","query":"Алишер Усманов","score":0.97}],` +
	`"features":{"payer_count_1h":3,"payer_distinct_msisdn_24h":9},"policy_version":"sha256:4f1c","created_at":"2026-04-22T17:08:14.512Z"}`)

// BenchmarkAppend measures the ledger's cost per decision: N appends into
// one txn. "discard" is the ledger alone (CPU and allocations); "commit"
// adds Badger's commit of the batch with SyncWrites, one fsync per batch.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []string{"discard", "commit"} {
		for _, n := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/per_txn=%d", mode, n), func(b *testing.B) {
				db, l := MustOpen(b, "audit", newClock())
				entries := make([]audit.Entry, n)
				for i := range entries {
					entries[i] = audit.Entry{Kind: "decision", Subject: fmt.Sprintf("tx_%d", i), Payload: benchPayload}
				}
				b.ReportAllocs()
				for b.Loop() {
					batch := l.Begin()
					txn := db.NewTransaction(true)
					for _, e := range entries {
						if _, err := batch.Append(txn, e); err != nil {
							b.Fatal(err)
						}
					}
					if mode == "discard" {
						txn.Discard()
						continue
					}
					if err := txn.Commit(); err != nil {
						b.Fatal(err)
					}
					if err := l.Commit(batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
			})
		}
	}
}

// BenchmarkVerify measures Verify over a ledger of 10 000 entries.
func BenchmarkVerify(b *testing.B) {
	db, l := MustOpen(b, "audit", newClock())
	for range 10 {
		batch := l.Begin()
		if err := db.Update(func(txn *badger.Txn) error {
			for i := range 1000 {
				if _, err := batch.Append(txn, audit.Entry{Kind: "decision", Subject: fmt.Sprint(i), Payload: benchPayload}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if err := l.Commit(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if rep, err := audit.Verify(db, "audit", nil); err != nil || rep.Entries != 10000 {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/entry")
}
