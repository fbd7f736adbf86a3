package engine

import (
	"fmt"
	"testing"
	"time"
)

// TestSweepIsIncremental: idle keys go a part at a time, one part every
// sweepEvery/sweepParts events, and all of them within sweepEvery events;
// no single event sweeps them all, which stopped the pipeline for as long
// as a walk over every key took (0.7 s at 500,000 payers).
func TestSweepIsIncremental(t *testing.T) {
	w := NewWindows(0)
	const idle = 20_000
	for i := range idle {
		w.Apply(WindowEvent{At: int64(i), PayerID: fmt.Sprint("idle_", i), MSISDN: fmt.Sprintf("+99890%07d", i), Token: fmt.Sprint("tok_", i)})
	}
	later := int64(8 * 24 * time.Hour / time.Millisecond) // all of them past the retention
	step := sweepEvery / sweepParts
	prev, _, _ := w.Keys()
	for i := 0; prev > 1; i++ {
		if i > sweepEvery {
			t.Fatalf("%d idle payers left after %d events", prev, i)
		}
		w.Apply(WindowEvent{At: later + int64(i), PayerID: "busy", MSISDN: "+998901234567"})
		p, n, tk := w.Keys()
		if dropped := prev - p; dropped > 0 {
			// A sweep takes one part: about idle/sweepParts payers, never
			// many more.
			if (w.applied)%step != 0 || dropped > 3*idle/sweepParts {
				t.Fatalf("event %d dropped %d payers at once (applied %d)", i, dropped, w.applied)
			}
		}
		prev = p
		if p == 1 && (n != 1 || tk != 0) {
			t.Fatalf("payers gone but %d numbers and %d tokens left", n, tk)
		}
	}
}
