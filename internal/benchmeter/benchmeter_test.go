package benchmeter_test

import (
	"testing"
	"time"

	"github.com/qorovul/qorovul/internal/benchmeter"
)

// TestRunPacedCountsTheWait: with one caller whose calls take 5 ms, paced
// at a call a millisecond, the calls fall behind their schedule, and each
// latency counts the time its call waited since it was due: call i ends no
// earlier than 5(i+1) ms after the start and was due at i ms.
func TestRunPacedCountsTheWait(t *testing.T) {
	const n, took = 5, 5 * time.Millisecond
	op := func(int, int) error { time.Sleep(took); return nil }

	paced := benchmeter.NewLatencies(1, n)
	if err := paced.RunPaced(n, 1000, op); err != nil {
		t.Fatal(err)
	}
	if len(paced[0]) != n {
		t.Fatalf("recorded %d latencies, want %d", len(paced[0]), n)
	}
	for i, got := range paced[0] {
		if want := time.Duration(i+1)*took - time.Duration(i)*time.Millisecond; got < want {
			t.Errorf("paced call %d: latency %v, want at least %v", i, got, want)
		}
	}
}

// TestRunPacedKeepsTheSchedule: calls that take no time are sent when they
// are due, not sooner: n calls at rate r take at least (n-1)/r.
func TestRunPacedKeepsTheSchedule(t *testing.T) {
	const n, rate = 11, 500.0
	lat := benchmeter.NewLatencies(4, n)
	start := time.Now()
	if err := lat.RunPaced(n, rate, func(int, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if took, want := time.Since(start), time.Duration(float64(n-1)/rate*float64(time.Second)); took < want {
		t.Errorf("%d calls at %v/s took %v, want at least %v", n, rate, took, want)
	}
}
