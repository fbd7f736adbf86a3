package ingest_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func TestDecodeUpmobile(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want engine.Event
	}{
		{
			name: "MobileTopUpRUB", file: "operation_mobile_rub.json",
			want: engine.Event{
				ID: "upmobile:op_5512", Source: "upmobile", Kind: "recharge", Status: "completed",
				OccurredAt:  at("2026-04-22T17:08:14Z"),
				Payer:       engine.Payer{ID: "upmobile:acc_1042"},
				Beneficiary: engine.Beneficiary{MSISDN: "+79161234567"},
				Destination: &engine.Destination{Country: "RU", Operator: "mts"},
				Amount:      engine.Money{Value: dec("500.00"), Currency: "RUB"},
			},
		},
		{
			name: "MobileTopUpUzbekNumberNumericIDs", file: "operation_mobile_uz_usd.json",
			want: engine.Event{
				ID: "upmobile:5513", Source: "upmobile", Kind: "recharge", Status: "pending",
				OccurredAt:  at("2026-04-22T17:20:00Z"),
				Payer:       engine.Payer{ID: "upmobile:1042"},
				Beneficiary: engine.Beneficiary{MSISDN: "+998 97 765 43 21"},
				Destination: &engine.Destination{Country: "UZ", Operator: "mobiuz"},
				Amount:      engine.Money{Value: dec("15"), Currency: "USD"},
			},
		},
		{
			name: "GameIsBillPayment", file: "operation_game_usd.json",
			want: engine.Event{
				ID: "upmobile:op_5514", Source: "upmobile", Kind: "bill_payment", Status: "declined",
				OccurredAt:  at("2026-04-22T17:13:20Z"),
				Payer:       engine.Payer{ID: "upmobile:acc_2203"},
				Beneficiary: engine.Beneficiary{Account: "steam:76561198000000001"},
				Amount:      engine.Money{Value: dec("9.99"), Currency: "USD"},
			},
		},
		{
			name: "CryptoIsTransfer", file: "operation_crypto.json",
			want: engine.Event{
				ID: "upmobile:op_5515", Source: "upmobile", Kind: "transfer", Status: "created",
				OccurredAt:  at("2026-04-22T17:15:00Z"),
				Payer:       engine.Payer{ID: "upmobile:acc_2203"},
				Beneficiary: engine.Beneficiary{Account: "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"},
				Amount:      engine.Money{Value: dec("100.00"), Currency: "USD"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(ingest.Record{Source: "upmobile", Body: MustFixture(t, "upmobile", tc.file)})
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			assertEvent(t, ev, tc.want)
			assertValid(t, ev)
		})
	}
}

func TestDecodeUpmobileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want map[string]string
	}{
		{"ErrBreakdownDoesNotAddUp", "operation_breakdown_mismatch.json", map[string]string{
			"breakdown": "parts add up to 505, but amount is 500"}},
		{"ErrDepositIsNotAPayment", "operation_deposit.json", map[string]string{
			"type": "must be withdrawal"}},
		{"ErrCurrencyAndMillisecondTime", "operation_bad_currency.json", map[string]string{
			"currency_code": "RUB or USD", "created_at": "between 2000 and 2100"}},
		{"ErrExponentCategoryAndPayer", "operation_exponent_amount.json", map[string]string{
			"amount": "positive decimal", "category_code": "mobile, game, crypto", "payer-id": "is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: "upmobile", Body: MustFixture(t, "upmobile", tc.file)})
			assertFields(t, err, engine.EINVALID, tc.want)
		})
	}
}

func FuzzDecodeUpmobile(f *testing.F) {
	for _, b := range fixtures(f, "upmobile") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ingest.Decode(ingest.Record{Source: "upmobile", Key: []byte("acc_9"), Body: body})
		assertDecodeProperties(t, "upmobile", ev, err)
	})
}
