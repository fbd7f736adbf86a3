package audit_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

// entryKey builds the documented key of entry seq of ledger name.
func entryKey(name string, seq uint64) []byte {
	k := []byte("a/" + name + "/e/")
	return binary.BigEndian.AppendUint64(k, seq)
}

func headKey(name string) []byte { return []byte("a/" + name + "/head") }

func mustGet(tb testing.TB, db *badger.DB, key []byte) []byte {
	tb.Helper()
	var v []byte
	if err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	}); err != nil {
		tb.Fatalf("get %q: %v", key, err)
	}
	return v
}

func mustSet(tb testing.TB, db *badger.DB, key, val []byte) {
	tb.Helper()
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
		tb.Fatalf("set %q: %v", key, err)
	}
}

func mustDelete(tb testing.TB, db *badger.DB, key []byte) {
	tb.Helper()
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete(key) }); err != nil {
		tb.Fatalf("delete %q: %v", key, err)
	}
}

// wantBroken runs Verify and checks it names firstBad and a problem
// containing want.
func wantBroken(tb testing.TB, db *badger.DB, firstBad uint64, want string) audit.Report {
	tb.Helper()
	rep, err := audit.Verify(db, "audit", nil)
	if !errors.Is(err, audit.ErrBroken) {
		tb.Fatalf("verify error = %v, want ErrBroken (report %+v)", err, rep)
	}
	if rep.OK() || rep.FirstBad != firstBad || !strings.Contains(rep.Problem, want) {
		tb.Fatalf("report = %+v, want first bad %d and problem containing %q", rep, firstBad, want)
	}
	return rep
}

func TestVerify_Empty(t *testing.T) {
	db, _ := MustOpen(t, "audit", newClock())
	rep := MustVerify(t, db, "audit")
	if rep.Entries != 0 || rep.Head.Seq != 0 || rep.Head.Hash != audit.ZeroHash {
		t.Fatalf("report = %+v", rep)
	}
}

func TestVerify_Progress(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	MustAppendBatch(t, db, l, "a", audit.ProgressEvery+10)
	var calls []uint64
	rep, err := audit.Verify(db, "audit", func(seq uint64) { calls = append(calls, seq) })
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{audit.ProgressEvery, audit.ProgressEvery + 10}
	if len(calls) != 2 || calls[0] != want[0] || calls[1] != want[1] || rep.Entries != want[1] {
		t.Fatalf("progress calls = %v, report %+v", calls, rep)
	}
}

// Every single changed byte of a stored entry is caught and blamed on that
// entry, wherever it is.
func TestVerify_EveryChangedByteNamesTheEntry(t *testing.T) {
	db, l := MustOpen(t, "audit", newClock())
	MustAppendBatch(t, db, l, "a", 6)
	MustAppendBatch(t, db, l, "b", 6)
	const seq = 7
	key := entryKey("audit", seq)
	orig := mustGet(t, db, key)
	for i := range orig {
		for _, flip := range []byte{0x01, 0x20} {
			bad := append([]byte(nil), orig...)
			bad[i] ^= flip
			mustSet(t, db, key, bad)
			rep, err := audit.Verify(db, "audit", nil)
			if !errors.Is(err, audit.ErrBroken) || rep.FirstBad != seq {
				t.Fatalf("byte %d (%q) ^ %#x: report %+v, err %v", i, orig[i], flip, rep, err)
			}
			if rep.Entries != seq-1 {
				t.Fatalf("good entries before the bad one = %d", rep.Entries)
			}
		}
	}
	mustSet(t, db, key, orig)
	MustVerify(t, db, "audit")
}

func TestVerify_Tampering(t *testing.T) {
	setup := func(t *testing.T) *badger.DB {
		db, l := MustOpen(t, "audit", newClock())
		MustAppendBatch(t, db, l, "a", 5)
		MustAppendBatch(t, db, l, "b", 5)
		return db
	}
	t.Run("DeletedEntryIsAGap", func(t *testing.T) {
		db := setup(t)
		mustDelete(t, db, entryKey("audit", 4))
		wantBroken(t, db, 4, "entry 4 missing (next stored entry is 5)")
	})
	t.Run("DeletedFirstEntry", func(t *testing.T) {
		db := setup(t)
		mustDelete(t, db, entryKey("audit", 1))
		wantBroken(t, db, 1, "entry 1 missing")
	})
	t.Run("DeletedLastEntry", func(t *testing.T) {
		db := setup(t)
		mustDelete(t, db, entryKey("audit", 10))
		wantBroken(t, db, 10, "entry 10 missing (head is at 10)")
	})
	t.Run("EntryMovedToAnotherSeq", func(t *testing.T) {
		db := setup(t)
		mustSet(t, db, entryKey("audit", 3), mustGet(t, db, entryKey("audit", 4)))
		wantBroken(t, db, 3, "holds seq 4")
	})
	t.Run("EntryReplacedByAValidOneFromAnotherChain", func(t *testing.T) {
		db := setup(t)
		odb, ol := MustOpen(t, "audit", newClock())
		MustAppendBatch(t, odb, ol, "zz", 5)
		mustSet(t, db, entryKey("audit", 5), mustGet(t, odb, entryKey("audit", 5)))
		wantBroken(t, db, 5, "")
	})
	t.Run("ExtraEntryBeyondHead", func(t *testing.T) {
		db := setup(t)
		odb, ol := MustOpen(t, "audit", newClock())
		MustAppendBatch(t, odb, ol, "a", 5)
		MustAppendBatch(t, odb, ol, "b", 6)
		mustSet(t, db, entryKey("audit", 11), mustGet(t, odb, entryKey("audit", 11)))
		wantBroken(t, db, 11, "beyond the head key")
	})
	t.Run("HeadKeyHashChanged", func(t *testing.T) {
		db := setup(t)
		h := mustGet(t, db, headKey("audit"))
		h[len(h)-3] ^= 0x01
		mustSet(t, db, headKey("audit"), h)
		wantBroken(t, db, 10, "head key")
		if _, err := audit.Open(db, "audit", newClock()); !errors.Is(err, audit.ErrBroken) {
			t.Fatalf("open with a bad head = %v", err)
		}
	})
	t.Run("HeadKeyDeleted", func(t *testing.T) {
		db := setup(t)
		mustDelete(t, db, headKey("audit"))
		wantBroken(t, db, 10, "head key missing")
		if _, err := audit.Open(db, "audit", newClock()); !errors.Is(err, audit.ErrBroken) {
			t.Fatalf("open without a head = %v", err)
		}
	})
	t.Run("OtherLedgerUntouched", func(t *testing.T) {
		db := setup(t)
		c := MustOpenLedger(t, db, "consent", newClock())
		MustAppendBatch(t, db, c, "c", 3)
		mustDelete(t, db, entryKey("audit", 2))
		wantBroken(t, db, 2, "entry 2 missing")
		MustVerify(t, db, "consent")
	})
}
