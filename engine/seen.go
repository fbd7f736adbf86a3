package engine

import (
	"fmt"
	"log/slog"
	"math/bits"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// DefaultMaxSeenFilterBytes bounds the memory of the pipeline's filter of
// decided event ids (1.25-2.5 bytes per decision ever made): past it, the
// filter is dropped and every event's idempotency record is read from the
// store, as before there was a filter.
const DefaultMaxSeenFilterBytes = 256 << 20

// seenFilter is a Bloom filter of the decision ids in the store: the
// sequencer asks it before reading an event's idempotency record. Nearly
// every event is new, and a read that misses searches each memtable's
// skiplist and the tables' bloom filters, 3-4 µs of the sequencer's time
// (BENCHMARKS.md); "no" from the filter is certain, so the read is skipped.
// "Maybe" (an id decided before, or 1-2% of new ones) reads the store as
// before.
//
// It must never answer "no" for an id the store holds. It is filled from
// every d/ key when the pipeline starts, before the sequencer runs, and the
// sequencer adds each id it gives a new decision to before that decision is
// committed; nothing else writes decision records while a pipeline runs.
//
// It grows as a scalable Bloom filter: parts of doubling capacity, the
// newest taking the additions, a lookup asking each part. Each part is
// blocked: an id's probes fall in one 512-bit block, one cache line, so a
// lookup costs a cache miss or two, not seven.
type seenFilter struct {
	parts    []*seenPart
	bytes    int
	maxBytes int
}

type seenPart struct {
	blocks []seenBlock
	n, cap int
}

type seenBlock [8]uint64 // 512 bits, one cache line

const (
	seenBitsPerID = 10 // with seenProbes, about 1% false "maybe" per part
	seenProbes    = 7
	seenFirstCap  = 1 << 20
)

func newSeenFilter(maxBytes int) *seenFilter {
	f := &seenFilter{maxBytes: maxBytes}
	if !f.grow(seenFirstCap) {
		return nil
	}
	return f
}

// grow adds a part for capacity ids; false if that would pass maxBytes.
func (f *seenFilter) grow(capacity int) bool {
	nblocks := (capacity*seenBitsPerID + 511) / 512
	size := nblocks * 64
	if f.bytes+size > f.maxBytes {
		return false
	}
	f.parts = append(f.parts, &seenPart{blocks: make([]seenBlock, nblocks), cap: capacity})
	f.bytes += size
	return true
}

// seenHash is the filter's hash of a decision id ("dec_" and 24 hex digits
// of SHA-256): its first 64 bits, already uniform. ok is false for an id of
// another form.
func seenHash[T string | []byte](decisionID T) (h uint64, ok bool) {
	const prefix = "dec_"
	if len(decisionID) < len(prefix)+16 || string(decisionID[:len(prefix)]) != prefix {
		return 0, false
	}
	for i := len(prefix); i < len(prefix)+16; i++ {
		var d byte
		switch c := decisionID[i]; {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		h = h<<4 | uint64(d)
	}
	return h, true
}

// block returns the block of h in p and the first state of the generator
// of its bit positions (next).
func (p *seenPart) block(h uint64) (*seenBlock, uint64) {
	hi, _ := bits.Mul64(h, uint64(len(p.blocks)))
	return &p.blocks[hi], h*0x9e3779b97f4a7c15 | 1
}

// next advances the generator x and returns a bit position in a block.
func next(x *uint64) (word int, mask uint64) {
	*x = *x*0xff51afd7ed558ccd + 0x632be59bd9b4e5bb
	bit := *x >> 55 // the top 9 bits: 0..511
	return int(bit >> 6), 1 << (bit & 63)
}

// add records h. It returns false when the filter would pass its memory
// bound; the filter must then be dropped, since it no longer knows every id.
func (f *seenFilter) add(h uint64) bool {
	p := f.parts[len(f.parts)-1]
	if p.n >= p.cap {
		if !f.grow(2 * p.cap) {
			return false
		}
		p = f.parts[len(f.parts)-1]
	}
	b, x := p.block(h)
	for range seenProbes {
		w, m := next(&x)
		b[w] |= m
	}
	p.n++
	return true
}

// mayHave reports whether h may have been added; false is certain.
func (f *seenFilter) mayHave(h uint64) bool {
	for _, p := range f.parts {
		if p.has(h) {
			return true
		}
	}
	return false
}

func (p *seenPart) has(h uint64) bool {
	b, x := p.block(h)
	for range seenProbes {
		if w, m := next(&x); b[w]&m == 0 {
			return false
		}
	}
	return true
}

// loadSeen fills a filter from every decision record in the store. It
// returns nil, and logs why, when the filter cannot hold them all (within
// maxBytes) or a key is not of the expected form: the pipeline then reads
// every idempotency record from the store.
func (s *Store) loadSeen(maxBytes int, log *slog.Logger) (*seenFilter, error) {
	f := newSeenFilter(maxBytes)
	if f == nil {
		return nil, nil
	}
	n := 0
	start := time.Now()
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(prefixOptions(prefixDecision))
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().Key()
			h, ok := seenHash(key[len(prefixDecision):])
			if !ok {
				log.Warn("decision record of an unexpected form; every event's record is read from the store", "key", fmt.Sprintf("%q", key))
				f = nil
				return nil
			}
			if !f.add(h) {
				log.Warn("too many decisions for the id filter; every event's record is read from the store", "decisions", n, "max_bytes", maxBytes)
				f = nil
				return nil
			}
			n++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load decided ids: %w", err)
	}
	if f != nil {
		log.Info("decided ids loaded", "decisions", n, "filter_bytes", f.bytes, "took", time.Since(start).Round(time.Millisecond))
	}
	return f, nil
}
