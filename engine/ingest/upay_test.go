package ingest_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func TestDecodeUpay(t *testing.T) {
	johnSmith := engine.Payer{ID: "upay:usr_18429", Name: "John Smith", Country: "US", KYCLevel: "L1"}
	visa4242 := &engine.Instrument{Type: "card", Brand: "visa", Last4: "4242"}
	recharge := func(status, occurred string) engine.Event {
		return engine.Event{
			ID: "upay:92f1c0de", Source: "upay", Kind: "recharge", Status: status, OccurredAt: at(occurred),
			Payer: johnSmith, Instrument: visa4242,
			Beneficiary: engine.Beneficiary{MSISDN: "998931234567"},
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
		key     string
		want    engine.Event
	}{
		{
			name: "ListItemPayerFromHeader", file: "list_item_delivered.json",
			headers: map[string]string{"payer-id": "usr_18429"},
			want: func() engine.Event {
				ev := recharge("delivered", "2026-04-22T17:08:14Z")
				ev.Payer = engine.Payer{ID: "upay:usr_18429"}
				return ev
			}(),
		},
		{
			name: "ListItemPayerFromKeyWithBINAndNumbers", file: "list_item_pending_tj.json", key: "usr_777",
			want: engine.Event{
				ID: "upay:a7730b12", Source: "upay", Kind: "recharge", Status: "pending",
				OccurredAt: at("2026-04-22T17:01:09Z"), Payer: engine.Payer{ID: "upay:usr_777"},
				Instrument:  &engine.Instrument{Type: "card", Brand: "mastercard", BIN: "545454", Last4: "5454"},
				Beneficiary: engine.Beneficiary{MSISDN: "+992 93 555 12 34"},
				Destination: &engine.Destination{Country: "TJ", Operator: "tcell"},
				Amount:      engine.Money{Value: dec("25.5"), Currency: "USD"},
				AmountLocal: &engine.Money{Value: dec("278.97"), Currency: "TJS"},
				FXRate:      decp("10.94"),
			},
		},
		{
			name: "WebhookCreated", file: "webhook_created.json",
			want: recharge("created", "2026-04-22T17:08:14Z"),
		},
		{
			name: "WebhookDeliveredSameEvent", file: "webhook_delivered.json",
			headers: map[string]string{"Payer-Id": "upay:usr_18429"}, // agrees with the body
			want:    recharge("delivered", "2026-04-22T17:08:14Z"),
		},
		{
			name: "WebhookRefundedTypeWinsOverDataStatus", file: "webhook_refunded.json",
			want: engine.Event{
				ID: "upay:77aa01ff", Source: "upay", Kind: "recharge", Status: "refunded",
				OccurredAt:  at("2026-04-22T18:08:30Z"), // no created_at: the webhook's time
				Payer:       engine.Payer{ID: "upay:usr_20211"},
				Instrument:  &engine.Instrument{Type: "card", Brand: "amex", Last4: "0005"},
				Beneficiary: engine.Beneficiary{MSISDN: "992935551234"},
				Destination: &engine.Destination{Country: "TJ", Operator: "babilon-m"},
				Amount:      engine.Money{Value: dec("40.00"), Currency: "USD"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(ingest.Record{Source: "upay", Key: []byte(tc.key), Headers: tc.headers,
				Body: MustFixture(t, "upay", tc.file)})
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			assertEvent(t, ev, tc.want)
			assertValid(t, ev)
		})
	}
}

func TestDecodeUpayErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		headers map[string]string
		want    map[string]string
	}{
		{"ErrAmountNotDecimal", "list_item_bad_amount.json", map[string]string{"payer-id": "u1"},
			map[string]string{"amount_usd": "positive decimal"}},
		{"ErrFullCardNumber", "list_item_full_pan.json", map[string]string{"payer-id": "u1"},
			map[string]string{"payment_method": "at most the first 6 and the last 4"}},
		{"ErrStatusTimeAndNoPayer", "list_item_unknown_status.json", nil,
			map[string]string{"status": "one of created", "completed_at": "RFC 3339", "payer-id": "is required"}},
		{"ErrUnknownWebhookType", "webhook_unknown_type.json", nil,
			map[string]string{"type": "recharge.delivered"}},
		{"ErrWebhookWithoutData", "webhook_no_data.json", nil,
			map[string]string{"data": "is required"}},
		{"ErrPayerHeaderDisagrees", "webhook_delivered.json", map[string]string{"payer-id": "usr_1"},
			map[string]string{"payer-id": "disagrees with data.customer.id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(ingest.Record{Source: "upay", Headers: tc.headers, Body: MustFixture(t, "upay", tc.file)})
			assertFields(t, err, engine.EINVALID, tc.want)
			if ev.ID != "" {
				t.Errorf("a failed decode returned event %q", ev.ID)
			}
		})
	}
}

func TestDecodeUpayPaymentMethods(t *testing.T) {
	for _, tc := range []struct {
		method  string
		want    *engine.Instrument
		problem string
	}{
		{"visa_***4242", &engine.Instrument{Type: "card", Brand: "visa", Last4: "4242"}, ""},
		{"VISA_XXX4242", &engine.Instrument{Type: "card", Brand: "visa", Last4: "4242"}, ""},
		{"mastercard_545454******5454", &engine.Instrument{Type: "card", Brand: "mastercard", BIN: "545454", Last4: "5454"}, ""},
		{"apple_pay_visa_***1881", &engine.Instrument{Type: "card", Brand: "apple_pay_visa", Last4: "1881"}, ""},
		{"paypal", &engine.Instrument{Type: "wallet", Brand: "paypal"}, ""},
		{"", nil, ""},
		{"visa_4242424242424242", nil, "at most the first 6"},
		{"visa_5454545***5454", nil, "at most the first 6"},
		{"visa_***42", nil, "last 4 digits"},
		{"visa_4242", nil, "must mask"},
		{"visa ***4242", nil, "masked card"},
		{"pay pal", nil, "wallet name"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			body := []byte(`{"id":"x1","destination_msisdn":"998931234567","amount_usd":"1","status":"delivered",` +
				`"completed_at":"2026-04-22T17:08:14Z","payment_method":"` + tc.method + `"}`)
			ev, err := ingest.Decode(ingest.Record{Source: "upay", Key: []byte("u1"), Body: body})
			if tc.problem != "" {
				assertFields(t, err, engine.EINVALID, map[string]string{"payment_method": tc.problem})
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			want := engine.Event{ID: "upay:x1", Source: "upay", Kind: "recharge", Status: "delivered",
				OccurredAt: at("2026-04-22T17:08:14Z"), Payer: engine.Payer{ID: "upay:u1"}, Instrument: tc.want,
				Beneficiary: engine.Beneficiary{MSISDN: "998931234567"}, Amount: engine.Money{Value: dec("1"), Currency: "USD"}}
			assertEvent(t, ev, want)
		})
	}
}

func FuzzDecodeUpay(f *testing.F) {
	for _, b := range fixtures(f, "upay") {
		f.Add(b, "usr_1")
	}
	f.Fuzz(func(t *testing.T, body []byte, payer string) {
		ev, err := ingest.Decode(ingest.Record{Source: "upay", Headers: map[string]string{"payer-id": payer}, Body: body})
		assertDecodeProperties(t, "upay", ev, err)
	})
}
