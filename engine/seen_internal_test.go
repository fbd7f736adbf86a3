package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSeenFilterNoFalseNegative adds the decision ids of 4 million events,
// enough to grow the filter twice, and checks that every one is reported
// as maybe seen, and that few ids never added are (the false "maybe" that
// cost a read of the store, no more).
func TestSeenFilterNoFalseNegative(t *testing.T) {
	f := newSeenFilter(DefaultMaxSeenFilterBytes)
	const added = 4 << 20
	hash := func(i int) uint64 {
		h, ok := seenHash(DecisionID(fmt.Sprint("tx_", i)))
		if !ok {
			t.Fatalf("seenHash(DecisionID(tx_%d)) not ok", i)
		}
		return h
	}
	for i := range added {
		if !f.add(hash(i)) {
			t.Fatalf("add %d: filter full at %d bytes", i, f.bytes)
		}
	}
	if len(f.parts) < 3 {
		t.Fatalf("%d parts after %d ids, want the filter grown at least twice", len(f.parts), added)
	}
	for i := range added {
		if !f.mayHave(hash(i)) {
			t.Fatalf("id %d was added but the filter says it was not", i)
		}
	}
	const probes = 200_000
	falsePos := 0
	for i := added; i < added+probes; i++ {
		if f.mayHave(hash(i)) {
			falsePos++
		}
	}
	// Each of the parts answers a wrong "maybe" for about 1% of new ids.
	if rate := float64(falsePos) / probes; rate > 0.012*float64(len(f.parts)) {
		t.Errorf("false maybe for %.2f%% of new ids over %d parts, want about 1%% a part", 100*rate, len(f.parts))
	}
	t.Logf("%d ids in %d parts, %d bytes; false maybe %.2f%%", added, len(f.parts), f.bytes, 100*float64(falsePos)/probes)
}

// TestSeenFilterBound: a filter that would pass its bound says so, so
// that the pipeline drops it instead of answering "no" for ids it lost.
func TestSeenFilterBound(t *testing.T) {
	first := (seenFirstCap*seenBitsPerID + 511) / 512 * 64
	if newSeenFilter(first-1) != nil {
		t.Fatal("a filter was made within less than its first part")
	}
	f := newSeenFilter(first + 2*first - 1) // no room for the second part
	for i := range seenFirstCap {
		if !f.add(uint64(i) * 0x9e3779b97f4a7c15) {
			t.Fatalf("add %d refused within the first part", i)
		}
	}
	if f.add(42) {
		t.Fatal("add past the bound accepted")
	}
}

func TestSeenHash(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{DecisionID("tx_92f1"), true},
		{"dec_0123456789abcdef0123", true},
		{"dec_0123456789ABCDEF0123", false},
		{"dec_0123", false},
		{"hold_0123456789abcdef0123", false},
	} {
		if _, ok := seenHash(c.id); ok != c.ok {
			t.Errorf("seenHash(%q) ok = %v, want %v", c.id, ok, c.ok)
		}
	}
}

// BenchmarkLoadSeen is what the filter adds to a restart: reading the keys
// of a million decision records back from Badger's tables. It reports
// decisions loaded per second.
func BenchmarkLoadSeen(b *testing.B) {
	const decisions = 1_000_000
	s := mustReopenedStore(b, decisions, func(i int) ([]byte, []byte) {
		return []byte(prefixDecision + DecisionID(fmt.Sprint("tx_", i))), binary.AppendUvarint(nil, uint64(i+1))
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := s.loadSeen(DefaultMaxSeenFilterBytes, slog.New(slog.DiscardHandler))
		if err != nil || f == nil {
			b.Fatalf("loadSeen = %v, %v", f, err)
		}
		n := 0
		for _, p := range f.parts {
			n += p.n
		}
		if n != decisions {
			b.Fatalf("loadSeen loaded %d ids, want %d", n, decisions)
		}
	}
	b.ReportMetric(float64(decisions*b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// TestLoadSeenRefusesOddKey: a decision record whose id the filter cannot
// hash means the store holds ids it would not know; the pipeline must then
// read every record instead of trusting the filter.
func TestLoadSeenRefusesOddKey(t *testing.T) {
	s, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustWriteRecords(t, s, 3, func(i int) ([]byte, []byte) {
		id := DecisionID(fmt.Sprint("tx_", i))
		if i == 1 {
			id = "legacy-id"
		}
		return []byte(prefixDecision + id), []byte{1}
	})
	var logs bytes.Buffer
	f, err := s.loadSeen(DefaultMaxSeenFilterBytes, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		t.Fatal("loadSeen kept a filter that does not know every stored id")
	}
	if !strings.Contains(logs.String(), "unexpected form") {
		t.Errorf("no warning logged; logs: %s", logs.String())
	}
}
