package ingest_test

import (
	"fmt"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

// An AnjirPay transfer becomes a canonical event; the payer comes from the
// record's payer-id header because the body names none.
func ExampleDecode() {
	body := []byte(`{"id": 1001, "created_at": "2026-04-22 20:08:14", "amount_rub": "1500.00",
		"amount_uzs": "205350.00", "fx_rate": "136.90", "fee_rub": "22.50",
		"dest_scheme": "uzcard", "dest_masked": "8600 **** **** 1234", "status": "pending"}`)
	ev, err := ingest.Decode(ingest.Record{Source: "anjirpay", Headers: map[string]string{"payer-id": "55821"}, Body: body})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.ID, ev.Kind, ev.Status, ev.OccurredAt.Format("2006-01-02T15:04:05Z07:00"))
	fmt.Println(ev.Payer.ID, ev.Beneficiary.CardMasked, ev.Destination.Country)
	fmt.Println(ev.Amount.Value.StringFixed(2), ev.Amount.Currency, ev.AmountLocal.Value.StringFixed(2), ev.AmountLocal.Currency)
	// Output:
	// anjirpay:1001 transfer pending 2026-04-22T17:08:14Z
	// anjirpay:55821 8600********1234 UZ
	// 1500.00 RUB 205350.00 UZS
}

// A broken record says which field is wrong and why.
func ExampleDecode_error() {
	body := []byte(`{"serviceId": 101202, "timestamp": 1776877694000,
		"transId": "9b2b6e8c-4a3f-4c1e-9d7a-2f6e1b0c5a11", "params": {"account": "998901234567"}, "amount": 500.5}`)
	_, err := ingest.Decode(ingest.Record{Source: "uzum", Headers: map[string]string{"uzum-method": "create", "payer-id": "p1"}, Body: body})
	fmt.Println(engine.ErrorCode(err))
	for _, f := range engine.ErrorFields(err) {
		fmt.Println(f.Field+":", f.Problem)
	}
	// Output:
	// invalid_argument
	// amount: must be a whole number of tiyin (1/100 UZS), at most 16 digits
}
