package engine_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

// trickyStrings exercise every escaping rule of encoding/json.
var trickyStrings = []string{
	"", "allow", "tx_92f1", "Алишер Усманов", "O'Brien \"Jr\"", `back\slash`, "<script>&amp;</script>",
	"tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f", "line\u2028sep\u2029par", "bad \xff\xfe utf8 \xc3", "😀 emoji",
	"payer topped up 9 distinct numbers in 24h (limit 5)", "trailing \\",
}

func randomDecision(r *rand.Rand) engine.Decision {
	str := func() string { return trickyStrings[r.IntN(len(trickyStrings))] }
	dec := func() decimal.Decimal {
		switch r.IntN(8) {
		case 0: // the edges of the int64 fast path and past them
			edges := []string{"0", "-0.000", "9223372036854775807", "-9223372036854775808", "0.000000000000000001",
				"-123456789012345678", "1234567890123456789", "99999999999999999999.5", "1e3", "-2.5e2", "1e-19", "7e-18"}
			return decimal.RequireFromString(edges[r.IntN(len(edges))])
		case 1:
			return decimal.New(r.Int64(), -int32(r.IntN(22)))
		}
		return decimal.New(r.Int64N(2_000_000)-1_000_000, -int32(r.IntN(7)))
	}
	zones := []*time.Location{time.UTC, time.FixedZone("UZT", 5*3600), time.FixedZone("EST", -5*3600)}
	d := engine.Decision{
		DecisionID: str(), EventID: str(), Outcome: str(), Score: r.IntN(201) - 100,
		PolicyVersion: str(),
		CreatedAt:     time.Unix(r.Int64N(4_000_000_000), r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))]),
		Features: engine.Features{
			AmountUSD: dec(), PayerCount1h: r.IntN(100), PayerCount24h: r.IntN(100), PayerCount7d: r.IntN(100),
			PayerAmountUSD1h: dec(), PayerAmountUSD24h: dec(), PayerAmountUSD7d: dec(),
			PayerDistinctMSISDN24h: r.IntN(50), PayerDistinctMSISDN7d: r.IntN(50),
			MSISDNDistinctPayers24h: r.IntN(50), InstrumentDistinctPayers24h: r.IntN(50),
			Saturated: r.IntN(2) == 0,
		},
	}
	if r.IntN(2) == 0 {
		d.ListsVersion = str()
	}
	if r.IntN(2) == 0 {
		d.HoldID = str()
	}
	switch r.IntN(3) {
	case 0: // nil reasons
	case 1:
		d.Reasons = []engine.Reason{}
	default:
		for range 1 + r.IntN(3) {
			d.Reasons = append(d.Reasons, engine.Reason{Code: str(), Message: str()})
		}
	}
	scores := []float64{0, 1, 0.964, 0.8, 1e-7, 3.5e-9, 1e21, 123456789.125, -0.5, math.SmallestNonzeroFloat64}
	for range r.IntN(3) {
		d.Sanctions = append(d.Sanctions, engine.SanctionsMatch{
			List: str(), EntryID: str(), Name: str(), Field: str(), Query: str(),
			Score: scores[r.IntN(len(scores))], Via: str(),
		})
	}
	return d
}

// TestDecisionAppendJSON checks the hand-written encoder against
// json.Marshal on random decisions.
func TestDecisionAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	covered := map[string]bool{}
	for i := range 5000 {
		d := randomDecision(r)
		markSet(covered, "", reflect.ValueOf(d))
		want, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("decision %d:\n got %s\nwant %s", i, got, want)
		}
	}
	// Every field was set in some decision: a field added to Decision
	// and not to the encoder shows up above.
	var missing []string
	markAll(func(name string) {
		if !covered[name] {
			missing = append(missing, name)
		}
	}, "", reflect.TypeOf(engine.Decision{}))
	if len(missing) > 0 {
		t.Fatalf("fields never set by the generator: %v", missing)
	}
}

func TestDecisionAppendJSONRefusesWhatMarshalRefuses(t *testing.T) {
	for _, d := range []engine.Decision{
		{Sanctions: []engine.SanctionsMatch{{Score: math.NaN()}}},
		{Sanctions: []engine.SanctionsMatch{{Score: math.Inf(1)}}},
		{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := json.Marshal(&d); err == nil {
			t.Fatalf("json.Marshal accepted %+v", d)
		}
		if _, err := d.AppendJSON(nil); err == nil {
			t.Fatalf("AppendJSON accepted %+v", d)
		}
	}
}

func FuzzDecisionAppendJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, 0.5)
	}
	f.Fuzz(func(t *testing.T, s string, score float64) {
		if math.IsNaN(score) || math.IsInf(score, 0) {
			return
		}
		d := engine.Decision{DecisionID: s, Reasons: []engine.Reason{{Code: s, Message: s}},
			Sanctions: []engine.SanctionsMatch{{Name: s, Score: score}}, CreatedAt: time.Unix(0, 0).UTC()}
		want, err := json.Marshal(&d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AppendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v\nwant %s", got, err, want)
		}
	})
}

// markSet records the fields of v (recursively through structs and
// slices) that are not zero.
func markSet(seen map[string]bool, prefix string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type().PkgPath() != "github.com/qorovul/qorovul/engine" {
			if !v.IsZero() {
				seen[prefix] = true
			}
			return
		}
		for i := range v.NumField() {
			markSet(seen, prefix+"."+v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() > 0 {
			seen[prefix] = true
		}
		for i := range v.Len() {
			markSet(seen, prefix, v.Index(i))
		}
	default:
		if !v.IsZero() {
			seen[prefix] = true
		}
	}
}

// markAll calls fn with every field path markSet can record.
func markAll(fn func(string), prefix string, t reflect.Type) {
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() != "github.com/qorovul/qorovul/engine" {
			fn(prefix)
			return
		}
		for i := range t.NumField() {
			markAll(fn, prefix+"."+t.Field(i).Name, t.Field(i).Type)
		}
	case reflect.Slice:
		fn(prefix)
		markAll(fn, prefix, t.Elem())
	default:
		fn(prefix)
	}
}

// BenchmarkDecisionJSON compares the encoder with json.Marshal on a typical
// allow decision.
func BenchmarkDecisionJSON(b *testing.B) {
	d := engine.Decision{DecisionID: "dec_0123456789abcdef01234567", EventID: "bench_12345", Outcome: "allow", Reasons: []engine.Reason{},
		Features: engine.Features{AmountUSD: decimal.RequireFromString("10"), PayerCount1h: 3, PayerCount24h: 3, PayerCount7d: 3,
			PayerAmountUSD1h: decimal.RequireFromString("30"), PayerAmountUSD24h: decimal.RequireFromString("30"), PayerAmountUSD7d: decimal.RequireFromString("30"),
			PayerDistinctMSISDN24h: 3, PayerDistinctMSISDN7d: 3, MSISDNDistinctPayers24h: 1, InstrumentDistinctPayers24h: 1},
		PolicyVersion: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", CreatedAt: time.Date(2026, 4, 22, 17, 8, 14, 512000000, time.UTC)}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.AppendJSON(make([]byte, 0, 1024)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
