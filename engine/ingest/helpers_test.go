package ingest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/qorovul/qorovul/engine/ingest"
	"github.com/shopspring/decimal"
)

// fixtureDir is testdata/sources at the module root.
const fixtureDir = "../../testdata/sources"

// MustFixture reads testdata/sources/<source>/<name>.
func MustFixture(tb testing.TB, source, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, source, name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

// fixtures returns every fixture of source, for fuzz seeds.
func fixtures(tb testing.TB, source string) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, source, "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures for %s: %v", source, err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("read fixture: %v", err)
		}
		out = append(out, b)
	}
	return out
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decp(s string) *decimal.Decimal { d := dec(s); return &d }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// fixedClock is a clock stopped at one instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// assertEvent compares two events through their canonical JSON, so that
// every field counts and equal decimals compare equal.
func assertEvent(t *testing.T, got, want engine.Event) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("event mismatch\n got: %s\nwant: %s", g, w)
	}
	if !got.Amount.Value.Equal(want.Amount.Value) {
		t.Errorf("amount = %s, want %s", got.Amount.Value, want.Amount.Value)
	}
}

// assertValid checks that the pipeline's validation accepts a decoded event.
func assertValid(t *testing.T, ev engine.Event) {
	t.Helper()
	if err := engine.Validate(&ev); err != nil {
		t.Errorf("engine.Validate: %v %+v", err, engine.ErrorFields(err))
	}
}

// assertFields checks that err is an *engine.Error with code and a field
// problem for each field whose text contains the given words.
func assertFields(t *testing.T, err error, code string, want map[string]string) {
	t.Helper()
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *engine.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code = %q, want %q (%v)", e.Code, code, err)
	}
	got := map[string]string{}
	for _, f := range e.Fields {
		got[f.Field] += f.Problem + "; "
	}
	for field, words := range want {
		p, ok := got[field]
		if !ok {
			t.Errorf("no problem for field %q; got %v", field, got)
		} else if !strings.Contains(p, words) {
			t.Errorf("field %q: problem %q does not say %q", field, p, words)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
}

// assertDecodeProperties checks what every Decode result must satisfy,
// whatever the input; the fuzz tests use it.
func assertDecodeProperties(t *testing.T, source string, ev engine.Event, err error) {
	t.Helper()
	if err != nil {
		var e *engine.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is %T, not *engine.Error", err, err)
		}
		if e.Code != engine.EINVALID && e.Code != engine.ETOOLARGE {
			t.Fatalf("error code %q", e.Code)
		}
		if len(e.Fields) == 0 {
			t.Fatalf("error %v names no field", err)
		}
		for _, f := range e.Fields {
			if f.Field == "" || f.Problem == "" {
				t.Fatalf("empty field error %+v", f)
			}
		}
		return
	}
	if !strings.HasPrefix(ev.ID, source+":") || len(ev.ID) <= len(source)+1 {
		t.Fatalf("id %q is not namespaced by %s", ev.ID, source)
	}
	if ev.Source != source {
		t.Fatalf("source %q, want %q", ev.Source, source)
	}
	if ev.OccurredAt.IsZero() || ev.OccurredAt.Location() != time.UTC {
		t.Fatalf("occurred_at %v is zero or not UTC", ev.OccurredAt)
	}
	if ev.Status == "" || engine.Transition(ev.Status, ev.Status) != nil {
		t.Fatalf("status %q is not canonical", ev.Status)
	}
	if ingest.StatusOnly(ev) {
		return
	}
	if !strings.HasPrefix(ev.Payer.ID, source+":") {
		t.Fatalf("payer %q is not namespaced by %s", ev.Payer.ID, source)
	}
	if !ev.Amount.Value.IsPositive() || ev.Amount.Currency == "" {
		t.Fatalf("amount %v %q", ev.Amount.Value, ev.Amount.Currency)
	}
	if in := ev.Instrument; in != nil {
		if in.Last4 != "" && (len(in.Last4) != 4 || strings.Trim(in.Last4, "0123456789") != "") {
			t.Fatalf("last4 %q", in.Last4)
		}
		if in.BIN != "" && (len(in.BIN) != 6 || strings.Trim(in.BIN, "0123456789") != "") {
			t.Fatalf("bin %q", in.BIN)
		}
	}
	if cm := ev.Beneficiary.CardMasked; cm != "" {
		digits := 0
		for _, c := range cm {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits > 10 || !strings.Contains(cm, "*") {
			t.Fatalf("card_masked %q shows %d digits", cm, digits)
		}
	}
}
