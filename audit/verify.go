package audit

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// ProgressEvery is how many entries Verify checks between progress calls.
const ProgressEvery = 4096

// Report is the outcome of Verify or VerifyExport. Problem is empty when the
// chain is intact; otherwise FirstBad names the first bad sequence number
// (0 when the problem is not one entry's, such as a bad signature) and, for
// an export, Line the 1-based line or CSV record where it was found.
type Report struct {
	Ledger   string `json:"ledger,omitempty"`
	Entries  uint64 `json:"entries"` // entries checked and found good
	Head     Head   `json:"head"`    // last entry found good
	FirstBad uint64 `json:"first_bad,omitempty"`
	Line     int    `json:"line,omitempty"`
	Problem  string `json:"problem,omitempty"`
	Signed   bool   `json:"signed,omitempty"` // VerifyExport: checkpoint signature checked out
	// Checkpoint is the export's checkpoint as read (VerifyExport only; nil
	// if there was none or it did not parse). Trust it only when Signed.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return r.Problem == "" }

// Verify checks every entry of the ledger name in db, in one consistent
// snapshot: sequence numbers contiguous from 1, each entry in canonical form
// with its hash recomputed, each prev_hash equal to the previous hash, times
// never going backwards, and the head key equal to the last entry. It stops
// at the first problem. A broken chain gives a Report naming it and an error
// wrapping ErrBroken; other errors are the database's. progress, if not nil,
// is called with the last checked sequence number every ProgressEvery entries
// and once at the end.
func Verify(db *badger.DB, name string, progress func(seq uint64)) (Report, error) {
	keys, err := newKeyspace(name)
	if err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	rep := Report{Ledger: name, Head: Head{Hash: ZeroHash}}
	bad := func(seq uint64, format string, args ...any) (Report, error) {
		rep.FirstBad = seq
		rep.Problem = fmt.Sprintf(format, args...)
		return rep, fmt.Errorf("verify %s: %w: %s", name, ErrBroken, rep.Problem)
	}

	txn := db.NewTransaction(false)
	defer txn.Discard()
	opt := badger.DefaultIteratorOptions
	opt.Prefix = keys.entries
	opt.PrefetchSize = 256
	it := txn.NewIterator(opt)
	defer it.Close()

	var prev Entry
	next := uint64(1)
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		seq, ok := keys.seqOf(item.Key())
		if !ok {
			return bad(next, "malformed key %q under the entry prefix", item.Key())
		}
		if seq != next {
			return bad(next, "entry %d missing (next stored entry is %d)", next, seq)
		}
		var (
			e      Entry
			decErr error
		)
		if err := item.Value(func(v []byte) error {
			e, decErr = decodeStored(v)
			return nil
		}); err != nil {
			return rep, fmt.Errorf("verify %s: read entry %d: %w", name, seq, err)
		}
		switch {
		case decErr != nil:
			return bad(seq, "entry %d: %v", seq, decErr)
		case e.Seq != seq:
			return bad(seq, "entry %d holds seq %d", seq, e.Seq)
		case e.PrevHash != rep.Head.Hash:
			return bad(seq, "entry %d prev_hash does not link to entry %d", seq, seq-1)
		case seq > 1 && e.Time.Before(prev.Time):
			return bad(seq, "entry %d time %s is before entry %d's", seq, e.Time.Format(TimeLayout), seq-1)
		}
		prev = e
		rep.Entries++
		rep.Head = Head{Seq: seq, Hash: e.Hash}
		next++
		if progress != nil && seq%ProgressEvery == 0 {
			progress(seq)
		}
	}
	it.Close()

	stored, ok, err := readHead(txn, keys)
	switch {
	case errors.Is(err, ErrBroken):
		return bad(rep.Head.Seq, "%v", err)
	case err != nil:
		return rep, fmt.Errorf("verify %s: %w", name, err)
	case !ok && rep.Entries > 0:
		return bad(rep.Head.Seq, "head key missing (last entry is %d)", rep.Head.Seq)
	case ok && stored.Seq > rep.Head.Seq:
		return bad(rep.Head.Seq+1, "entry %d missing (head is at %d)", rep.Head.Seq+1, stored.Seq)
	case ok && stored.Seq < rep.Head.Seq:
		return bad(stored.Seq+1, "entry %d is beyond the head key (%d)", stored.Seq+1, stored.Seq)
	case ok && stored.Hash != rep.Head.Hash:
		return bad(stored.Seq, "head key hash differs from entry %d", stored.Seq)
	}
	if progress != nil && rep.Head.Seq%ProgressEvery != 0 {
		progress(rep.Head.Seq)
	}
	return rep, nil
}
