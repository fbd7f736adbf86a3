package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/qorovul/qorovul/engine"
)

const validEvent = `{
  "id": "tx_92f1", "source": "upay", "kind": "recharge", "status": "created",
  "occurred_at": "2026-04-22T17:08:14Z",
  "payer": {"id": "usr_18429", "name": "John Smith", "country": "US", "kyc_level": "L1"},
  "instrument": {"type": "card", "brand": "visa", "bin": "424242", "last4": "4242", "bin_country": "US", "token": "tok_8a1c"},
  "beneficiary": {"msisdn": "+998901234567", "name": "Alisher Karimov"},
  "destination": {"country": "UZ", "operator": "ucell"},
  "amount": {"value": "10.00", "currency": "USD"},
  "amount_local": {"value": "125400.00", "currency": "UZS"}, "fx_rate": "12540.00",
  "device_id": "9f2e-c1"
}`

// withField returns validEvent with one field set (path a.b) to raw JSON, or removed if raw is "".
func withField(t *testing.T, path, raw string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validEvent), &m); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(path, ".")
	obj := m
	for _, p := range parts[:len(parts)-1] {
		obj = obj[p].(map[string]any)
	}
	last := parts[len(parts)-1]
	if raw == "" {
		delete(obj, last)
	} else {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			t.Fatal(err)
		}
		obj[last] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func MustParseEvent(t testing.TB, body []byte) engine.Event {
	t.Helper()
	ev, err := engine.ParseEvent(body)
	if err != nil {
		t.Fatalf("ParseEvent: %v (fields %v)", err, engine.ErrorFields(err))
	}
	return ev
}

func TestParseEvent(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		ev := MustParseEvent(t, []byte(validEvent))
		if ev.ID != "tx_92f1" || ev.Amount.Value.String() != "10" || ev.Amount.Currency != "USD" {
			t.Fatalf("got %+v", ev)
		}
		if ev.FXRate == nil || ev.FXRate.String() != "12540" || ev.AmountLocal.Value.String() != "125400" {
			t.Fatalf("fx/local: %+v %+v", ev.FXRate, ev.AmountLocal)
		}
		if got := ev.OccurredAt.Format("2006-01-02T15:04:05Z07:00"); got != "2026-04-22T17:08:14Z" {
			t.Fatalf("occurred_at %s", got)
		}
	})
	t.Run("NumberAmountIsExact", func(t *testing.T) {
		ev := MustParseEvent(t, withField(t, "amount.value", "0.1"))
		if ev.Amount.Value.String() != "0.1" {
			t.Fatalf("amount %s", ev.Amount.Value)
		}
	})
	t.Run("MSISDNNormalised", func(t *testing.T) {
		for _, in := range []string{`"998901234567"`, `"+998 90 123-45-67"`, `"00998901234567"`, `"(90) 123 45 67"`} {
			ev := MustParseEvent(t, withField(t, "beneficiary.msisdn", in))
			if ev.Beneficiary.MSISDN != "+998901234567" {
				t.Errorf("%s -> %q", in, ev.Beneficiary.MSISDN)
			}
		}
	})
	t.Run("CountryUpperCased", func(t *testing.T) {
		ev := MustParseEvent(t, withField(t, "payer.country", `"ru"`))
		if ev.Payer.Country != "RU" {
			t.Fatalf("country %q", ev.Payer.Country)
		}
	})
}

func TestParseEventErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path, raw, field string
	}{
		{"ErrIDMissing", "id", "", "id"},
		{"ErrIDTooLong", "id", `"` + strings.Repeat("x", 129) + `"`, "id"},
		{"ErrSourceUnknown", "source", `"paypal"`, "source"},
		{"ErrKindMissing", "kind", "", "kind"},
		{"ErrKindUnknown", "kind", `"loan"`, "kind"},
		{"ErrOccurredAtMissing", "occurred_at", "", "occurred_at"},
		{"ErrOccurredAtNotRFC3339", "occurred_at", `"22/04/2026 17:08"`, "occurred_at"},
		{"ErrOccurredAtNumber", "occurred_at", `1713805694`, "occurred_at"},
		{"ErrPayerIDMissing", "payer.id", "", "payer.id"},
		{"ErrAmountMissing", "amount", "", "amount"},
		{"ErrAmountNegative", "amount.value", `"-5.00"`, "amount.value"},
		{"ErrAmountZero", "amount.value", `"0"`, "amount.value"},
		{"ErrAmountNotDecimal", "amount.value", `"ten"`, "amount.value"},
		{"ErrAmountExponent", "amount.value", `"1e3"`, "amount.value"},
		{"ErrAmountHuge", "amount.value", `"10000000000000"`, "amount.value"},
		{"ErrAmountTooPrecise", "amount.value", `"1.000000001"`, "amount.value"},
		{"ErrCurrencyUnknown", "amount.currency", `"ABC"`, "amount.currency"},
		{"ErrCurrencyLowerCase", "amount.currency", `"usd"`, "amount.currency"},
		{"ErrLocalAmountBad", "amount_local.value", `"-1"`, "amount_local.value"},
		{"ErrFXRateBad", "fx_rate", `"x"`, "fx_rate"},
		{"ErrMSISDNBad", "beneficiary.msisdn", `"hello"`, "beneficiary.msisdn"},
		{"ErrMSISDNShort", "beneficiary.msisdn", `"+99890"`, "beneficiary.msisdn"},
		{"ErrNoBeneficiary", "beneficiary", `{"name": "A B"}`, "beneficiary"},
		{"ErrCountryNotISO", "payer.country", `"USA"`, "payer.country"},
		{"ErrCountryUnknown", "destination.country", `"ZZ"`, "destination.country"},
		{"ErrBINBad", "instrument.bin", `"42"`, "instrument.bin"},
		{"ErrLast4Bad", "instrument.last4", `"42a2"`, "instrument.last4"},
		{"ErrUnknownField", "colour", `"red"`, "colour"},
		{"ErrWrongType", "payer.id", `42`, "payer.id"},
		{"ErrCardNumberInName", "beneficiary.name", `"4111 1111 1111 1111"`, "body"},
		{"ErrCardNumberInToken", "instrument.token", `"4242424242424242"`, "body"},
		{"ErrCardNumberDashed", "device_id", `"5500-0000-0000-0004"`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.ParseEvent(withField(t, tc.path, tc.raw))
			if engine.ErrorCode(err) != engine.EINVALID {
				t.Fatalf("code %q, err %v", engine.ErrorCode(err), err)
			}
			var found []string
			for _, f := range engine.ErrorFields(err) {
				found = append(found, f.Field+": "+f.Problem)
				if f.Field == tc.field && f.Problem != "" {
					return
				}
			}
			t.Fatalf("no problem reported for %s; got %v", tc.field, found)
		})
	}
	t.Run("EveryFieldAtOnce", func(t *testing.T) {
		body := `{"id": "", "source": "x", "kind": "y", "occurred_at": "soon", "payer": {},
		  "beneficiary": {}, "amount": {"value": "-1", "currency": "usd"}}`
		_, err := engine.ParseEvent([]byte(body))
		want := map[string]bool{"id": true, "source": true, "kind": true, "occurred_at": true, "payer.id": true,
			"beneficiary": true, "amount.value": true, "amount.currency": true}
		for _, f := range engine.ErrorFields(err) {
			delete(want, f.Field)
		}
		if len(want) > 0 {
			t.Fatalf("not reported: %v (all: %v)", want, engine.ErrorFields(err))
		}
	})
	t.Run("NotACardNumber", func(t *testing.T) {
		// 16 digits failing Luhn, and a 12-digit phone number, are fine.
		MustParseEvent(t, withField(t, "device_id", `"4242424242424241"`))
	})
	t.Run("ErrNotAnObject", func(t *testing.T) {
		_, err := engine.ParseEvent([]byte(`[]`))
		if fs := engine.ErrorFields(err); len(fs) != 1 || fs[0].Field != "body" || fs[0].Problem != "must be a JSON object" {
			t.Fatalf("%v", fs)
		}
	})
	t.Run("ErrCardNumberNamesTheField", func(t *testing.T) {
		_, err := engine.ParseEvent(withField(t, "beneficiary.name", `"4111 1111 1111 1111"`))
		named := false
		for _, f := range engine.ErrorFields(err) {
			named = named || f.Field == "beneficiary.name"
		}
		if !named {
			t.Fatalf("%v", engine.ErrorFields(err))
		}
	})
	// What the JSON decoder refuses, each named exactly.
	for _, tc := range []struct {
		name, body, field, problem string
	}{
		{"ErrEmpty", ``, "body", "is empty"},
		{"ErrBlank", " \n\t", "body", "is empty"},
		{"ErrTruncated", `{"id": "tx_1"`, "body", "is truncated"},
		{"ErrTrailingData", validEvent + `{}`, "body", "must hold exactly one JSON value"},
		{"ErrNotJSON", `{"id": tx_1}`, "body", "is not valid JSON at offset 8"},
		{"ErrNotAnObject", `"tx_1"`, "body", "must be a JSON object"},
		// encoding/json let the last of two members win, so a proxy and
		// the engine could read different ids from one body.
		{"ErrDuplicateMember", strings.Replace(validEvent, `"id": "tx_92f1",`, `"id": "tx_92f1", "id": "tx_other",`, 1), "id", "appears more than once"},
		{"ErrDuplicateNestedMember", strings.Replace(validEvent, `"country": "US",`, `"country": "US", "country": "RU",`, 1), "payer.country", "appears more than once"},
		{"ErrInvalidUTF8", strings.Replace(validEvent, "John Smith", "John \xff", 1), "payer.name", "is not valid UTF-8"},
		{"ErrNestedUnknownField", strings.Replace(validEvent, `"kyc_level": "L1"`, `"kyc_level": "L1", "colour": "red"`, 1), "payer.colour", "is not a known field"},
		{"ErrMemberCase", strings.Replace(validEvent, `"id": "tx_92f1"`, `"ID": "tx_92f1"`, 1), "ID", "is not a known field"},
		{"ErrNestedWrongType", strings.Replace(validEvent, `"country": "US",`, `"country": 840,`, 1), "payer.country", "must be a JSON string"},
		{"ErrObjectWrongType", strings.Replace(validEvent, `"destination": {"country": "UZ", "operator": "ucell"}`, `"destination": "UZ"`, 1), "destination", "must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.ParseEvent([]byte(tc.body))
			fs := engine.ErrorFields(err)
			if engine.ErrorCode(err) != engine.EINVALID || len(fs) != 1 || fs[0].Field != tc.field || fs[0].Problem != tc.problem {
				t.Fatalf("got %v (%v), want %s: %s", fs, err, tc.field, tc.problem)
			}
		})
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(validEvent))
	f.Add([]byte(`{"id":"a","amount":{"value":1e400}}`))
	f.Add([]byte(`{"beneficiary":{"msisdn":"+99890 1234 567 8901 2345"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := engine.ParseEvent(body)
		if err != nil {
			if engine.ErrorCode(err) != engine.EINVALID || len(engine.ErrorFields(err)) == 0 {
				t.Fatalf("error without fields: %v", err)
			}
			for _, f := range engine.ErrorFields(err) {
				if f.Field == "" || f.Problem == "" {
					t.Fatalf("a problem without a field: %v", engine.ErrorFields(err))
				}
			}
			return
		}
		// A valid event survives a round trip and validates again unchanged.
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := engine.ParseEvent(b)
		if err != nil {
			t.Fatalf("round trip of %s: %v %v", b, err, engine.ErrorFields(err))
		}
		if ev2.ID != ev.ID || !ev2.Amount.Value.Equal(ev.Amount.Value) || ev2.Beneficiary.MSISDN != ev.Beneficiary.MSISDN {
			t.Fatalf("round trip changed the event: %+v vs %+v", ev, ev2)
		}
	})
}

// TestFastE164AgreesWithParser checks the E.164 fast path against
// libphonenumber's parser on numbers of many countries and lengths.
func TestFastE164AgreesWithParser(t *testing.T) {
	for _, n := range []string{"+998901234567", "+99890123456", "+9989012345678", "+992935123456", "+79161234567",
		"+7916123456", "+12025550123", "+442071838750", "+390612345678", "+971501234567", "+8613812345678",
		"+99833123456", "+1202555012", "+999123456789", "+2011234567890", "+35312345678", "+9989"} {
		got, ok := engine.NormalizeMSISDN(n, "")
		// The slow path, forced by a space the fast path refuses.
		want, wantOK := engine.NormalizeMSISDN(n[:3]+" "+n[3:], "")
		if ok != wantOK || got != want {
			t.Errorf("%s: fast %q %v, parser %q %v", n, got, ok, want, wantOK)
		}
	}
}

// TestFastInternationalAgreesWithParser checks the fast path for numbers
// written without "+" against libphonenumber's parser, in each region it
// serves: the calling code, then every three-digit start of the rest, at
// every length from too short to too long.
func TestFastInternationalAgreesWithParser(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, region := range []string{"UZ", "TJ", "KG"} {
		code := strconv.Itoa(phonenumbers.GetCountryCodeForRegion(region))
		fast := 0
		for start := range 1000 {
			for length := 3; length <= 12; length++ {
				n := code + fmt.Sprintf("%03d", start)
				for len(n) < len(code)+length {
					n += strconv.Itoa(r.IntN(10))
				}
				if _, ok := engine.FastInternational(n, region); ok {
					fast++
				}
				got, ok := engine.NormalizeMSISDN(n, region)
				want, wantOK := engine.NormalizeMSISDNSlow(n, region)
				if ok != wantOK || got != want {
					t.Errorf("%s %s: fast %q %v, parser %q %v", region, n, got, ok, want, wantOK)
				}
			}
		}
		// The fast path must carry most well-formed numbers, or this test
		// checks nothing.
		if fast < 500 {
			t.Errorf("%s: the fast path took only %d numbers", region, fast)
		}
	}
	if _, ok := engine.FastInternational("998901234567", "UZ"); !ok {
		t.Error("998901234567 to UZ did not take the fast path")
	}
}

// FuzzNormalizeMSISDN checks that the fast paths give the parser's answer.
func FuzzNormalizeMSISDN(f *testing.F) {
	for _, s := range []string{"998901234567", "+998901234567", "992935123456", "9989012345", "79161234567", "996555123456", "8 901 234 56 78", "00998901234567"} {
		f.Add(s, uint8(0))
	}
	regions := []string{"UZ", "TJ", "KG", "KZ", "RU", ""}
	f.Fuzz(func(t *testing.T, s string, ri uint8) {
		region := regions[int(ri)%len(regions)]
		got, ok := engine.NormalizeMSISDN(s, region)
		want, wantOK := engine.NormalizeMSISDNSlow(s, region)
		if len(s) <= 32 && (ok != wantOK || got != want) {
			t.Errorf("%q in %q: fast %q %v, parser %q %v", s, region, got, ok, want, wantOK)
		}
	})
}

// BenchmarkNormalizeMSISDN is the cost of one number in each form.
func BenchmarkNormalizeMSISDN(b *testing.B) {
	for _, c := range []struct{ name, number string }{
		{"E164", "+998901234567"}, {"NoPlus", "998901234567"}, {"National", "901234567"}, {"Spaced", "+998 90 123-45-67"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if n, ok := engine.NormalizeMSISDN(c.number, "UZ"); !ok || n != "+998901234567" {
					b.Fatalf("%q -> %q %v", c.number, n, ok)
				}
			}
		})
	}
	// For comparison: the number without "+" through the parser alone.
	b.Run("NoPlusParser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n, ok := engine.NormalizeMSISDNSlow("998901234567", "UZ"); !ok || n != "+998901234567" {
				b.Fatalf("-> %q %v", n, ok)
			}
		}
	})
}

// BenchmarkParseEvent is the decode and validation cost of one canonical
// event on the preauth path.
func BenchmarkParseEvent(b *testing.B) {
	body := []byte(validEvent)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.ParseEvent(body); err != nil {
			b.Fatal(err)
		}
	}
}
