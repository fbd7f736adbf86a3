package engine

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoadWindows is a restart's rebuild of the windows from the window
// records of the last 7 days (Store.LoadWindows): what serve does before it
// answers. The store holds rebuildEvents records of 50,000 payers spread
// over 7 days, written directly; each iteration rebuilds all of them into
// empty windows. It reports records rebuilt per second.
func BenchmarkLoadWindows(b *testing.B) {
	const rebuildEvents = 1_000_000
	s, err := OpenStore(b.TempDir(), StoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	wb := s.db.NewWriteBatch()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	step := window7d / rebuildEvents
	for i := range rebuildEvents {
		payer := i % 50_000
		e := WindowEvent{At: t0 + int64(i)*step, PayerID: fmt.Sprintf("usr_%d", payer),
			MSISDN: fmt.Sprintf("+99890%07d", payer*3+i%3), Token: fmt.Sprintf("tok_%d", payer), MicroUSD: 10_000_000}
		if err := wb.Set(windowKey(e.At, fmt.Sprintf("evt_%d", i)), encodeWindow(&e)); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := NewWindows(0)
		n, err := s.LoadWindows(w)
		if err != nil || n != rebuildEvents {
			b.Fatalf("LoadWindows = %d, %v; want %d", n, err, rebuildEvents)
		}
	}
	b.ReportMetric(float64(rebuildEvents*b.N)/b.Elapsed().Seconds(), "records/s")
}

// steppingClock advances 5 s (loadProgressEvery) each time it is read.
type steppingClock struct{ t time.Time }

func (c *steppingClock) Now() time.Time { c.t = c.t.Add(loadProgressEvery); return c.t }

// TestLoadWindowsLogsProgress: a long rebuild says how far it got.
func TestLoadWindowsLogsProgress(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	s, err := OpenStore(dir, StoreOptions{Clock: &steppingClock{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const records = 200_000
	wb := s.db.NewWriteBatch()
	for i := range records {
		e := WindowEvent{At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + int64(i), PayerID: fmt.Sprint("usr_", i%100), MicroUSD: 1}
		if err := wb.Set(windowKey(e.At, fmt.Sprint("evt_", i)), encodeWindow(&e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.LoadWindows(NewWindows(0)); err != nil || n != records {
		t.Fatalf("LoadWindows = %d, %v", n, err)
	}
	// One line per 65,536 records, each 5 s after the last here.
	out := logs.String()
	for _, want := range []string{"records=65536", "records=131072", "records=196608"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no progress line with %s:\n%s", want, out)
		}
	}
	if c := strings.Count(out, "rebuilding window state"); c != 3 {
		t.Fatalf("%d progress lines, want 3:\n%s", c, out)
	}
}
