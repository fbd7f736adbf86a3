package ingest_test

import (
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine/ingest"
)

// BenchmarkDecode measures one record of each shape. Run with
// go test ./engine/ingest -run '^$' -bench . -benchmem -benchtime 20000x
func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    ingest.Record
	}{
		{"upay/list_item", ingest.Record{Source: "upay", Key: []byte("u1"), Body: MustFixture(b, "upay", "list_item_delivered.json")}},
		{"upay/webhook", ingest.Record{Source: "upay", Body: MustFixture(b, "upay", "webhook_delivered.json")}},
		{"anjirpay/transfer", ingest.Record{Source: "anjirpay", Body: MustFixture(b, "anjirpay", "transfer_pending.json")}},
		{"upmobile/operation", ingest.Record{Source: "upmobile", Body: MustFixture(b, "upmobile", "operation_mobile_rub.json")}},
		{"uzum/create", ingest.Record{Source: "uzum", Headers: map[string]string{"uzum-method": "create", "payer-id": "p"},
			Body: MustFixture(b, "uzum", "create_phone.json")}},
		{"telecom/webhook", ingest.Record{Source: "telecom", Key: []byte("c"), Body: MustFixture(b, "telecom", "webhook_completed.json")}},
		{"api/event", ingest.Record{Source: "api", Body: MustFixture(b, "api", "event.json")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ingest.Decode(bc.r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	body := MustFixture(b, "upay", "webhook_delivered.json")
	now := time.Unix(signedAt, 0)
	v := ingest.NewSignatureVerifier(fixedClock{now}, testSecret)
	h := ingest.Sign(testSecret, now, body)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
