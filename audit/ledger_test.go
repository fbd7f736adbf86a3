package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

func TestLedger_AppendBatches(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	if h := l.Head(); h.Seq != 0 || h.Hash != audit.ZeroHash {
		t.Fatalf("empty head = %+v", h)
	}
	var all []audit.Entry
	for i, n := range []int{1, 7, 50, 3, 200} {
		all = append(all, MustAppendBatch(t, db, l, fmt.Sprintf("tx%d", i), n)...)
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		want := audit.ZeroHash
		if i > 0 {
			want = all[i-1].Hash
		}
		if e.PrevHash != want {
			t.Fatalf("entry %d prev_hash %s, want %s", e.Seq, e.PrevHash, want)
		}
	}
	last := all[len(all)-1]
	if h := l.Head(); h.Seq != 261 || h.Hash != last.Hash {
		t.Fatalf("head = %+v, want 261/%s", h, last.Hash)
	}
	rep := MustVerify(t, db, "audit")
	if rep.Entries != 261 || rep.Head != l.Head() {
		t.Fatalf("report = %+v, head %+v", rep, l.Head())
	}
	// Payload is stored compacted, byte for byte what json.Compact gives.
	var want bytes.Buffer
	if err := json.Compact(&want, decisionEntry("tx0_0", 0).Payload); err != nil {
		t.Fatal(err)
	}
	if got := string(all[0].Payload); got != want.String() {
		t.Fatalf("payload = %s, want %s", got, want.String())
	}
}

func TestLedger_EntriesInOneBatchShareTime(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	a := MustAppendBatch(t, db, l, "a", 3)
	b := MustAppendBatch(t, db, l, "b", 2)
	if !a[0].Time.Equal(a[2].Time) {
		t.Fatalf("batch times differ: %v %v", a[0].Time, a[2].Time)
	}
	if !b[0].Time.After(a[0].Time) {
		t.Fatalf("second batch time %v not after first %v", b[0].Time, a[0].Time)
	}
}

func TestLedger_ClockBackwardsKeepsTimeMonotonic(t *testing.T) {
	clock := newClock()
	db, l := MustOpen(t, "audit", clock)
	a := MustAppendBatch(t, db, l, "a", 1)
	clock.Set(a[0].Time.Add(-time.Hour))
	b := MustAppendBatch(t, db, l, "b", 1)
	if !b[0].Time.Equal(a[0].Time) {
		t.Fatalf("time after clock step back = %v, want %v", b[0].Time, a[0].Time)
	}
	MustVerify(t, db, "audit")
}

func TestLedger_DiscardedTxnDoesNotAdvance(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	MustAppendBatch(t, db, l, "a", 5)
	before := l.Head()

	// A batch whose txn is discarded.
	b := l.Begin()
	txn := db.NewTransaction(true)
	if _, err := b.Append(txn, decisionEntry("lost", 1)); err != nil {
		t.Fatal(err)
	}
	txn.Discard()

	// A batch whose callback fails: Update discards the txn.
	b2 := l.Begin()
	boom := errors.New("boom")
	err := db.Update(func(txn *badger.Txn) error {
		if _, err := b2.Append(txn, decisionEntry("lost2", 2)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update error = %v", err)
	}
	if h := l.Head(); h != before {
		t.Fatalf("head moved to %+v after discarded txns", h)
	}

	next := MustAppendBatch(t, db, l, "c", 2)
	if next[0].Seq != before.Seq+1 || next[0].PrevHash != before.Hash {
		t.Fatalf("next entry seq %d prev %s, want %d %s", next[0].Seq, next[0].PrevHash, before.Seq+1, before.Hash)
	}
	if rep := MustVerify(t, db, "audit"); rep.Entries != 7 {
		t.Fatalf("entries = %d, want 7", rep.Entries)
	}
}

func TestLedger_ReopenContinues(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	db := MustOpenDB(t, dir)
	l := MustOpenLedger(t, db, "audit", clock)
	first := MustAppendBatch(t, db, l, "a", 10)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDB(t, dir)
	defer db.Close()
	l = MustOpenLedger(t, db, "audit", clock)
	if h := l.Head(); h.Seq != 10 || h.Hash != first[9].Hash {
		t.Fatalf("reopened head = %+v", h)
	}
	more := MustAppendBatch(t, db, l, "b", 4)
	if more[0].Seq != 11 || more[0].PrevHash != first[9].Hash {
		t.Fatalf("continued entry = %+v", more[0])
	}
	if rep := MustVerify(t, db, "audit"); rep.Entries != 14 {
		t.Fatalf("entries = %d", rep.Entries)
	}
}

func TestLedger_TwoLedgersAreIndependent(t *testing.T) {
	clock := newClock()
	db, a := MustOpen(t, "audit", clock)
	c := MustOpenLedger(t, db, "consent", clock)
	// One txn holds entries of both ledgers, as the engine's batches do.
	ba, bc := a.Begin(), c.Begin()
	err := db.Update(func(txn *badger.Txn) error {
		for i := range 3 {
			if _, err := ba.Append(txn, decisionEntry(fmt.Sprint("d", i), i)); err != nil {
				return err
			}
			if _, err := bc.Append(txn, audit.Entry{Kind: "consent.grant", Subject: fmt.Sprint("cons_", i), Actor: "usr_1", Payload: json.RawMessage(`{"purpose":"screening"}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ba); err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(bc); err != nil {
		t.Fatal(err)
	}
	if a.Head().Seq != 3 || c.Head().Seq != 3 || a.Head().Hash == c.Head().Hash {
		t.Fatalf("heads %+v %+v", a.Head(), c.Head())
	}
	MustVerify(t, db, "audit")
	MustVerify(t, db, "consent")
}

func TestLedger_ConcurrentBatchesConflict(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	MustAppendBatch(t, db, l, "a", 1)
	b1, b2 := l.Begin(), l.Begin()
	t1, t2 := db.NewTransaction(true), db.NewTransaction(true)
	defer t1.Discard()
	defer t2.Discard()
	if _, err := b1.Append(t1, decisionEntry("x", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b2.Append(t2, decisionEntry("y", 1)); err != nil {
		t.Fatal(err)
	}
	if err := t1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(b1); err != nil {
		t.Fatal(err)
	}
	if err := t2.Commit(); !errors.Is(err, badger.ErrConflict) {
		t.Fatalf("second commit error = %v, want ErrConflict", err)
	}
	if h := l.Head(); h.Seq != 2 {
		t.Fatalf("head = %+v", h)
	}
	if rep := MustVerify(t, db, "audit"); rep.Entries != 2 {
		t.Fatalf("entries = %d", rep.Entries)
	}
}

func TestLedger_ForgottenCommitDoesNotFork(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	b := l.Begin()
	var first audit.Entry
	if err := db.Update(func(txn *badger.Txn) error {
		var err error
		first, err = b.Append(txn, decisionEntry("x", 1))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The caller forgot l.Commit(b): the next batch still chains onto the
	// stored head, not onto the stale one in memory.
	if l.Head().Seq != 0 {
		t.Fatalf("head moved without Commit: %+v", l.Head())
	}
	next := MustAppendBatch(t, db, l, "y", 2)
	if next[0].Seq != 2 || next[0].PrevHash != first.Hash || next[0].Time.Before(first.Time) {
		t.Fatalf("next entry = %+v, first %+v", next[0], first)
	}
	if h := l.Head(); h.Seq != 3 || h.Hash != next[1].Hash {
		t.Fatalf("head = %+v", h)
	}
	// A late Commit of the old batch does not move the head back.
	if err := l.Commit(b); err != nil {
		t.Fatal(err)
	}
	if l.Head().Seq != 3 {
		t.Fatalf("head went back to %+v", l.Head())
	}
	MustVerify(t, db, "audit")
}

// Several goroutines appending with their own txns, retrying on conflict,
// still build one gap-free chain in commit order.
func TestLedger_ConcurrentWritersRetrying(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	const writers, batches = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < batches; {
				b := l.Begin()
				err := db.Update(func(txn *badger.Txn) error {
					for j := range 3 {
						if _, err := b.Append(txn, decisionEntry(fmt.Sprintf("w%d_%d_%d", w, i, j), j)); err != nil {
							return err
						}
					}
					return nil
				})
				if errors.Is(err, badger.ErrConflict) {
					continue
				}
				if err == nil {
					err = l.Commit(b)
				}
				if err != nil {
					errs <- err
					return
				}
				i++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep := MustVerify(t, db, "audit")
	if rep.Entries != writers*batches*3 || l.Head() != rep.Head {
		t.Fatalf("report %+v, head %+v", rep, l.Head())
	}
}

func TestBatch_AppendErrors(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	txn := db.NewTransaction(true)
	defer txn.Discard()
	b := l.Begin()
	for name, e := range map[string]audit.Entry{
		"ErrKindEmpty":    {Subject: "x"},
		"ErrKindUpper":    {Kind: "Decision"},
		"ErrKindSpace":    {Kind: "de cision"},
		"ErrPayloadJSON":  {Kind: "decision", Payload: json.RawMessage(`{"a":`)},
		"ErrPayloadTwo":   {Kind: "decision", Payload: json.RawMessage(`1 2`)},
		"ErrSeqSet":       {Kind: "decision", Seq: 4},
		"ErrHashSet":      {Kind: "decision", Hash: audit.ZeroHash},
		"ErrSubjectUTF8":  {Kind: "decision", Subject: "\xff"},
		"ErrActorUTF8":    {Kind: "decision", Actor: "\xc3"},
		"ErrKindTooLong":  {Kind: strings.Repeat("k", audit.MaxKindLen+1)},
		"ErrPayloadSpace": {Kind: "decision", Payload: json.RawMessage(`   `)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := b.Append(txn, e); err == nil {
				t.Fatal("no error")
			}
		})
	}
	// Argument errors leave the batch usable.
	e, err := b.Append(txn, audit.Entry{Kind: "hold.release", Subject: "hold_1", Actor: "officer:aziz"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 1 || string(e.Payload) != "null" {
		t.Fatalf("entry = %+v", e)
	}
	other := db.NewTransaction(true)
	defer other.Discard()
	if _, err := b.Append(other, decisionEntry("x", 1)); err == nil {
		t.Fatal("append with a second txn succeeded")
	}
}

func TestBatch_CommitRules(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	_, other := MustOpen(t, "audit", newClock())
	b := l.Begin()
	if err := l.Commit(b); err != nil {
		t.Fatalf("empty batch commit: %v", err)
	}
	if err := other.Commit(l.Begin()); err == nil {
		t.Fatal("commit of another ledger's batch succeeded")
	}
	b = l.Begin()
	if err := db.Update(func(txn *badger.Txn) error {
		_, err := b.Append(txn, decisionEntry("x", 1))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(b); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(b); !errors.Is(err, audit.ErrBatchDone) {
		t.Fatalf("second commit = %v", err)
	}
	if _, err := b.Append(nil, decisionEntry("y", 1)); !errors.Is(err, audit.ErrBatchDone) {
		t.Fatalf("append after commit = %v", err)
	}
}

func TestBatch_TxnTooBigPoisonsBatch(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(1 << 20).WithValueThreshold(1 << 10))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := MustOpenLedger(t, db, "audit", newClock())
	b := l.Begin()
	txn := db.NewTransaction(true)
	defer txn.Discard()
	big := json.RawMessage(`"` + strings.Repeat("x", 4096) + `"`)
	var appendErr error
	for i := 0; i < 10000 && appendErr == nil; i++ {
		_, appendErr = b.Append(txn, audit.Entry{Kind: "decision", Subject: fmt.Sprint(i), Payload: big})
	}
	if !errors.Is(appendErr, badger.ErrTxnTooBig) {
		t.Fatalf("append error = %v, want ErrTxnTooBig", appendErr)
	}
	if _, err := b.Append(txn, decisionEntry("x", 1)); !errors.Is(err, audit.ErrBatchDone) {
		t.Fatalf("append after failure = %v", err)
	}
	if err := l.Commit(b); !errors.Is(err, audit.ErrBatchDone) {
		t.Fatalf("commit after failure = %v", err)
	}
	if l.Head().Seq != 0 {
		t.Fatalf("head moved: %+v", l.Head())
	}
}

func TestOpen_Errors(t *testing.T) {
	db, _ := MustOpen(t, "audit", newClock())
	for _, name := range []string{"", "Audit", "a/b", "a b", strings.Repeat("n", 33)} {
		if _, err := audit.Open(db, name, newClock()); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
	}
	if _, err := audit.Open(db, "audit", nil); err == nil {
		t.Error("Open with nil clock succeeded")
	}
}

func TestBatch_AppendCompactStoresPayloadAsGiven(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	payloads := []string{`{"decision_id":"dec_1","outcome":"allow"}`, `{"a":"x \u003c y","n":[1,2]}`, `{"broken": 1}`}
	b := l.Begin()
	var seqs []uint64
	err := db.Update(func(txn *badger.Txn) error {
		for i, p := range payloads {
			e, err := b.AppendCompact(txn, audit.Entry{Kind: "decision", Subject: fmt.Sprint("tx", i), Payload: json.RawMessage(p)})
			if err != nil {
				return err
			}
			seqs = append(seqs, e.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(b); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(txn *badger.Txn) error {
		for i, p := range payloads[:2] {
			e, err := l.Entry(txn, seqs[i])
			if err != nil {
				return err
			}
			if string(e.Payload) != p || e.Subject != fmt.Sprint("tx", i) {
				t.Errorf("entry %d = %s %s, want %s", seqs[i], e.Subject, e.Payload, p)
			}
		}
		if _, err := l.Entry(txn, 99); !errors.Is(err, audit.ErrBroken) {
			t.Errorf("Entry(99) = %v, want ErrBroken", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A caller that breaks the promise (whitespace in the payload) gets an
	// entry that verification reports, naming its sequence number.
	rep, err := audit.Verify(db, "audit", nil)
	if !errors.Is(err, audit.ErrBroken) || rep.FirstBad != seqs[2] {
		t.Fatalf("verify = %+v, %v; want the entry %d reported", rep, err, seqs[2])
	}
}

// TestBatch_DeferHead: a batch that writes its head once, after its last
// append, leaves the same stored chain as one that writes it with each
// append (a reopened ledger continues from it and Verify passes), and a
// batch that never wrote it is refused at Commit.
func TestBatch_DeferHead(t *testing.T) {
	t.Run("WrittenOnce", func(t *testing.T) {
		dir := t.TempDir()
		clock := newClock()
		db := MustOpenDB(t, dir)
		l := MustOpenLedger(t, db, "audit", clock)
		for batch := range 3 {
			txn := db.NewTransaction(true)
			b := l.Begin()
			b.DeferHead()
			for i := range 5 {
				if _, err := b.Append(txn, decisionEntry(fmt.Sprintf("tx_%d_%d", batch, i), i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.WriteHead(txn); err != nil {
				t.Fatal(err)
			}
			if err := txn.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(b); err != nil {
				t.Fatal(err)
			}
		}
		want := l.Head()
		if want.Seq != 15 {
			t.Fatalf("head after 3 batches of 5 = %+v", want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = MustOpenDB(t, dir)
		defer db.Close()
		l = MustOpenLedger(t, db, "audit", clock)
		if got := l.Head(); got != want {
			t.Fatalf("reopened head = %+v, want %+v", got, want)
		}
		more := MustAppendBatch(t, db, l, "more", 2)
		if more[0].Seq != 16 || more[0].PrevHash != want.Hash {
			t.Fatalf("continued entry = %+v", more[0])
		}
		if rep := MustVerify(t, db, "audit"); rep.Entries != 17 {
			t.Fatalf("entries = %d", rep.Entries)
		}
	})
	t.Run("ErrHeadNotWritten", func(t *testing.T) {
		db, l := MustOpen(t, "audit", newClock())
		txn := db.NewTransaction(true)
		defer txn.Discard()
		b := l.Begin()
		b.DeferHead()
		if _, err := b.Append(txn, decisionEntry("tx_1", 1)); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteHead(txn); err != nil {
			t.Fatal(err)
		}
		// An append after WriteHead leaves the written head behind.
		if _, err := b.Append(txn, decisionEntry("tx_2", 2)); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(b); !errors.Is(err, audit.ErrHeadNotWritten) {
			t.Fatalf("Commit = %v, want ErrHeadNotWritten", err)
		}
		if h := l.Head(); h.Seq != 0 {
			t.Fatalf("head advanced to %+v", h)
		}
	})
	t.Run("NotDeferred", func(t *testing.T) {
		db, l := MustOpen(t, "audit", newClock())
		txn := db.NewTransaction(true)
		defer txn.Discard()
		if err := l.Begin().WriteHead(txn); err == nil {
			t.Fatal("WriteHead on a batch without DeferHead succeeded")
		}
	})
}
