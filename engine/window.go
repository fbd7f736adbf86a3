package engine

import (
	"hash/maphash"
	"math"
	"slices"
	"time"
)

// Window lengths.
const (
	window1h  = int64(time.Hour / time.Millisecond)
	window24h = int64(24 * time.Hour / time.Millisecond)
	window7d  = int64(7 * 24 * time.Hour / time.Millisecond)
	// Retention is how far behind the newest event time window state is kept.
	Retention = 7 * 24 * time.Hour
)

// DefaultMaxEventsPerKey bounds the events one payer, number or instrument
// keeps in its 7-day window, and so the memory it takes. Past it the oldest
// events are dropped and the features are flagged as saturated (lower bounds).
const DefaultMaxEventsPerKey = 4096

// Keys whose events are all past the retention are dropped by a sweep
// that goes through every key once per sweepEvery applied events. The keys
// are split by their top byte into sweepParts maps, and the sweep takes one
// part every sweepEvery/sweepParts events: a sweep of all keys at once
// stopped the pipeline for 46-54 ms at 50,000 payers and 0.4-0.6 s at 500,000
// (BenchmarkWindowsApply; TestSweepIsIncremental).
const (
	sweepEvery = 1 << 16
	sweepParts = 256
)

// keyed is a map by 64-bit hash split by the hash's top byte into
// sweepParts maps, which a sweep can go through one at a time.
type keyed[V any] [sweepParts]map[uint64]V

func newKeyed[V any]() *keyed[V] {
	k := new(keyed[V])
	for i := range k {
		k[i] = make(map[uint64]V)
	}
	return k
}

func (k *keyed[V]) part(key uint64) map[uint64]V { return k[key>>56] }

func (k *keyed[V]) len() int {
	n := 0
	for _, m := range k {
		n += len(m)
	}
	return n
}

// WindowEvent is what the windows need of one event.
type WindowEvent struct {
	At       int64 // occurred_at, Unix milliseconds
	PayerID  string
	MSISDN   string
	Token    string
	MicroUSD int64
}

type payerEntry struct {
	at     int64
	usd    int64
	number uint64 // hash of the beneficiary MSISDN, 0 if none
}

type memberEntry struct {
	at     int64
	member uint64 // hash of the payer id
}

type payerWindow struct {
	entries        []payerEntry // sorted by at
	saturatedUntil int64
}

type setWindow struct {
	entries        []memberEntry // sorted by at
	saturatedUntil int64
}

// Windows holds the event-time window state of every payer, beneficiary
// number and instrument token seen in the last 7 days of event time. Each
// feature of an event aggregates the events already applied whose occurred_at
// lies in (t-window, t], the event itself included, so events that arrive
// out of order count where their time puts them, and replaying the same
// events in the same order gives the same features.
//
// Windows is not safe for concurrent use: the pipeline's sequencer owns it.
// Payers, numbers and tokens are keyed, and distinct counts compare, by
// 64-bit hashes of their ids under a seed drawn per process: two ids share
// a window only if their hashes collide, about once in 10^11 for a million
// ids, and no input can aim at that without the seed. Keeping no id
// strings saves hashing each id twice per event and gives the collector
// fewer pointers to follow.
type Windows struct {
	payers  *keyed[*payerWindow]
	numbers *keyed[*setWindow]
	tokens  *keyed[*setWindow]
	high    int64 // newest occurred_at applied
	max     int
	seed    maphash.Seed
	scratch []uint64
	table   []uint64
	applied int
}

// NewWindows returns empty windows keeping at most maxPerKey events per key
// (DefaultMaxEventsPerKey if maxPerKey <= 0).
func NewWindows(maxPerKey int) *Windows {
	if maxPerKey <= 0 {
		maxPerKey = DefaultMaxEventsPerKey
	}
	return &Windows{
		payers:  newKeyed[*payerWindow](),
		numbers: newKeyed[*setWindow](),
		tokens:  newKeyed[*setWindow](),
		max:     maxPerKey,
		seed:    maphash.MakeSeed(),
	}
}

func (w *Windows) hash(s string) uint64 {
	if s == "" {
		return 0
	}
	return nonZero(maphash.String(w.seed, s))
}

// hashBytes is hash for an id read as bytes: maphash gives a string and
// bytes of the same content the same hash.
func (w *Windows) hashBytes(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return nonZero(maphash.Bytes(w.seed, b))
}

// Apply adds e to the windows and returns the features of e.
func (w *Windows) Apply(e WindowEvent) Features {
	late, pw, nw, tw := w.add(e, true)
	t := e.At
	var f Features
	lo7 := after(pw.entries, t-window7d)
	hi := after(pw.entries, t)
	es := pw.entries[lo7:hi]
	var sum1h, sum24h, sum7d int64
	nums24 := w.scratch[:0]
	for i := range es {
		x := &es[i]
		sum7d = addSat(sum7d, x.usd)
		f.PayerCount7d++
		if x.at > t-window24h {
			sum24h = addSat(sum24h, x.usd)
			f.PayerCount24h++
			if x.at > t-window1h {
				sum1h = addSat(sum1h, x.usd)
				f.PayerCount1h++
			}
		}
		if x.number != 0 {
			nums24 = append(nums24, x.number)
		}
	}
	f.PayerDistinctMSISDN7d = w.distinct(nums24)
	nums24 = nums24[:0]
	for i := range es {
		if x := &es[i]; x.number != 0 && x.at > t-window24h {
			nums24 = append(nums24, x.number)
		}
	}
	f.PayerDistinctMSISDN24h = w.distinct(nums24)
	f.AmountUSD = fromMicroUSD(e.MicroUSD)
	f.PayerAmountUSD1h = fromMicroUSD(sum1h)
	f.PayerAmountUSD24h = fromMicroUSD(sum24h)
	f.PayerAmountUSD7d = fromMicroUSD(sum7d)
	f.Saturated = late || pw.saturatedUntil > t
	if nw != nil {
		f.MSISDNDistinctPayers24h = w.distinctMembers(nw, t)
		f.Saturated = f.Saturated || nw.saturatedUntil > t
	}
	if tw != nil {
		f.InstrumentDistinctPayers24h = w.distinctMembers(tw, t)
		f.Saturated = f.Saturated || tw.saturatedUntil > t
	}
	w.scratch = nums24[:0]
	return f
}

func (w *Windows) distinctMembers(sw *setWindow, t int64) int {
	lo := afterM(sw.entries, t-window24h)
	hi := afterM(sw.entries, t)
	ms := w.scratch[:0]
	for _, x := range sw.entries[lo:hi] {
		ms = append(ms, x.member)
	}
	n := w.distinct(ms)
	w.scratch = ms[:0]
	return n
}

// Add inserts e into the windows without computing features, as the
// rebuild at start-up does (Store.LoadWindows adds its records in bulk,
// with the same effect). It reports whether e is older than the retained
// state, so that its features would be incomplete. It does not sweep idle
// keys: a rebuild adds the last 7 days of events, none of them idle, and
// sweeping would only cost it a fifth of its time.
func (w *Windows) Add(e WindowEvent) (late bool) {
	late, _, _, _ = w.add(e, false)
	return late
}

// add is Add that also returns the windows e went into: its payer's and,
// if e has them, its number's and its token's; with sweep it takes a step
// of the sweep of idle keys.
func (w *Windows) add(e WindowEvent, sweep bool) (late bool, pw *payerWindow, nw, tw *setWindow) {
	if e.At > w.high {
		w.high = e.At
	}
	cutoff := w.high - window7d
	late = e.At <= cutoff
	if sweep {
		if w.applied++; w.applied%(sweepEvery/sweepParts) == 0 {
			w.sweep(w.applied/(sweepEvery/sweepParts)%sweepParts, cutoff)
		}
	}

	payer, number := w.hash(e.PayerID), w.hash(e.MSISDN)
	pw = w.addPayer(payer, payerEntry{at: e.At, usd: e.MicroUSD, number: number}, cutoff)
	if number != 0 {
		nw = w.addMember(w.numbers, number, e.At, payer, cutoff)
	}
	if e.Token != "" {
		tw = w.addMember(w.tokens, w.hash(e.Token), e.At, payer, cutoff)
	}
	return late, pw, nw, tw
}

// addPayer inserts x into payer's window, first dropping what is at or
// before cutoff and, at the bound, the oldest entry.
func (w *Windows) addPayer(payer uint64, x payerEntry, cutoff int64) *payerWindow {
	payers := w.payers.part(payer)
	pw := payers[payer]
	if pw == nil {
		pw = &payerWindow{}
		payers[payer] = pw
	}
	pw.entries = pruneP(pw.entries, cutoff)
	if len(pw.entries) >= w.max {
		pw.saturatedUntil = max(pw.saturatedUntil, pw.entries[0].at+window7d)
		pw.entries = slices.Delete(pw.entries, 0, 1)
	}
	i := after(pw.entries, x.at)
	pw.entries = slices.Insert(pw.entries, i, x)
	return pw
}

func (w *Windows) addMember(k *keyed[*setWindow], key uint64, at int64, member uint64, cutoff int64) *setWindow {
	m := k.part(key)
	sw := m[key]
	if sw == nil {
		sw = &setWindow{}
		m[key] = sw
	}
	// Kept as long as the payers' entries, so that an event up to 7 days
	// late still sees the complete 24 hours before it.
	sw.entries = pruneM(sw.entries, cutoff)
	if len(sw.entries) >= w.max {
		sw.saturatedUntil = max(sw.saturatedUntil, sw.entries[0].at+window24h)
		sw.entries = slices.Delete(sw.entries, 0, 1)
	}
	i := afterM(sw.entries, at)
	sw.entries = slices.Insert(sw.entries, i, memberEntry{at: at, member: member})
	return sw
}

// sweep drops the keys of part whose events are all older than cutoff.
func (w *Windows) sweep(part int, cutoff int64) {
	payers := w.payers[part]
	for k, pw := range payers {
		if pw.entries = pruneP(pw.entries, cutoff); len(pw.entries) == 0 && pw.saturatedUntil <= w.high {
			delete(payers, k)
		}
	}
	for _, m := range []map[uint64]*setWindow{w.numbers[part], w.tokens[part]} {
		for k, sw := range m {
			if sw.entries = pruneM(sw.entries, cutoff); len(sw.entries) == 0 && sw.saturatedUntil <= w.high {
				delete(m, k)
			}
		}
	}
}

// Keys returns the number of payers, numbers and tokens held.
func (w *Windows) Keys() (payers, numbers, tokens int) {
	return w.payers.len(), w.numbers.len(), w.tokens.len()
}

// High returns the newest event time applied, in Unix milliseconds.
func (w *Windows) High() int64 { return w.high }

// addSat adds amounts in micro-dollars, stopping at the int64 bounds: a
// payer's thousands of payments of up to a trillion dollars each must not
// wrap around to a sum below the limits.
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

func pruneP(es []payerEntry, cutoff int64) []payerEntry {
	n := after(es, cutoff)
	if n == 0 {
		return es
	}
	if len(es) == n {
		return es[:0]
	}
	return slices.Delete(es, 0, n)
}

func pruneM(es []memberEntry, cutoff int64) []memberEntry {
	n := afterM(es, cutoff)
	if n == 0 {
		return es
	}
	if len(es) == n {
		return es[:0]
	}
	return slices.Delete(es, 0, n)
}

// after returns the first index of es whose at is > t. A window (t-W, t]
// is es[after(t-W):after(t)].
func after(es []payerEntry, t int64) int {
	i, _ := slices.BinarySearchFunc(es, t+1, func(e payerEntry, t int64) int { return cmp64(e.at, t) })
	return i
}

func afterM(es []memberEntry, t int64) int {
	i, _ := slices.BinarySearchFunc(es, t+1, func(e memberEntry, t int64) int { return cmp64(e.at, t) })
	return i
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// distinct counts the distinct non-zero values of xs in O(len(xs)) with an
// open-addressing set kept in w.table between calls.
func (w *Windows) distinct(xs []uint64) int {
	switch len(xs) {
	case 0, 1:
		return len(xs)
	case 2:
		if xs[0] == xs[1] {
			return 1
		}
		return 2
	}
	size := 8
	for size < 2*len(xs) {
		size <<= 1
	}
	if cap(w.table) < size {
		w.table = make([]uint64, size)
	}
	tab := w.table[:size]
	clear(tab)
	mask := uint64(size - 1)
	n := 0
	for _, x := range xs {
		for i := x & mask; ; i = (i + 1) & mask {
			if tab[i] == x {
				break
			}
			if tab[i] == 0 {
				tab[i] = x
				n++
				break
			}
		}
	}
	return n
}

// loadRecord is a window record read back at start-up, its ids hashed:
// what Add would insert, and the cutoff Add would have pruned with (the
// newest event time so far, less the retention).
type loadRecord struct {
	at, usd, cutoff      int64
	payer, number, token uint64
}

// load adds recs, which follow each other in event time and come after
// everything added before, as Add would one by one, and leaves w in the
// same state: each key's window depends only on that key's records, in
// order, and the cutoff each came with. It goes through recs three times,
// for the payers, the numbers and the tokens, so that each pass keeps
// one kind of window in the CPU's caches: a third less time than adding
// each record whole (BenchmarkLoadWindows).
func (w *Windows) load(recs []loadRecord) {
	if len(recs) == 0 {
		return
	}
	w.high = max(w.high, recs[len(recs)-1].cutoff+window7d)
	for i := range recs {
		r := &recs[i]
		w.addPayer(r.payer, payerEntry{at: r.at, usd: r.usd, number: r.number}, r.cutoff)
	}
	for i := range recs {
		if r := &recs[i]; r.number != 0 {
			w.addMember(w.numbers, r.number, r.at, r.payer, r.cutoff)
		}
	}
	for i := range recs {
		if r := &recs[i]; r.token != 0 {
			w.addMember(w.tokens, r.token, r.at, r.payer, r.cutoff)
		}
	}
}
