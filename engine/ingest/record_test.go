package ingest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
)

func TestDecodeAPI(t *testing.T) {
	t.Run("CanonicalEventAsIs", func(t *testing.T) {
		for _, source := range []string{"api", ""} {
			ev, err := ingest.Decode(ingest.Record{Source: source, Body: MustFixture(t, "api", "event.json")})
			if err != nil {
				t.Fatalf("source %q: %v %+v", source, err, engine.ErrorFields(err))
			}
			want := engine.Event{
				ID: "upay:92f1c0de", Source: "upay", Kind: "recharge", Status: "created",
				OccurredAt:  at("2026-04-22T17:08:14Z"),
				Payer:       engine.Payer{ID: "upay:usr_18429", Name: "John Smith", Country: "US", KYCLevel: "L1"},
				Instrument:  &engine.Instrument{Type: "card", Brand: "visa", BIN: "424242", Last4: "4242", BINCountry: "US", Token: "tok_8a1c"},
				Beneficiary: engine.Beneficiary{MSISDN: "+998931234567", Name: "Alisher Karimov"},
				Destination: &engine.Destination{Country: "UZ", Operator: "ucell"},
				Amount:      engine.Money{Value: dec("10.00"), Currency: "USD"},
				AmountLocal: &engine.Money{Value: dec("125400.00"), Currency: "UZS"},
				FXRate:      decp("12540.00"),
				DeviceID:    "9f2e-c1",
			}
			assertEvent(t, ev, want)
		}
	})
	t.Run("PayerFromHeader", func(t *testing.T) {
		ev, err := ingest.Decode(ingest.Record{Source: "api", Headers: map[string]string{"payer-id": "partner-77:cust-5"},
			Body: MustFixture(t, "api", "event_no_payer.json")})
		if err != nil {
			t.Fatalf("Decode: %v %+v", err, engine.ErrorFields(err))
		}
		if ev.Payer.ID != "partner-77:cust-5" || ev.Payer.Name != "Dilnoza Yusupova" || ev.Beneficiary.CardMasked != "8600********1234" {
			t.Errorf("event = %+v", ev)
		}
	})
	t.Run("ErrNoPayerAnywhere", func(t *testing.T) {
		_, err := ingest.Decode(ingest.Record{Source: "api", Body: MustFixture(t, "api", "event_no_payer.json")})
		assertFields(t, err, engine.EINVALID, map[string]string{"payer.id": "is required"})
	})
	t.Run("ErrBadPayerIsNotReplacedByHeader", func(t *testing.T) {
		body := strings.Replace(string(MustFixture(t, "api", "event.json")), `"upay:usr_18429"`, `"`+strings.Repeat("p", 200)+`"`, 1)
		_, err := ingest.Decode(ingest.Record{Source: "api", Headers: map[string]string{"payer-id": "p"}, Body: []byte(body)})
		assertFields(t, err, engine.EINVALID, map[string]string{"payer.id": "at most"})
	})
	t.Run("ErrUnknownFieldIsRefused", func(t *testing.T) {
		_, err := ingest.Decode(ingest.Record{Source: "api", Headers: map[string]string{"payer-id": "p"},
			Body: MustFixture(t, "api", "event_unknown_field.json")})
		assertFields(t, err, engine.EINVALID, map[string]string{"amount_usd": "not a known field"})
	})
}

func TestDecodeRecord(t *testing.T) {
	t.Run("ErrUnknownSource", func(t *testing.T) {
		_, err := ingest.Decode(ingest.Record{Source: "paynet", Body: []byte(`{}`)})
		assertFields(t, err, engine.EINVALID, map[string]string{"source": "one of upay"})
	})
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		body := append([]byte(`{"id":"`), bytes.Repeat([]byte("a"), ingest.MaxBodyBytes)...)
		_, err := ingest.Decode(ingest.Record{Source: "upay", Body: body})
		assertFields(t, err, engine.ETOOLARGE, map[string]string{"body": "at most"})
	})
	for _, source := range []string{"upay", "anjirpay", "upmobile", "telecom"} {
		for _, tc := range []struct {
			name, body, problem string
		}{
			{"ErrEmpty", ``, "is empty"},
			{"ErrNotObject", `["id"]`, "JSON object"},
			{"ErrTruncated", `{"id": "x", `, "truncated"},
			{"ErrTrailingData", `{"id":"x"} {"id":"y"}`, "exactly one"},
			{"ErrSyntax", `{"id" "x"}`, "offset"},
		} {
			t.Run(source+"/"+tc.name, func(t *testing.T) {
				_, err := ingest.Decode(ingest.Record{Source: source, Key: []byte("k"), Body: []byte(tc.body)})
				assertFields(t, err, engine.EINVALID, map[string]string{"body": tc.problem})
			})
		}
		t.Run(source+"/ErrDuplicateMember", func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: source, Key: []byte("k"), Body: []byte(`{"status": "pending", "status": "declined"}`)})
			assertFields(t, err, engine.EINVALID, map[string]string{"status": "appears more than once"})
		})
		t.Run(source+"/ErrInvalidUTF8", func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: source, Key: []byte("k"), Body: []byte("{\"status\": \"pend\xffing\"}")})
			assertFields(t, err, engine.EINVALID, map[string]string{"status": "not valid UTF-8"})
		})
		t.Run(source+"/ErrWrongJSONType", func(t *testing.T) {
			_, err := ingest.Decode(ingest.Record{Source: source, Key: []byte("k"), Body: []byte(`{"amount_rub": "1", "status": 7}`)})
			assertFields(t, err, engine.EINVALID, map[string]string{"status": "must be a JSON string"})
		})
	}
	t.Run("HeaderNamesIgnoreCase", func(t *testing.T) {
		r := ingest.Record{Headers: map[string]string{"Payer-Id": "a", "UZUM-METHOD": "create"}}
		if r.Header("payer-id") != "a" || r.Header(ingest.HeaderUzumMethod) != "create" || r.Header("x") != "" {
			t.Errorf("Header lookups failed on %v", r.Headers)
		}
	})
	t.Run("PayerAlreadyNamespacedIsKept", func(t *testing.T) {
		ev, err := ingest.Decode(ingest.Record{Source: "upay", Key: []byte("upay:usr_1"), Body: MustFixture(t, "upay", "list_item_delivered.json")})
		if err != nil || ev.Payer.ID != "upay:usr_1" {
			t.Errorf("payer %q, %v", ev.Payer.ID, err)
		}
	})
	t.Run("ErrPayerKeyNotPrintable", func(t *testing.T) {
		_, err := ingest.Decode(ingest.Record{Source: "upay", Key: []byte("usr 1\x00"), Body: MustFixture(t, "upay", "list_item_delivered.json")})
		assertFields(t, err, engine.EINVALID, map[string]string{"payer-id": "printable"})
	})
}

// Sources never collide: the same native id from two sources gives two ids.
func TestEventIDsAreNamespaced(t *testing.T) {
	up, err := ingest.Decode(ingest.Record{Source: "upay", Key: []byte("1"), Body: []byte(
		`{"id":"1001","destination_msisdn":"998931234567","amount_usd":"1","status":"delivered","completed_at":"2026-04-22T17:08:14Z"}`)})
	if err != nil {
		t.Fatal(err)
	}
	an, err := ingest.Decode(ingest.Record{Source: "anjirpay", Key: []byte("1"), Body: MustFixture(t, "anjirpay", "transfer_pending.json")})
	if err != nil {
		t.Fatal(err)
	}
	if up.ID != "upay:1001" || an.ID != "anjirpay:1001" {
		t.Errorf("ids %q and %q", up.ID, an.ID)
	}
	if up.Payer.ID != "upay:1" || an.Payer.ID != "anjirpay:55821" {
		t.Errorf("payers %q and %q", up.Payer.ID, an.Payer.ID)
	}
}

func FuzzDecodeAPI(f *testing.F) {
	for _, b := range fixtures(f, "api") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ingest.Decode(ingest.Record{Source: "api", Headers: map[string]string{"payer-id": "p1"}, Body: body})
		if err != nil {
			if c := engine.ErrorCode(err); c != engine.EINVALID && c != engine.ETOOLARGE || len(engine.ErrorFields(err)) == 0 {
				t.Fatalf("error %v (code %q) names no field", err, c)
			}
			return
		}
		if ev.ID == "" || ev.Payer.ID == "" || !ev.Amount.Value.IsPositive() {
			t.Fatalf("accepted an incomplete event %+v", ev)
		}
	})
}
