package stream

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TrafficRecord is one input record of generated traffic.
type TrafficRecord struct {
	Source  string // the value of the source header ("" for none)
	Key     string
	Headers map[string]string // besides source
	Value   []byte
}

// Kafka returns r as a record of topic: its key, value, and headers with
// the source header first.
func (r TrafficRecord) Kafka(topic string) *kgo.Record {
	kr := &kgo.Record{Topic: topic, Key: []byte(r.Key), Value: r.Value}
	if r.Source != "" {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: HeaderSource, Value: []byte(r.Source)})
	}
	for k, v := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return kr
}

// Traffic generates input records of every source, in the shapes of
// testdata/sources, for the demo, tests and benchmarks. Record i is the
// same for the same Start and Payers: a run can be replayed.
type Traffic struct {
	// Start is the event time of record 0; record i happens i×Step later.
	Start time.Time
	// Step is the event time between records (a second if 0).
	Step time.Duration
	// Payers is how many distinct payers records spread over (50 if 0):
	// fewer payers means busier windows and more reviews.
	Payers int
	// Prefix namespaces the event ids so that runs do not collide.
	Prefix string
}

// trafficSources are the sources Record cycles through (read-only).
var trafficSources = []string{engine.SourceAPI, engine.SourceUpay, engine.SourceAnjirpay, engine.SourceUpmobile, engine.SourceUzum, engine.SourceTelecom}

// numbers are destination prefixes (read-only) with their operators.
var numbers = []struct{ prefix, operator string }{
	{"99890", "beeline"}, {"99893", "ucell"}, {"99897", "mobiuz"}, {"99899", "uzmobile"}, {"99891", "beeline"}, {"99894", "ucell"},
}

// Record returns the i-th record: sources in turn, each a valid payload of
// a new event.
func (t Traffic) Record(i int) TrafficRecord {
	payers := t.Payers
	if payers <= 0 {
		payers = 50
	}
	at := t.at(i)
	payer := i % payers
	num := numbers[(i/len(trafficSources))%len(numbers)]
	local := fmt.Sprintf("%s%07d", num.prefix, (i*7919)%10_000_000)
	id := fmt.Sprintf("%s%d", t.Prefix, i)
	usd := fmt.Sprintf("%d.%02d", 5+i%40, i%100)
	src := trafficSources[i%len(trafficSources)]
	r := TrafficRecord{Source: src, Key: fmt.Sprintf("p%d", payer), Headers: map[string]string{}}
	var v any
	switch src {
	case engine.SourceAPI:
		v = map[string]any{
			"id": "api:" + id, "source": "api", "kind": "recharge", "status": "created",
			"occurred_at": at.Format(time.RFC3339),
			"payer":       map[string]any{"id": fmt.Sprintf("api:usr_%d", payer), "name": "John Smith", "country": "US", "kyc_level": "L1"},
			"instrument":  map[string]any{"type": "card", "brand": "visa", "bin": "424242", "last4": "4242", "bin_country": "US", "token": fmt.Sprintf("tok_%d", payer)},
			"beneficiary": map[string]any{"msisdn": "+" + local, "name": "Alisher Karimov"},
			"destination": map[string]any{"country": "UZ", "operator": num.operator},
			"amount":      map[string]any{"value": usd, "currency": "USD"},
		}
	case engine.SourceUpay:
		v = map[string]any{
			"id": "evt_" + id, "type": "recharge.created", "created": at.Unix(),
			"data": map[string]any{
				"id": "u" + id, "destination_msisdn": local, "operator": num.operator, "country": "UZ",
				"amount_usd": usd, "payment_method": "visa_***4242", "status": "created",
				"created_at": at.Format(time.RFC3339), "completed_at": nil,
				"customer": map[string]any{"id": fmt.Sprintf("usr_%d", payer), "name": "Sarah Lee", "country": "US", "kyc_level": "L1"},
			},
		}
	case engine.SourceAnjirpay:
		v = map[string]any{
			"id": "a" + id, "created_at": at.In(time.FixedZone("MSK", 3*3600)).Format("2006-01-02 15:04:05"),
			"client_id": 50000 + payer, "amount_rub": fmt.Sprintf("%d.00", 500+10*(i%90)), "fx_rate": "136.90", "fee_rub": "0",
			"dest_scheme": "uzcard", "dest_masked": fmt.Sprintf("8600 **** **** %04d", i%10000),
			"recipient_name": "DILNOZA KARIMOVA", "status": "pending",
		}
	case engine.SourceUpmobile:
		v = map[string]any{
			"id": "op_" + id, "type": "withdrawal", "category_code": "mobile",
			"amount": usd, "currency_code": "USD", "destination": "+" + local, "operator_code": num.operator,
			"status": "processing", "from_account_id": fmt.Sprintf("acc_%d", payer), "created_at": at.Unix(),
			"breakdown": []any{},
		}
	case engine.SourceUzum:
		r.Headers[ingest.HeaderUzumMethod] = "create"
		v = map[string]any{
			"serviceId": 101202, "timestamp": at.UnixMilli(),
			"transId": fmt.Sprintf("%08x-0000-4000-8000-%012x", fnv32(t.Prefix), i),
			"params":  map[string]any{"account": local}, "amount": 10_000_00 * (1 + i%20),
		}
	case engine.SourceTelecom:
		r.Headers[ingest.HeaderOccurredAt] = at.Format(time.RFC3339)
		v = map[string]any{
			"external_tx_id": "t" + id, "product_id": "UZ-TOPUP-USD", "operator_id": num.operator + "_uz",
			"msisdn": "+" + local, "amount": usd, "currency": "USD",
			"sender":    map[string]any{"id": fmt.Sprintf("cust_%d", payer), "first_name": "John", "last_name": "Smith", "country": "US"},
			"recipient": map[string]any{"first_name": "Alisher", "last_name": "Karimov"},
		}
	}
	r.Value = mustJSON(v)
	return r
}

// Malformed returns the i-th of a cycle of records that cannot be decided:
// broken JSON, an unknown field, a negative amount, a full card number, an
// unknown source, a missing payer. Each goes to the DLQ.
func (t Traffic) Malformed(i int) TrafficRecord {
	id := fmt.Sprintf("%sbad%d", t.Prefix, i)
	at := t.at(i).Format(time.RFC3339)
	r := TrafficRecord{Key: fmt.Sprintf("bad%d", i), Headers: map[string]string{}}
	switch i % 6 {
	case 0:
		r.Source, r.Value = engine.SourceAPI, []byte(`{"id":"`+id+`","source":"api",`)
	case 1:
		r.Source, r.Value = engine.SourceAPI, mustJSON(map[string]any{"id": id, "source": "api", "kind": "recharge", "occurred_at": at,
			"payer": map[string]any{"id": "usr_bad"}, "beneficiary": map[string]any{"msisdn": "+998901234567"},
			"amount": map[string]any{"value": "10.00", "currency": "USD"}, "amount_usd": "10.00"})
	case 2:
		r.Source, r.Value = engine.SourceUpay, mustJSON(map[string]any{"id": id, "destination_msisdn": "998901234567", "operator": "beeline", "country": "UZ",
			"amount_usd": "-5.00", "payment_method": "visa_***4242", "status": "delivered", "completed_at": at})
	case 3:
		r.Source, r.Value = engine.SourceAnjirpay, mustJSON(map[string]any{"id": id, "created_at": "2026-04-22 20:08:14", "client_id": 1,
			"amount_rub": "1500.00", "fx_rate": "136.90", "dest_scheme": "uzcard", "dest_masked": "8600312990314914", "status": "pending"})
	case 4:
		r.Source, r.Value = "paypal", []byte(`{"id":"`+id+`"}`)
	case 5:
		r.Source, r.Value = engine.SourceUpmobile, mustJSON(map[string]any{"id": id, "type": "deposit", "category_code": "mobile",
			"amount": "10.00", "currency_code": "USD", "destination": "+998901234567", "status": "success", "created_at": at, "breakdown": []any{}})
	}
	return r
}

// Drift returns an AnjirPay transfer's records in order: first pending, then
// each status in next (e.g. "sent"; or "declined", "sent").
func (t Traffic) Drift(i int, next ...string) []TrafficRecord {
	at := t.at(i).In(time.FixedZone("MSK", 3*3600))
	out := make([]TrafficRecord, 0, 1+len(next))
	for k, status := range append([]string{"pending"}, next...) {
		v := map[string]any{
			"id": fmt.Sprintf("%sdrift%d", t.Prefix, i), "created_at": at.Format("2006-01-02 15:04:05"),
			"client_id": 70000 + i, "amount_rub": "1500.00", "fx_rate": "136.90", "fee_rub": "22.50",
			"dest_scheme": "uzcard", "dest_masked": "8600 **** **** 1234", "recipient_name": "ALISHER KARIMOV", "status": status,
		}
		if status == "sent" {
			v["sent_at"] = at.Add(time.Duration(k) * 30 * time.Second).Format("2006-01-02 15:04:05")
		}
		out = append(out, TrafficRecord{Source: engine.SourceAnjirpay, Key: fmt.Sprintf("anjir%d", 70000+i), Headers: map[string]string{}, Value: mustJSON(v)})
	}
	return out
}

func (t Traffic) at(i int) time.Time {
	step := t.Step
	if step <= 0 {
		step = time.Second
	}
	return t.Start.UTC().Add(time.Duration(i) * step)
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode generated record: %v", err)) // only maps of plain values
	}
	return b
}
