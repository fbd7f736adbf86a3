package ingest_test

import (
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func uzumRecord(tb testing.TB, method, file, payer string) ingest.Record {
	h := map[string]string{"uzum-method": method}
	if payer != "" {
		h["payer-id"] = payer
	}
	return ingest.Record{Source: "uzum", Headers: h, Body: MustFixture(tb, "uzum", file)}
}

func TestDecodeUzum(t *testing.T) {
	const id = "uzum:9b2b6e8c-4a3f-4c1e-9d7a-2f6e1b0c5a11"
	for _, tc := range []struct {
		name, method, file, payer string
		want                      engine.Event
		statusOnly                bool
	}{
		{
			name: "CreatePhoneIsRechargeTiyinToUZS", method: "create", file: "create_phone.json", payer: "uzum-client-31",
			want: engine.Event{
				ID: id, Source: "uzum", Kind: "recharge", Status: "created",
				OccurredAt:  at("2026-04-22T17:08:14Z"),
				Payer:       engine.Payer{ID: "uzum:uzum-client-31"},
				Beneficiary: engine.Beneficiary{MSISDN: "+998901234567"},
				Destination: &engine.Destination{Country: "UZ"},
				Amount:      engine.Money{Value: dec("50000.00"), Currency: "UZS"},
			},
		},
		{
			name: "CreateAccountIsBillPayment", method: "/create", file: "create_account.json", payer: "uzum-client-31",
			want: engine.Event{
				ID: "uzum:3f0c2a8e-51b4-4d0a-8a55-0f7c9e2d4b60", Source: "uzum", Kind: "bill_payment", Status: "created",
				OccurredAt:  at("2026-04-22T17:10:00.5Z"),
				Payer:       engine.Payer{ID: "uzum:uzum-client-31"},
				Beneficiary: engine.Beneficiary{Account: "uzum-service-101305:LS-00412377"},
				Destination: &engine.Destination{Country: "UZ"},
				Amount:      engine.Money{Value: dec("123456.78"), Currency: "UZS"},
			},
		},
		{
			name: "ConfirmCompletes", method: "confirm", file: "confirm.json", statusOnly: true,
			want: engine.Event{ID: id, Source: "uzum", Status: "completed", OccurredAt: at("2026-04-22T17:08:18.456Z")},
		},
		{
			name: "ReverseReverses", method: "REVERSE", file: "reverse.json", statusOnly: true,
			want: engine.Event{ID: id, Source: "uzum", Status: "reversed", OccurredAt: at("2026-04-22T18:08:14Z")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ingest.Decode(uzumRecord(t, tc.method, tc.file, tc.payer))
			if err != nil {
				t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
			}
			assertEvent(t, ev, tc.want)
			if got := ingest.StatusOnly(ev); got != tc.statusOnly {
				t.Errorf("StatusOnly = %v, want %v", got, tc.statusOnly)
			}
			if !tc.statusOnly {
				assertValid(t, ev)
			}
		})
	}
}

// create, confirm and reverse of one transId follow the lifecycle.
func TestUzumLifecycle(t *testing.T) {
	var statuses []string
	for _, step := range []struct{ method, file string }{
		{"create", "create_phone.json"}, {"confirm", "confirm.json"}, {"reverse", "reverse.json"},
	} {
		ev, err := ingest.Decode(uzumRecord(t, step.method, step.file, "p1"))
		if err != nil {
			t.Fatalf("%s: %v", step.method, err)
		}
		statuses = append(statuses, ev.Status)
	}
	for i := 1; i < len(statuses); i++ {
		if err := engine.Transition(statuses[i-1], statuses[i]); err != nil {
			t.Errorf("%s -> %s: %v", statuses[i-1], statuses[i], err)
		}
	}
}

func TestParseUzum(t *testing.T) {
	check, err := ingest.ParseUzum("check", MustFixture(t, "uzum", "check.json"))
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if check.ServiceID != 101202 || check.Account() != "998901234567" || check.TransID != "" ||
		!check.Timestamp.Equal(at("2026-04-22T17:08:10.123Z")) {
		t.Errorf("check = %+v", check)
	}
	confirm, err := ingest.ParseUzum("confirm", MustFixture(t, "uzum", "confirm.json"))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if confirm.PaymentSource != "UZCARD" || confirm.Tariff != "STANDARD" ||
		confirm.ProcessingReferenceNumber != "412233445566" || confirm.Phone != "998935556677" {
		t.Errorf("confirm = %+v", confirm)
	}
	create, err := ingest.ParseUzum("create", MustFixture(t, "uzum", "create_account.json"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if create.Params["region"] != "01" || create.TransID != "3f0c2a8e-51b4-4d0a-8a55-0f7c9e2d4b60" ||
		create.Amount.String() != "123456.78" {
		t.Errorf("create = %+v", create)
	}
	status, err := ingest.ParseUzum("status", MustFixture(t, "uzum", "status.json"))
	if err != nil || status.TransID != "9b2b6e8c-4a3f-4c1e-9d7a-2f6e1b0c5a11" {
		t.Errorf("status = %+v, %v", status, err)
	}
}

func TestDecodeUzumErrors(t *testing.T) {
	for _, tc := range []struct {
		name, method, file, payer string
		want                      map[string]string
	}{
		{"ErrFractionOfTiyin", "create", "create_fraction_tiyin.json", "p1", map[string]string{
			"amount": "whole number of tiyin"}},
		{"ErrBadIDsAndSecondsTimestamp", "create", "create_bad_ids.json", "p1", map[string]string{
			"serviceId": "positive integer", "timestamp": "Unix milliseconds", "transId": "UUID", "params.account": "is required"}},
		{"ErrCreateWithoutPayer", "create", "create_phone.json", "", map[string]string{
			"payer-id": "is required"}},
		{"ErrCheckIsNoEvent", "check", "check.json", "p1", map[string]string{
			"uzum-method": "check is a query"}},
		{"ErrStatusIsNoEvent", "status", "status.json", "p1", map[string]string{
			"uzum-method": "status is a query"}},
		{"ErrMethodMissing", "", "create_phone.json", "p1", map[string]string{
			"uzum-method": "is required"}},
		{"ErrMethodUnknown", "refund", "create_phone.json", "p1", map[string]string{
			"uzum-method": "one of check, create"}},
		{"ErrConfirmWithoutTransID", "confirm", "check.json", "", map[string]string{
			"transId": "is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.Decode(uzumRecord(t, tc.method, tc.file, tc.payer))
			assertFields(t, err, engine.EINVALID, tc.want)
		})
	}
}

func TestUzumTiyin(t *testing.T) {
	for _, tc := range []struct{ amount, want, problem string }{
		{`1`, "0.01", ""},
		{`100`, "1", ""},
		{`"5000000"`, "50000", ""},
		{`9999999999999999`, "99999999999999.99", ""},
		{`0`, "", "positive"},
		{`-100`, "", "whole number"},
		{`1.5`, "", "whole number"},
		{`1e5`, "", "whole number"},
		{`99999999999999999`, "", "at most 16 digits"},
		{`true`, "", "whole number"},
	} {
		t.Run(tc.amount, func(t *testing.T) {
			body := []byte(`{"serviceId":1,"timestamp":1776877694000,"transId":"5d1e7f10-2b3c-4d5e-8f90-a1b2c3d4e5f6",` +
				`"params":{"account":"x"},"amount":` + tc.amount + `}`)
			q, err := ingest.ParseUzum("create", body)
			if tc.problem != "" {
				assertFields(t, err, engine.EINVALID, map[string]string{"amount": tc.problem})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !q.Amount.Equal(dec(tc.want)) {
				t.Errorf("amount = %s UZS, want %s", q.Amount, tc.want)
			}
		})
	}
}

func FuzzDecodeUzum(f *testing.F) {
	for _, m := range []string{"check", "create", "confirm", "reverse", "status"} {
		for _, b := range fixtures(f, "uzum") {
			f.Add(m, b)
		}
	}
	f.Fuzz(func(t *testing.T, method string, body []byte) {
		r := ingest.Record{Source: "uzum", Headers: map[string]string{"uzum-method": method, "payer-id": "p1"}, Body: body}
		ev, err := ingest.Decode(r)
		assertDecodeProperties(t, "uzum", ev, err)
		if q, perr := ingest.ParseUzum(method, body); perr == nil && q.Method == ingest.UzumCreate && !q.Amount.IsPositive() {
			t.Fatalf("create with amount %s parsed", q.Amount)
		}
	})
}
