package engine_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/qorovul/qorovul/engine"
	"github.com/shopspring/decimal"
)

var decMillion = decimal.New(1, 6)

var t0 = time.Date(2026, 4, 22, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixMilli() }

func TestWindows(t *testing.T) {
	t.Run("CountsAndAmounts", func(t *testing.T) {
		w := engine.NewWindows(0)
		var f engine.Features
		for i := 0; i < 5; i++ {
			f = w.Apply(engine.WindowEvent{At: at(time.Duration(i) * 20 * time.Minute), PayerID: "p1",
				MSISDN: fmt.Sprintf("+99890123456%d", i%3), Token: "tok", MicroUSD: 10_500_000})
		}
		// events at 0, 20, 40, 60, 80 min: the 1h window (20m, 80m] holds 60, 80 ... and 40 (> 20).
		if f.PayerCount1h != 3 || f.PayerCount24h != 5 || f.PayerCount7d != 5 {
			t.Fatalf("counts %+v", f)
		}
		if f.PayerAmountUSD1h.String() != "31.5" || f.PayerAmountUSD24h.String() != "52.5" || f.AmountUSD.String() != "10.5" {
			t.Fatalf("amounts %s %s %s", f.PayerAmountUSD1h, f.PayerAmountUSD24h, f.AmountUSD)
		}
		if f.PayerDistinctMSISDN24h != 3 || f.PayerDistinctMSISDN7d != 3 {
			t.Fatalf("distinct numbers %+v", f)
		}
		if f.InstrumentDistinctPayers24h != 1 || f.MSISDNDistinctPayers24h != 1 {
			t.Fatalf("fan-in %+v", f)
		}
	})
	t.Run("WindowEdgesAreHalfOpen", func(t *testing.T) {
		w := engine.NewWindows(0)
		w.Apply(engine.WindowEvent{At: at(0), PayerID: "p", MicroUSD: 1})
		f := w.Apply(engine.WindowEvent{At: at(time.Hour), PayerID: "p", MicroUSD: 1})
		if f.PayerCount1h != 1 || f.PayerCount24h != 2 {
			t.Fatalf("an event exactly 1h earlier is outside the 1h window: %+v", f)
		}
		f = w.Apply(engine.WindowEvent{At: at(7 * 24 * time.Hour), PayerID: "p", MicroUSD: 1})
		if f.PayerCount7d != 2 {
			t.Fatalf("7d count %d, want 2 (the first event is exactly 7d old)", f.PayerCount7d)
		}
	})
	t.Run("OutOfOrder", func(t *testing.T) {
		// The same events in shuffled arrival order give the same final
		// totals, and a late event counts in the windows of later ones.
		w := engine.NewWindows(0)
		w.Apply(engine.WindowEvent{At: at(50 * time.Minute), PayerID: "p", MSISDN: "+998901111111", MicroUSD: 1})
		late := w.Apply(engine.WindowEvent{At: at(-10 * time.Minute), PayerID: "p", MSISDN: "+998902222222", MicroUSD: 2})
		if late.PayerCount1h != 1 {
			t.Fatalf("a late event sees only what precedes it in event time: %+v", late)
		}
		f := w.Apply(engine.WindowEvent{At: at(60 * time.Minute), PayerID: "p", MSISDN: "+998903333333", MicroUSD: 4})
		if f.PayerCount1h != 2 || f.PayerCount24h != 3 || f.PayerDistinctMSISDN24h != 3 || f.PayerAmountUSD24h.String() != "0.000007" {
			t.Fatalf("after a late event: %+v", f)
		}
	})
	t.Run("FanInAndSharedInstrument", func(t *testing.T) {
		w := engine.NewWindows(0)
		var f engine.Features
		for i := 0; i < 4; i++ {
			f = w.Apply(engine.WindowEvent{At: at(time.Duration(i) * time.Hour), PayerID: fmt.Sprint("payer", i),
				MSISDN: "+998901234567", Token: "tok_shared", MicroUSD: 1})
		}
		if f.MSISDNDistinctPayers24h != 4 || f.InstrumentDistinctPayers24h != 4 {
			t.Fatalf("%+v", f)
		}
		f = w.Apply(engine.WindowEvent{At: at(26 * time.Hour), PayerID: "payer9", MSISDN: "+998901234567", Token: "tok_shared", MicroUSD: 1})
		if f.MSISDNDistinctPayers24h != 2 {
			t.Fatalf("at 26h only the payers at 3h and 26h are in (2h, 26h]: %+v", f)
		}
	})
	t.Run("SaturationIsFlagged", func(t *testing.T) {
		w := engine.NewWindows(10)
		var f engine.Features
		for i := 0; i < 11; i++ {
			f = w.Apply(engine.WindowEvent{At: at(time.Duration(i) * time.Second), PayerID: "p", MicroUSD: 1})
		}
		if !f.Saturated || f.PayerCount1h != 10 {
			t.Fatalf("%+v", f)
		}
	})
	t.Run("TooLateIsFlagged", func(t *testing.T) {
		w := engine.NewWindows(0)
		w.Apply(engine.WindowEvent{At: at(8 * 24 * time.Hour), PayerID: "p", MicroUSD: 1})
		f := w.Apply(engine.WindowEvent{At: at(0), PayerID: "q", MicroUSD: 1})
		if !f.Saturated {
			t.Fatalf("an event older than the retained state must be flagged: %+v", f)
		}
	})
	t.Run("IdleKeysAreSwept", func(t *testing.T) {
		w := engine.NewWindows(0)
		for i := 0; i < 70000; i++ {
			w.Apply(engine.WindowEvent{At: at(time.Duration(i) * 10 * time.Second), PayerID: fmt.Sprint("p", i), MSISDN: fmt.Sprint("+99890", 1000000+i), MicroUSD: 1})
		}
		// 70,000 events 10s apart span ~8 days: the first day's payers are gone.
		if p, _, _ := w.Keys(); p >= 70000 {
			t.Fatalf("payers kept %d", p)
		}
	})
}

// TestWindowsMatchBruteForce checks exact counts against a brute-force
// recomputation over random out-of-order events.
func TestWindowsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := engine.NewWindows(0)
	type ev struct {
		at            int64
		payer, number string
		usd           int64
	}
	var seen []ev
	for i := 0; i < 3000; i++ {
		e := ev{at: at(time.Duration(rng.IntN(72*3600)) * time.Second), payer: fmt.Sprint("p", rng.IntN(5)),
			number: fmt.Sprint("+99890", 1000000+rng.IntN(40)), usd: int64(rng.IntN(1000)) * 10000}
		seen = append(seen, e)
		got := w.Apply(engine.WindowEvent{At: e.at, PayerID: e.payer, MSISDN: e.number, MicroUSD: e.usd})
		var c1, c24 int
		var s24 int64
		nums, payers := map[string]bool{}, map[string]bool{}
		for _, x := range seen {
			if x.at > e.at || x.at <= e.at-int64(24*time.Hour/time.Millisecond) {
				continue
			}
			if x.payer == e.payer {
				c24++
				s24 += x.usd
				nums[x.number] = true
				if x.at > e.at-int64(time.Hour/time.Millisecond) {
					c1++
				}
			}
			if x.number == e.number {
				payers[x.payer] = true
			}
		}
		if got.PayerCount1h != c1 || got.PayerCount24h != c24 || got.PayerAmountUSD24h.Mul(decMillion).IntPart() != s24 ||
			got.PayerDistinctMSISDN24h != len(nums) || got.MSISDNDistinctPayers24h != len(payers) {
			t.Fatalf("event %d %+v: got %+v, want 1h=%d 24h=%d sum=%d nums=%d payers=%d", i, e, got, c1, c24, s24, len(nums), len(payers))
		}
	}
}

// TestWindowMemoryPerPayer measures the heap one active payer takes with
// 20 events in its window, and logs it (the bound is DefaultMaxEventsPerKey).
func TestWindowMemoryPerPayer(t *testing.T) {
	const payers, perPayer = 20000, 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := engine.NewWindows(0)
	for j := 0; j < perPayer; j++ {
		for i := 0; i < payers; i++ {
			w.Add(engine.WindowEvent{At: at(time.Duration(j) * time.Minute), PayerID: fmt.Sprintf("upay:usr_%06d", i),
				MSISDN: fmt.Sprintf("+9989%08d", i*perPayer+j), Token: fmt.Sprintf("tok_%06d", i), MicroUSD: 1})
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapInuse-before.HeapInuse) / payers
	t.Logf("heap per active payer with %d events (payer, number and token windows): %.0f bytes", perPayer, per)
	if p, n, tk := w.Keys(); p != payers || n != payers*perPayer || tk != payers {
		t.Fatalf("keys %d %d %d", p, n, tk)
	}
}

// BenchmarkWindowsApply is the sequencer's window work for one event, on
// the pipeline benchmarks' traffic: 50,000 payers, each paying one of three
// numbers with its own card, an event every millisecond of event time.
func BenchmarkWindowsApply(b *testing.B) {
	for _, payers := range []int{50_000, 500_000} {
		b.Run(fmt.Sprint(payers, "payers"), func(b *testing.B) { benchWindowsApply(b, payers) })
	}
}

// benchWindowsApply applies b.N events of payers payers, each seen twice
// before, and reports besides the mean the slowest single Apply ("max-ms"):
// the pipeline's sequencer waits for it. Run it past 65,536 events
// (sweepEvery) to include a whole sweep of idle keys.
func benchWindowsApply(b *testing.B, payers int) {
	event := func(i int) engine.WindowEvent {
		p := i % payers
		return engine.WindowEvent{At: at(time.Duration(i) * time.Millisecond), PayerID: fmt.Sprintf("usr_%d", p),
			MSISDN: fmt.Sprintf("+99890%07d", p*3+i%3), Token: fmt.Sprintf("tok_%d", p), MicroUSD: 10_000_000}
	}
	w := engine.NewWindows(0)
	for i := range 2 * payers { // every payer seen before, as in a service that has run a while
		w.Apply(event(i))
	}
	evs := make([]engine.WindowEvent, b.N)
	for i := range evs {
		evs[i] = event(2*payers + i)
	}
	var worst time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		f := w.Apply(evs[i])
		worst = max(worst, time.Since(start))
		if f.PayerCount7d == 0 {
			b.Fatal("event not counted")
		}
	}
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "max-ms")
}

// TestWindowAmountsSaturate: a payer's sums stop at the largest amount
// instead of wrapping around to a negative one, which would pass every
// amount limit for the rest of the window.
func TestWindowAmountsSaturate(t *testing.T) {
	w := engine.NewWindows(0)
	const trillionUSD = int64(999_999_999_999) * 1_000_000 // the largest amount validation lets in, in micro-dollars
	var f engine.Features
	// Ten of them wrap an int64 sum to about -8.4e18.
	for i := range 10 {
		f = w.Apply(engine.WindowEvent{At: int64(i) * 1000, PayerID: "usr_big", MSISDN: "+998901234567", MicroUSD: trillionUSD})
	}
	limit := decimal.NewFromInt(1000)
	for name, v := range map[string]decimal.Decimal{"1h": f.PayerAmountUSD1h, "24h": f.PayerAmountUSD24h, "7d": f.PayerAmountUSD7d} {
		if !v.GreaterThan(limit) {
			t.Errorf("payer amount %s after 10 payments of a trillion dollars: %s", name, v)
		}
	}
	if f.PayerCount1h != 10 {
		t.Fatalf("count %d, want 10", f.PayerCount1h)
	}
}
