package audit

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
)

// Clock tells the time; engine.Clock satisfies it.
type Clock interface {
	Now() time.Time
}

// Errors callers can test for with errors.Is.
var (
	// ErrBroken means a stored chain or an export is not intact.
	ErrBroken = errors.New("audit chain broken")
	// ErrBatchDone means the batch was already committed or has failed.
	ErrBatchDone = errors.New("batch is finished")
	// ErrHeadNotWritten means a batch with DeferHead was committed without
	// WriteHead after its last append: its txn holds entries past the
	// stored head.
	ErrHeadNotWritten = errors.New("batch head not written")
)

// maxNameLen bounds a ledger name.
const maxNameLen = 32

// keyspace holds the Badger keys of one ledger.
type keyspace struct {
	entries []byte // "a/<name>/e/"
	head    []byte // "a/<name>/head"
}

func newKeyspace(name string) (keyspace, error) {
	if !validName(name) {
		return keyspace{}, fmt.Errorf("ledger name %q: want 1-%d of a-z 0-9 _ -", name, maxNameLen)
	}
	return keyspace{
		entries: []byte("a/" + name + "/e/"),
		head:    []byte("a/" + name + "/head"),
	}, nil
}

func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// entryKey returns a fresh key for seq (Badger keeps the slice until commit).
func (k keyspace) entryKey(seq uint64) []byte {
	key := make([]byte, len(k.entries)+8)
	copy(key, k.entries)
	binary.BigEndian.PutUint64(key[len(k.entries):], seq)
	return key
}

// seqOf returns the sequence number in an entry key, or false if the key is
// not one.
func (k keyspace) seqOf(key []byte) (uint64, bool) {
	if len(key) != len(k.entries)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(k.entries):]), true
}

// Ledger is one hash chain in the database. Its methods are safe for
// concurrent use. The chain is meant to have one writer, the engine's
// committer; other writers are safe too, but a batch whose txn overlaps
// another writer's commit fails with badger.ErrConflict and must be retried.
type Ledger struct {
	db    *badger.DB
	name  string
	clock Clock
	keys  keyspace

	mu       sync.Mutex
	head     Head
	headTime time.Time // time of the head entry; zero when empty
}

// Open loads the head of the ledger called name ("audit", "consent", …) from
// db. It fails with ErrBroken if the head key and the stored entries disagree;
// Verify then tells exactly where.
func Open(db *badger.DB, name string, clock Clock) (*Ledger, error) {
	if db == nil || clock == nil {
		return nil, errors.New("open ledger: nil db or clock")
	}
	keys, err := newKeyspace(name)
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l := &Ledger{db: db, name: name, clock: clock, keys: keys}
	if err := l.Reload(); err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", name, err)
	}
	return l, nil
}

// Name returns the ledger's name.
func (l *Ledger) Name() string { return l.name }

// Head returns the head of the last batch passed to Commit (or loaded by
// Open or Reload).
func (l *Ledger) Head() Head {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Reload rereads the head from the database. Appends do not need it (a batch
// chains onto the head stored in its txn), but Head does after a txn whose
// outcome is unknown.
func (l *Ledger) Reload() error {
	var (
		head Head
		t    time.Time
	)
	err := l.db.View(func(txn *badger.Txn) error {
		h, ok, err := readHead(txn, l.keys)
		if err != nil {
			return err
		}
		if !ok {
			if seq, found, err := firstEntry(txn, l.keys); err != nil {
				return err
			} else if found {
				return fmt.Errorf("%w: head key missing but entry %d exists", ErrBroken, seq)
			}
			head = Head{Hash: ZeroHash}
			return nil
		}
		e, err := getEntry(txn, l.keys, h.Seq)
		if err != nil {
			return fmt.Errorf("head entry: %w", err)
		}
		if e.Hash != h.Hash {
			return fmt.Errorf("%w: head key hash differs from entry %d", ErrBroken, h.Seq)
		}
		if _, err := txn.Get(l.keys.entryKey(h.Seq + 1)); err == nil {
			return fmt.Errorf("%w: entry %d exists beyond head %d", ErrBroken, h.Seq+1, h.Seq)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		head, t = h, e.Time
		return nil
	})
	if err != nil {
		return fmt.Errorf("load head: %w", err)
	}
	l.mu.Lock()
	l.head, l.headTime = head, t
	l.mu.Unlock()
	return nil
}

// Txn is what a batch needs of a read-write transaction: *badger.Txn, or
// a type wrapping one (to copy the writes into a write-ahead log, say).
type Txn interface {
	Get(key []byte) (*badger.Item, error)
	Set(key, value []byte) error
}

// readHead reads and checks the head key; ok is false when it is absent.
func readHead(txn Txn, keys keyspace) (h Head, ok bool, err error) {
	item, err := txn.Get(keys.head)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Head{Seq: 0, Hash: ZeroHash}, false, nil
	} else if err != nil {
		return Head{}, false, fmt.Errorf("read head: %w", err)
	}
	err = item.Value(func(v []byte) error {
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("%w: head key: %v", ErrBroken, err)
		}
		if h.Seq == 0 || !isLowerHex(h.Hash) {
			return fmt.Errorf("%w: head key holds %s", ErrBroken, v)
		}
		return nil
	})
	return h, err == nil, err
}

func encodeHead(h Head) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, h.Seq, 10)
	b = append(b, `,"hash":"`...)
	b = append(b, h.Hash...)
	return append(b, `"}`...)
}

// Entry reads the entry seq as the snapshot of txn sees it, and checks its
// encoding and its own hash (not its link to the entry before).
func (l *Ledger) Entry(txn *badger.Txn, seq uint64) (Entry, error) {
	e, err := getEntry(txn, l.keys, seq)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", l.name, err)
	}
	return e, nil
}

// getEntry reads and checks (without the link) the entry seq.
func getEntry(txn Txn, keys keyspace, seq uint64) (Entry, error) {
	item, err := txn.Get(keys.entryKey(seq))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Entry{}, fmt.Errorf("%w: entry %d missing", ErrBroken, seq)
	} else if err != nil {
		return Entry{}, fmt.Errorf("read entry %d: %w", seq, err)
	}
	var e Entry
	err = item.Value(func(v []byte) error {
		e, err = decodeStored(v)
		if err != nil {
			return fmt.Errorf("%w: entry %d: %v", ErrBroken, seq, err)
		}
		if e.Seq != seq {
			return fmt.Errorf("%w: entry %d holds seq %d", ErrBroken, seq, e.Seq)
		}
		return nil
	})
	return e, err
}

// firstEntry returns the lowest stored sequence number.
func firstEntry(txn *badger.Txn, keys keyspace) (uint64, bool, error) {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = keys.entries
	it := txn.NewIterator(opt)
	defer it.Close()
	it.Rewind()
	if !it.Valid() {
		return 0, false, nil
	}
	seq, _ := keys.seqOf(it.Item().Key())
	return seq, true, nil
}

// Batch stages appends to a ledger inside one Badger transaction. It is not
// safe for concurrent use. A batch that is never passed to Ledger.Commit is
// simply forgotten.
type Batch struct {
	l        *Ledger
	base     Head // the committed head at Begin
	head     Head // after the staged appends
	time     time.Time
	txn      Txn
	n        int
	err      error // set when a write into txn failed half way
	finished bool
	// deferHead: appends leave the head to WriteHead, which records
	// headAt, the n it was written for.
	deferHead bool
	headAt    int
}

// DeferHead makes the batch's appends write only their entries: the head
// is written once, by WriteHead, which must then be called into the same
// txn after the last append and before txn commits; Commit refuses a batch
// whose head was not written so. A batch of many entries is cheaper so: one
// head write instead of one per entry.
func (b *Batch) DeferHead() { b.deferHead = true }

// WriteHead writes the head the batch's appends leave into txn (nothing if
// there were none). Only for a batch with DeferHead.
func (b *Batch) WriteHead(txn Txn) error {
	if !b.deferHead {
		return fmt.Errorf("write head %s: the batch writes its head with each append", b.l.name)
	}
	if b.finished || b.err != nil {
		return fmt.Errorf("write head %s: %w", b.l.name, ErrBatchDone)
	}
	if b.n == 0 {
		return nil // headAt is 0 already
	}
	if txn != b.txn {
		return fmt.Errorf("write head %s: not the batch's txn", b.l.name)
	}
	if err := txn.Set(b.l.keys.head, encodeHead(b.head)); err != nil {
		b.err = err
		return fmt.Errorf("write head %s %d: %w", b.l.name, b.head.Seq, err)
	}
	b.headAt = b.n
	return nil
}

// Begin starts a batch. Its first Append chains it onto the head stored in
// that txn's snapshot (normally the ledger's Head). Every entry of the batch
// gets the same time: the clock's time at Begin, in UTC to the microsecond,
// raised to the previous entry's time if the clock went backwards.
func (l *Ledger) Begin() *Batch {
	now := l.clock.Now().UTC().Truncate(time.Microsecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.headTime) {
		now = l.headTime
	}
	return &Batch{l: l, base: l.head, head: l.head, time: now}
}

// Head returns the head the batch would leave once committed.
func (b *Batch) Head() Head { return b.head }

// Len returns the number of entries appended so far.
func (b *Batch) Len() int { return b.n }

// Append fills e's Seq, Time, PrevHash and Hash, writes the entry and the new
// head (unless DeferHead) into txn and returns the completed entry. All
// appends of a batch must use the same read-write txn. The caller sets Kind
// (1-64 of a-z 0-9 . _ -), Subject and Actor (UTF-8 without control
// characters) and Payload (one JSON value; it is stored compacted), and
// leaves the other fields zero.
//
// An error from the arguments leaves txn untouched. An error from Badger
// (badger.ErrTxnTooBig, for one) may leave txn half written: the caller must
// then discard txn, and the batch refuses further use.
func (b *Batch) Append(txn Txn, e Entry) (Entry, error) {
	return b.append(txn, e, false)
}

// AppendCompact is Append for a payload that is already one valid, compact
// JSON value because the caller produced it with encoding/json's Marshal: it
// is stored as it is, without being parsed again. A payload that is not
// such a value makes an entry that Verify reports as broken.
func (b *Batch) AppendCompact(txn Txn, e Entry) (Entry, error) {
	return b.append(txn, e, true)
}

func (b *Batch) append(txn Txn, e Entry, compact bool) (Entry, error) {
	if b.finished || b.err != nil {
		return Entry{}, fmt.Errorf("append %s: %w", b.l.name, ErrBatchDone)
	}
	if err := checkNew(&e); err != nil {
		return Entry{}, fmt.Errorf("append %s: %w", b.l.name, err)
	}
	payload := json.RawMessage(e.Payload)
	if !compact || len(payload) == 0 {
		var err error
		if payload, err = compactPayload(e.Payload); err != nil {
			return Entry{}, fmt.Errorf("append %s: %w", b.l.name, err)
		}
	}
	if txn == nil {
		return Entry{}, fmt.Errorf("append %s: nil txn", b.l.name)
	}
	if b.txn == nil {
		// The batch chains onto the head stored in txn's snapshot, which
		// is the committed truth even if another writer committed since
		// Begin. Reading the head key also puts it in txn's read set, so
		// a writer committing while txn is open makes our commit fail
		// with badger.ErrConflict instead of forking the chain.
		stored, _, err := readHead(txn, b.l.keys)
		if err != nil {
			return Entry{}, fmt.Errorf("append %s: %w", b.l.name, err)
		}
		if stored != b.base {
			if stored.Seq > 0 {
				last, err := getEntry(txn, b.l.keys, stored.Seq)
				if err != nil {
					return Entry{}, fmt.Errorf("append %s: head entry: %w", b.l.name, err)
				}
				if b.time.Before(last.Time) {
					b.time = last.Time
				}
			}
			b.base, b.head = stored, stored
		}
		b.txn = txn
	} else if txn != b.txn {
		return Entry{}, fmt.Errorf("append %s: batch already bound to another txn", b.l.name)
	}

	e.Seq = b.head.Seq + 1
	e.Time = b.time
	e.PrevHash = b.head.Hash
	e.Payload = payload
	buf, hash := seal(&e)
	e.Hash = hash
	value := withHash(buf, hash)
	next := Head{Seq: e.Seq, Hash: e.Hash}

	if err := txn.Set(b.l.keys.entryKey(e.Seq), value); err != nil {
		// Nothing of this entry was written; the txn still holds a
		// consistent batch, but we keep the rule simple: discard it.
		b.err = err
		return Entry{}, fmt.Errorf("append %s: write entry %d: %w", b.l.name, e.Seq, err)
	}
	if !b.deferHead {
		if err := txn.Set(b.l.keys.head, encodeHead(next)); err != nil {
			b.err = err
			return Entry{}, fmt.Errorf("append %s: write head %d: %w", b.l.name, e.Seq, err)
		}
	}
	b.head = next
	b.n++
	return e, nil
}

// checkNew validates the caller's part of a new entry.
func checkNew(e *Entry) error {
	switch {
	case e.Seq != 0 || !e.Time.IsZero() || e.PrevHash != "" || e.Hash != "":
		return errors.New("seq, time, prev_hash and hash are set by the ledger")
	case !validKind(e.Kind):
		return fmt.Errorf("kind %q: want 1-%d of a-z 0-9 . _ -", e.Kind, MaxKindLen)
	case !printable(e.Subject) || !printable(e.Actor):
		return errors.New("subject and actor must be valid UTF-8 without control characters")
	}
	return nil
}

// printable reports whether s is valid UTF-8 without C0 controls or DEL.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if r := s[i]; r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Commit records that the batch's txn committed: the ledger's in-memory head
// moves to the batch's head unless a later one is already known. Call it only
// after the txn's Commit succeeded. It fails if the batch failed or was
// committed before.
func (l *Ledger) Commit(b *Batch) error {
	if b == nil || b.l != l {
		return fmt.Errorf("commit %s: batch of another ledger", l.name)
	}
	if b.finished || b.err != nil {
		return fmt.Errorf("commit %s: %w", l.name, ErrBatchDone)
	}
	if b.deferHead && b.headAt != b.n {
		b.finished = true
		return fmt.Errorf("commit %s: %w", l.name, ErrHeadNotWritten)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b.finished = true
	if b.n > 0 && b.head.Seq > l.head.Seq {
		l.head, l.headTime = b.head, b.time
	}
	return nil
}
