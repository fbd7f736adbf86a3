package ingest_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func TestDecodeAnjirpay(t *testing.T) {
	transfer := func(status string) engine.Event {
		return engine.Event{
			ID: "anjirpay:1001", Source: "anjirpay", Kind: "transfer", Status: status,
			OccurredAt:  at("2026-04-22T17:08:14Z"), // 20:08:14 Moscow time
			Payer:       engine.Payer{ID: "anjirpay:55821"},
			Instrument:  &engine.Instrument{Type: "card", Brand: "mir", BIN: "220220", Last4: "0482"},
			Beneficiary: engine.Beneficiary{CardMasked: "8600********1234", Name: "ALISHER KARIMOV"},
			Destination: &engine.Destination{Country: "UZ"},
			Amount:      engine.Money{Value: dec("1500.00"), Currency: "RUB"},
			AmountLocal: &engine.Money{Value: dec("205350.00"), Currency: "UZS"},
			FXRate:      decp("136.90"),
		}
	}
	for _, tc := range []struct {
		name string
		file string
		key  string
		want engine.Event
	}{
		{name: "TransferPending", file: "transfer_pending.json", want: transfer("pending")},
		{name: "TransferDriftsToSent", file: "transfer_sent.json", want: transfer("sent")},
		{
			name: "TransferDeclinedHumoPayerFromKey", file: "transfer_declined_humo.json", key: "55900",
			want: engine.Event{
				ID: "anjirpay:1002", Source: "anjirpay", Kind: "transfer", Status: "declined",
				OccurredAt:  at("2026-04-22T17:15:00Z"),
				Payer:       engine.Payer{ID: "anjirpay:55900"},
				Beneficiary: engine.Beneficiary{CardMasked: "986012******7788"},
				Destination: &engine.Destination{Country: "UZ"},
				Amount:      engine.Money{Value: dec("25000"), Currency: "RUB"},
				AmountLocal: &engine.Money{Value: dec("3422500"), Currency: "UZS"},
				FXRate:      decp("136.9"),
			},
		},
		{
			name: "ServicePaymentToMobileOperatorIsRecharge", file: "service_payment_mobile.json",
			want: engine.Event{
				ID: "anjirpay:service:7731", Source: "anjirpay", Kind: "recharge", Status: "completed",
				OccurredAt:  at("2026-04-22T17:00:03Z"),
				Payer:       engine.Payer{ID: "anjirpay:55821"},
				Beneficiary: engine.Beneficiary{MSISDN: "901234567"},
				Destination: &engine.Destination{Country: "UZ", Operator: "beeline"},
				Amount:      engine.Money{Value: dec("300.00"), Currency: "RUB"},
			},
		},
		{
			name: "ServicePaymentToUtilityIsBill", file: "service_payment_utility.json", key: "55821",
			want: engine.Event{
				ID: "anjirpay:service:7732", Source: "anjirpay", Kind: "bill_payment", Status: "pending",
				OccurredAt:  at("2026-04-22T17:01:00Z"),
				Payer:       engine.Payer{ID: "anjirpay:55821"},
				Beneficiary: engine.Beneficiary{Account: "hududgaz_tashkent:0012345678"},
				Amount:      engine.Money{Value: dec("1250.5"), Currency: "RUB"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(ingest.Record{Source: "anjirpay", Key: []byte(tc.key), Body: MustFixture(t, "anjirpay", tc.file)})
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			assertEvent(t, ev, tc.want)
			assertValid(t, ev)
		})
	}
}

// The same transfer seen twice may only drift along the lifecycle.
func TestAnjirpayStatusDrift(t *testing.T) {
	first, err := ingest.Decode(ingest.Record{Source: "anjirpay", Body: MustFixture(t, "anjirpay", "transfer_pending.json")})
	if err != nil {
		t.Fatal(err)
	}
	later, err := ingest.Decode(ingest.Record{Source: "anjirpay", Body: MustFixture(t, "anjirpay", "transfer_sent.json")})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != later.ID {
		t.Fatalf("ids %q and %q differ", first.ID, later.ID)
	}
	if err := engine.Transition(first.Status, later.Status); err != nil {
		t.Errorf("pending -> sent refused: %v", err)
	}
	if err := engine.Transition(engine.StatusDeclined, later.Status); engine.ErrorCode(err) != engine.ECONFLICT {
		t.Errorf("declined -> sent = %v, want a conflict", err)
	}
}

func TestDecodeAnjirpayErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want map[string]string
	}{
		{"ErrSchemeStatusAndAmount", "transfer_bad_scheme.json", map[string]string{
			"dest_scheme": "uzcard, humo, visa", "status": "pending, sent, declined", "amount_rub": "positive decimal"}},
		{"ErrMaskShowsTooMuch", "transfer_mask_too_open.json", map[string]string{
			"dest_masked": "at most the first 6 and the last 4"}},
		{"ErrMaskDisagreesWithScheme", "transfer_scheme_mismatch.json", map[string]string{
			"dest_masked": "is a humo card but dest_scheme is uzcard"}},
		{"ErrServicePaymentFields", "service_payment_no_account.json", map[string]string{
			"account": "is required", "amount": "positive decimal", "paid_at": "is required"}},
		{"ErrNeitherShape", "neither.json", map[string]string{"body": "neither a transfer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: "anjirpay", Body: MustFixture(t, "anjirpay", tc.file)})
			assertFields(t, err, engine.EINVALID, tc.want)
		})
	}
}

func TestDecodeAnjirpayMasks(t *testing.T) {
	for _, tc := range []struct {
		mask, want, problem string
	}{
		{"8600 **** **** 1234", "8600********1234", ""},
		{"860012******1234", "860012******1234", ""},
		{"8600-12XX-XXXX-1234", "860012******1234", ""},
		{"**** **** **** 1234", "************1234", ""},
		{"8600 1234 5678 1234", "", "at most the first 6"},
		{"8600", "", "must mask"},
		{"8600 **** 12** 1234", "", "leading digits, masked digits"},
		{"8600 **** **** 123", "", "last 4 digits"},
		{"8600 **** 1234", "", "13 to 19 digits"},
		{"8600 **** **** 1234 ****", "", "leading digits, masked digits"},
		{"8600 ____ ____ 1234", "", "digits and '*' only"},
	} {
		t.Run(tc.mask, func(t *testing.T) {
			body := []byte(`{"id":1,"created_at":"2026-04-22T17:00:00Z","amount_rub":"10","dest_scheme":"uzcard",` +
				`"dest_masked":"` + tc.mask + `","status":"pending"}`)
			ev, err := ingest.Decode(ingest.Record{Source: "anjirpay", Key: []byte("c1"), Body: body})
			if tc.problem != "" {
				assertFields(t, err, engine.EINVALID, map[string]string{"dest_masked": tc.problem})
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			if ev.Beneficiary.CardMasked != tc.want {
				t.Errorf("card_masked = %q, want %q", ev.Beneficiary.CardMasked, tc.want)
			}
		})
	}
}

func FuzzDecodeAnjirpay(f *testing.F) {
	for _, b := range fixtures(f, "anjirpay") {
		f.Add(b, "c1")
	}
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		ev, err := ingest.Decode(ingest.Record{Source: "anjirpay", Key: []byte(key), Body: body})
		assertDecodeProperties(t, "anjirpay", ev, err)
	})
}
