package ingest_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func TestDecodeTelecom(t *testing.T) {
	answer := func(status string) engine.Event {
		return engine.Event{
			ID: "telecom:ord_7781", Source: "telecom", Kind: "recharge", Status: status,
			OccurredAt:  at("2026-04-22T17:08:15Z"),
			Payer:       engine.Payer{ID: "telecom:cust_55"},
			Beneficiary: engine.Beneficiary{MSISDN: "+998931234567"},
			Destination: &engine.Destination{Country: "UZ", Operator: "ucell"},
			Amount:      engine.Money{Value: dec("10.00"), Currency: "USD"},
			AmountLocal: &engine.Money{Value: dec("125400.00"), Currency: "UZS"},
			FXRate:      decp("12540.00"),
		}
	}
	for _, tc := range []struct {
		name    string
		file    string
		headers map[string]string
		want    engine.Event
	}{
		{
			name: "RequestTimeFromEnvelope", file: "topup_request.json",
			headers: map[string]string{"occurred-at": "2026-04-22T17:08:14.250Z"},
			want: engine.Event{
				ID: "telecom:ord_7781", Source: "telecom", Kind: "recharge", Status: "created",
				OccurredAt:  at("2026-04-22T17:08:14.25Z"),
				Payer:       engine.Payer{ID: "telecom:cust_55", Name: "John Smith", Country: "US"},
				Beneficiary: engine.Beneficiary{MSISDN: "+998931234567", Name: "Alisher Karimov"},
				Destination: &engine.Destination{Country: "UZ", Operator: "ucell"},
				Amount:      engine.Money{Value: dec("10.00"), Currency: "USD"},
			},
		},
		{
			name: "RequestWithoutSenderOrOperator", file: "topup_request_tj.json",
			headers: map[string]string{"occurred-at": "2026-04-22T22:10:00+05:00", "payer-id": "cust_90"},
			want: engine.Event{
				ID: "telecom:ord_7790", Source: "telecom", Kind: "recharge", Status: "created",
				OccurredAt:  at("2026-04-22T17:10:00Z"),
				Payer:       engine.Payer{ID: "telecom:cust_90"},
				Beneficiary: engine.Beneficiary{MSISDN: "992900112233"},
				Amount:      engine.Money{Value: dec("500"), Currency: "RUB"},
			},
		},
		{
			name: "ResponseProcessingIsPending", file: "topup_response_pending.json",
			headers: map[string]string{"payer-id": "cust_55"},
			want:    answer("pending"),
		},
		{
			name: "WebhookCompleted", file: "webhook_completed.json",
			headers: map[string]string{"payer-id": "cust_55"},
			want:    answer("completed"),
		},
		{
			name: "WebhookFailedTimeFromWebhook", file: "webhook_failed.json",
			headers: map[string]string{"payer-id": "cust_90"},
			want: engine.Event{
				ID: "telecom:ord_7790", Source: "telecom", Kind: "recharge", Status: "failed",
				OccurredAt:  at("2026-04-22T17:12:40Z"),
				Payer:       engine.Payer{ID: "telecom:cust_90"},
				Beneficiary: engine.Beneficiary{MSISDN: "992900112233"},
				Destination: &engine.Destination{Country: "TJ", Operator: "megafon"},
				Amount:      engine.Money{Value: dec("500"), Currency: "RUB"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(ingest.Record{Source: "telecom", Headers: tc.headers, Body: MustFixture(t, "telecom", tc.file)})
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			assertEvent(t, ev, tc.want)
			assertValid(t, ev)
		})
	}
}

func TestDecodeTelecomErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		headers map[string]string
		want    map[string]string
	}{
		{"ErrRequestFields", "topup_request_no_msisdn.json", map[string]string{"payer-id": "c"}, map[string]string{
			"msisdn": "is required", "currency": "ISO 4217", "occurred-at": "is required"}},
		{"ErrRequestBadEnvelopeTime", "topup_request.json", map[string]string{"occurred-at": "1776877694"}, map[string]string{
			"occurred-at": "RFC 3339"}},
		{"ErrResponseStatusAndTime", "topup_response_bad_status.json", map[string]string{"payer-id": "c"}, map[string]string{
			"status": "one of pending", "created_at": "RFC 3339"}},
		{"ErrResponseWithoutPayer", "topup_response_pending.json", nil, map[string]string{
			"payer-id": "is required"}},
		{"ErrUnknownWebhookEvent", "webhook_unknown_event.json", map[string]string{"payer-id": "c"}, map[string]string{
			"event": "topup.completed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: "telecom", Headers: tc.headers, Body: MustFixture(t, "telecom", tc.file)})
			assertFields(t, err, engine.EINVALID, tc.want)
		})
	}
}

func FuzzDecodeTelecom(f *testing.F) {
	for _, b := range fixtures(f, "telecom") {
		f.Add(b, "2026-04-22T17:08:14Z")
	}
	f.Fuzz(func(t *testing.T, body []byte, occurred string) {
		r := ingest.Record{Source: "telecom", Key: []byte("c1"), Headers: map[string]string{"occurred-at": occurred}, Body: body}
		ev, err := ingest.Decode(r)
		assertDecodeProperties(t, "telecom", ev, err)
	})
}
