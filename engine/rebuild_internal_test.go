package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoadWindows is a restart's rebuild of the windows from the window
// records of the last 7 days (Store.LoadWindows): what serve does before it
// answers. The store holds rebuildEvents records of 50,000 payers spread
// over 7 days, written directly, and is reopened; each iteration rebuilds
// all of them into empty windows. It reports records rebuilt per second.
func BenchmarkLoadWindows(b *testing.B) {
	const rebuildEvents = 1_000_000
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	step := window7d / rebuildEvents
	s := mustReopenedStore(b, rebuildEvents, func(i int) ([]byte, []byte) {
		payer := i % 50_000
		return windowRecord(fmt.Sprintf("evt_%d", i), WindowEvent{At: t0 + int64(i)*step, PayerID: fmt.Sprintf("usr_%d", payer),
			MSISDN: fmt.Sprintf("+99890%07d", payer*3+i%3), Token: fmt.Sprintf("tok_%d", payer), MicroUSD: 10_000_000})
	})
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
	mustWriteRecords(t, s, records, func(i int) ([]byte, []byte) {
		return windowRecord(fmt.Sprint("evt_", i), WindowEvent{At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + int64(i), PayerID: fmt.Sprint("usr_", i%100), MicroUSD: 1})
	})
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

// TestLoadWindowsAddsAsAddWould: the rebuild at start-up (chunks of hashed
// records, added on a goroutine of its own, a kind of window at a time)
// leaves the windows as adding the same records one by one would. The
// records span nine days, so the rebuild skips the oldest; the key spaces
// are small, so windows fill past their bound (saturate) and distinct
// counts repeat; some records have no number or no token; and there are
// more records than a chunk. The windows are compared through the
// features of the same probe events applied to both.
func TestLoadWindowsAddsAsAddWould(t *testing.T) {
	s, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	span := int64(9 * 24 * time.Hour / time.Millisecond)
	type record struct {
		id string
		e  WindowEvent
	}
	event := func(at int64) WindowEvent {
		e := WindowEvent{At: at, PayerID: fmt.Sprint("usr_", rng.IntN(300)), MicroUSD: rng.Int64N(500_000_000)}
		if rng.IntN(10) > 0 {
			e.MSISDN = fmt.Sprintf("+99890%07d", rng.IntN(500))
		}
		if rng.IntN(3) > 0 {
			e.Token = fmt.Sprint("tok_", rng.IntN(200))
		}
		return e
	}
	const records = 3*loadChunk + 1234
	recs := make([]record, 0, records+2)
	for i := range records {
		e := event(t0 + rng.Int64N(span))
		recs = append(recs, record{fmt.Sprintf("evt_%07d", i), e})
	}
	// The newest record, and one exactly the retention before it: the
	// oldest the rebuild reads.
	newest := t0 + span
	recs = append(recs, record{"evt_newest", event(newest)}, record{"evt_edge", event(newest - window7d)})
	mustWriteRecords(t, s, len(recs), func(i int) ([]byte, []byte) { return windowRecord(recs[i].id, recs[i].e) })

	const maxPerKey = 64
	loaded := NewWindows(maxPerKey)
	n, err := s.LoadWindows(loaded)
	if err != nil {
		t.Fatal(err)
	}
	added := NewWindows(maxPerKey)
	// In the order of their keys, as the rebuild reads them.
	slices.SortFunc(recs, func(a, b record) int {
		return bytes.Compare(windowKey(a.e.At, a.id), windowKey(b.e.At, b.id))
	})
	want := 0
	for _, r := range recs {
		if r.e.At >= newest-window7d {
			added.Add(r.e)
			want++
		}
	}
	if n != want || want < records/2 {
		t.Fatalf("LoadWindows read %d records, want %d (of %d)", n, want, len(recs))
	}
	if loaded.High() != added.High() {
		t.Fatalf("newest event time %d, want %d", loaded.High(), added.High())
	}
	lp, ln, lt := loaded.Keys()
	ap, an, at := added.Keys()
	if lp != ap || ln != an || lt != at {
		t.Fatalf("keys (payers, numbers, tokens) = %d, %d, %d; want %d, %d, %d", lp, ln, lt, ap, an, at)
	}
	saturated := 0
	for i := range 2000 {
		// Probes over the last two days, some later than every record.
		e := event(newest - 2*24*3600*1000 + rng.Int64N(3*24*3600*1000))
		got, want := loaded.Apply(e), added.Apply(e)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Fatalf("probe %d (%+v):\nloaded windows: %s\nadded windows:  %s", i, e, gb, wb)
		}
		if want.Saturated {
			saturated++
		}
	}
	if saturated == 0 {
		t.Fatal("no probe met a saturated window: the test does not cover the bound")
	}
}

// TestLoadWindowsRefusesCorruptRecord: a damaged window record stops the
// rebuild with an error that names its key, after chunks were handed on.
func TestLoadWindowsRefusesCorruptRecord(t *testing.T) {
	s, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	mustWriteRecords(t, s, 2*loadChunk+1, func(i int) ([]byte, []byte) {
		if i == 2*loadChunk {
			return windowKey(t0+int64(i), "evt_broken"), []byte{0x7f, 'u'}
		}
		return windowRecord(fmt.Sprint("evt_", i), WindowEvent{At: t0 + int64(i), PayerID: fmt.Sprint("usr_", i%100), MicroUSD: 1})
	})
	n, err := s.LoadWindows(NewWindows(0))
	if err == nil || !strings.Contains(err.Error(), "evt_broken") || !strings.Contains(err.Error(), "corrupt window record") {
		t.Fatalf("LoadWindows = %d, %v; want the corrupt record named", n, err)
	}
	if n != 2*loadChunk {
		t.Fatalf("LoadWindows read %d records before the corrupt one, want %d", n, 2*loadChunk)
	}
}

// mustWriteRecords writes n records straight into s's database in one
// write batch, record(i) giving the i-th key and value.
func mustWriteRecords(tb testing.TB, s *Store, n int, record func(i int) (key, value []byte)) {
	tb.Helper()
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i := range n {
		if err := wb.Set(record(i)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// mustReopenedStore writes n records into a new store, then closes and
// reopens it, as a restart does, so that they are read back from Badger's
// tables; the store is closed at the end of the test.
func mustReopenedStore(tb testing.TB, n int, record func(i int) (key, value []byte)) *Store {
	tb.Helper()
	dir := tb.TempDir()
	s, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	mustWriteRecords(tb, s, n, record)
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	if s, err = OpenStore(dir, StoreOptions{}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// windowRecord is the key and value the pipeline writes for event id's e.
func windowRecord(id string, e WindowEvent) (key, value []byte) {
	return windowKey(e.At, id), encodeWindow(&e)
}
