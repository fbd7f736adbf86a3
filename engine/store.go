package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/qorovul/qorovul/audit"
)

// Key namespaces of the one Badger database. One transaction holds the whole
// effect of a batch of events: decisions, window records, holds and audit
// entries (the audit package keeps its own "a/" namespace).
const (
	// d/<decision id> -> uvarint sequence number of the audit entry that
	// holds the decision: the idempotency record. The decision id derives
	// from the event id, so one key answers both kinds of id.
	prefixDecision  = "d/"
	prefixWindow    = "w/" // w/<8-byte occurred_at ms><event id> -> window record
	prefixHold      = "h/" // h/<hold id> -> hold JSON
	prefixToken     = "k/" // k/<token id> -> token record JSON
	prefixStatus    = "s/" // s/<event id> -> the transaction's status, when not "created"
	prefixEmit      = "x/" // x/<event id>\x00<status> -> a status change not yet published
	prefixClearance = "c/" // c/<list>\x00<entry id>\x00<query key> -> clearance JSON
)

// LedgerAudit is the name of the audit ledger of decisions and officer actions.
const LedgerAudit = "audit"

// StoreOptions tune the database.
type StoreOptions struct {
	// InMemory keeps nothing on disk (for tests of logic that does not
	// care about durability).
	InMemory bool
	// MemTableSize is Badger's memtable size in bytes (DefaultMemTableSize if 0).
	MemTableSize int64
	// JournalFileSize is the size of each of the two journal files
	// (DefaultJournalFileSize if 0).
	JournalFileSize int64
	// MinFreeDisk, when not 0, is the bytes the disk holding the data must
	// keep free: below it OpenStore refuses to open, and an open store
	// refuses new work (Writable) until space is freed. FreeSpace reads
	// the free bytes (engine.FreeSpace if nil), every DiskCheckInterval
	// (DefaultDiskCheckInterval if 0).
	MinFreeDisk       uint64
	FreeSpace         func(dir string) (uint64, error)
	DiskCheckInterval time.Duration
	Logger            *slog.Logger
	Clock             Clock
}

// DefaultMemTableSize keeps Badger's memory modest on a two-core machine.
const DefaultMemTableSize = 32 << 20

// Store is the one Badger database of a Qorovul instance.
type Store struct {
	db      *badger.DB
	journal *journal // nil in memory
	// wmu orders writes: each is committed to Badger and appended to the
	// journal before the next, so a replay applies them in Badger's order.
	wmu sync.Mutex
	// written is the number of the last journaled write committed to
	// Badger (guarded by wmu); see keyJournaled.
	written uint64
	audit   *audit.Ledger
	clock   Clock
	log     *slog.Logger
	tokens  sync.Map // token id -> cachedToken
	// revoked holds the ids of the tokens this instance revoked, which
	// Authenticate refuses whatever its cache holds; tokenMu orders
	// revocations.
	revoked sync.Map // token id -> struct{}
	tokenMu sync.Mutex
	// piped is set while a pipeline writes to the store: the audit chain
	// then has that one writer, and nothing else may append.
	piped atomic.Bool
	disk  *diskGuard // nil without MinFreeDisk
}

// OpenStore opens (creating if needed) the database in dir, replaying the
// journal into it first. A write of the store returns once it is in the
// journal, synced: it survives a crash.
func OpenStore(dir string, o StoreOptions) (*Store, error) {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	guard := o.MinFreeDisk > 0 && !o.InMemory
	if guard {
		if o.FreeSpace == nil {
			o.FreeSpace = FreeSpace
		}
		if o.DiskCheckInterval <= 0 {
			o.DiskCheckInterval = DefaultDiskCheckInterval
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: err}
		}
		// Opening writes (a journal replay, a new memtable): not on a
		// disk without room for them.
		free, err := o.FreeSpace(dir)
		if err != nil {
			return nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: err}
		}
		if free < o.MinFreeDisk {
			return nil, &Error{Code: EUNAVAILABLE, Message: fmt.Sprintf(
				"cannot open the database %s: its disk has %d MB free, under the %d MB it must keep free; free some space (or lower the minimum)",
				dir, free>>20, o.MinFreeDisk>>20)}
		}
	}
	db, j, err := openDB(dir, o)
	if err != nil {
		return nil, err
	}
	l, err := audit.Open(db, LedgerAudit, o.Clock)
	if err != nil {
		db.Close()
		if j != nil {
			j.close()
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	written, err := journaledIn(db)
	if err != nil {
		db.Close()
		if j != nil {
			j.close()
		}
		return nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: err}
	}
	s := &Store{db: db, journal: j, written: written, audit: l, clock: o.Clock, log: o.Logger}
	if guard {
		s.disk = startDiskGuard(dir, o.MinFreeDisk, o.FreeSpace, o.DiskCheckInterval, o.Logger)
	}
	return s, nil
}

// Writable is nil while the store takes new work, or the error to refuse
// it with: an EUNAVAILABLE while its disk has less than MinFreeDisk free.
func (s *Store) Writable() error {
	if s.disk == nil {
		return nil
	}
	return s.disk.err()
}

// DiskFree returns the free bytes of the store's disk at the last check,
// and false if the store does not check them (no MinFreeDisk).
func (s *Store) DiskFree() (uint64, bool) {
	if s.disk == nil {
		return 0, false
	}
	return s.disk.freeNow.Load(), true
}

// keyJournaled holds the number of the last journaled write that Badger
// has. Every write the journal records (a batch, a token, a prune) is
// numbered, one more than the last, and sets this key in the same Badger
// transaction (for a prune, last), so that Badger holds exactly the writes
// up to the number it holds. A replay skips the records Badger has: after
// a crash of the process Badger can hold a write the journal does not
// (committed, not yet appended), and replaying an older one over it would
// set keys that later writes changed back to older values — the audit head
// behind its entries, a status back to an earlier one.
const keyJournaled = "j/written"

// journaledIn returns the number in db's keyJournaled (0 if none).
func journaledIn(db *badger.DB) (uint64, error) {
	var n uint64
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyJournaled))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("corrupt %s record", keyJournaled)
			}
			n = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", keyJournaled, err)
	}
	return n, nil
}

// journaledNumber returns the number a journal record gives keyJournaled
// (0 if it sets none: a record of a version that did not number them).
func journaledNumber(rec []byte) (n uint64, err error) {
	err = journalOps(rec, func(k, v []byte) error {
		if string(k) == keyJournaled && len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	}, func([]byte) error { return nil })
	return n, err
}

// OpenDB opens the Badger database in dir, replaying the journal into it,
// without loading anything from it: the audit tools use it to read a ledger
// that may be broken. Nothing written to it is journaled; closing it makes
// what it holds durable.
func OpenDB(dir string, o StoreOptions) (*badger.DB, error) {
	db, j, err := openDB(dir, o)
	if err != nil {
		return nil, err
	}
	if j != nil {
		if err := j.close(); err != nil {
			db.Close()
			return nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: err}
		}
	}
	return db, nil
}

// openDB opens Badger in dir and the journal beside it, and replays the
// journal into Badger.
func openDB(dir string, o StoreOptions) (*badger.DB, *journal, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := openBadger(dir, o)
	if err != nil || o.InMemory {
		return db, nil, err
	}
	fail := func(err error) (*badger.DB, *journal, error) {
		db.Close()
		return nil, nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: err}
	}
	if o.JournalFileSize == 0 {
		o.JournalFileSize = DefaultJournalFileSize
	}
	j, replay, err := openJournal(dir, o.JournalFileSize, func() error { return checkpoint(dir) })
	if err != nil {
		return fail(err)
	}
	if len(replay) > 0 {
		start := time.Now()
		if err := applyJournal(db, replay); err != nil {
			j.close()
			return fail(fmt.Errorf("replay journal: %w", err))
		}
		if err := checkpoint(dir); err != nil {
			j.close()
			return fail(fmt.Errorf("replay journal: %w", err))
		}
		o.Logger.Info("journal replayed", "batches", len(replay), "took", time.Since(start).Round(time.Millisecond))
	}
	if err := j.start(); err != nil {
		j.close()
		return fail(err)
	}
	return db, j, nil
}

// applyJournal writes into db, in order, the journal's batches that db
// does not have yet (see keyJournaled).
func applyJournal(db *badger.DB, batches [][]byte) error {
	have, err := journaledIn(db)
	if err != nil {
		return err
	}
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	for _, b := range batches {
		n, err := journaledNumber(b)
		if err != nil {
			return err
		}
		if n != 0 && n <= have {
			continue // Badger has it, and maybe later writes over it
		}
		// WriteBatch keeps the slices until it flushes; the journal's
		// buffers are not reused.
		if err := journalOps(b, wb.Set, wb.Delete); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// checkpoint makes every write committed to Badger in dir so far durable:
// it fsyncs the logs of the memtables (the active one and those not yet
// flushed to tables; Badger syncs its tables and manifest as it writes
// them) and of the values, then the directory. It does not call Badger's
// Sync, which holds the lock Badger's writer needs for as long as the sync
// takes, and so would stall every commit meanwhile.
func checkpoint(dir string) error {
	var logs []string
	for _, pattern := range []string{"*.mem", "*.vlog"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		logs = append(logs, m...)
	}
	for _, name := range logs {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // flushed to a table and removed meanwhile
		} else if err != nil {
			return err
		}
		err = f.Sync()
		if err = errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("sync %s: %w", name, err)
		}
	}
	return syncDir(dir)
}

// openBadger opens the Badger database in dir with the store's options.
func openBadger(dir string, o StoreOptions) (*badger.DB, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	bo := badger.DefaultOptions(dir).
		// The journal makes commits durable (journal.go).
		WithSyncWrites(false).
		WithInMemory(o.InMemory).
		WithMemTableSize(o.MemTableSize).
		WithNumVersionsToKeep(1).
		// Blocks of 16 KB instead of 4: a memtable flush builds a quarter
		// as many, each compressed, checksummed and indexed (about 3 µs
		// of CPU per event less in BenchmarkPipelineOverhead). Lookups
		// miss through the bloom filters; the ledger is read in order.
		WithBlockSize(16 << 10).
		// A first level of 128 MB and tables of 8 MB instead of Badger's
		// 10 MB and 2 MB: its default first level is smaller than one
		// flushed 32 MB memtable, so every flush cascaded down the levels.
		// Over 400,000 events the pipeline ran 8-18% faster (three
		// alternating pairs of BenchmarkPipeline; BENCHMARKS.md); short
		// runs, which never compact, did not move.
		WithBaseLevelSize(128 << 20).
		WithBaseTableSize(8 << 20).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithNumCompactors(2).
		// Badger's own counters (expvar) cost a few atomic map updates
		// per read and write, and nothing reads them.
		WithMetricsEnabled(false).
		WithLogger(badgerLogger{o.Logger})
	if o.InMemory {
		bo.Dir, bo.ValueDir = "", ""
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Message: "cannot open the database " + dir, Err: fmt.Errorf("open badger %s: %w", dir, err)}
	}
	return db, nil
}

// Close closes the database cleanly: Badger's close makes everything
// durable, and the journal is left with nothing to replay.
func (s *Store) Close() error {
	if s.disk != nil {
		s.disk.close()
	}
	if err := s.db.Close(); err != nil {
		if s.journal != nil {
			s.journal.close()
		}
		return fmt.Errorf("close badger: %w", err)
	}
	if s.journal == nil {
		return nil
	}
	if err := errors.Join(s.journal.finish(), s.journal.close()); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}

// commit commits txn and makes its writes durable: it returns once they
// are in the journal, synced.
func (s *Store) commit(txn *journaledTxn) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.journal == nil {
		return txn.Commit()
	}
	n := s.written + 1
	if err := txn.Set([]byte(keyJournaled), binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return err
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	s.written = n
	return s.journal.append(txn.rec)
}

// journaledTxn is a read-write transaction whose writes are also encoded
// for the journal.
type journaledTxn struct {
	*badger.Txn
	rec []byte // a journal record (newRecord)
}

// newTxn starts a read-write transaction whose journal record is built in
// buf (reused; nil for a new one).
func (s *Store) newTxn(buf []byte) *journaledTxn {
	return &journaledTxn{Txn: s.db.NewTransaction(true), rec: newRecord(buf)}
}

// Set writes key in the transaction and records it for the journal.
func (t *journaledTxn) Set(key, value []byte) error {
	if err := t.Txn.Set(key, value); err != nil {
		return err
	}
	t.rec = appendSet(t.rec, key, value)
	return nil
}

// Delete deletes key in the transaction and records it for the journal.
func (t *journaledTxn) Delete(key []byte) error {
	if err := t.Txn.Delete(key); err != nil {
		return err
	}
	t.rec = appendDelete(t.rec, key)
	return nil
}

// DB returns the underlying database, for the audit and consent tools.
func (s *Store) DB() *badger.DB { return s.db }

// AuditHead returns the audit ledger's committed head.
func (s *Store) AuditHead() audit.Head { return s.audit.Head() }

// Decision returns the stored decision of an event id or a decision id.
func (s *Store) Decision(id string) (Decision, error) {
	var d Decision
	err := s.db.View(func(txn *badger.Txn) error {
		var stored []byte
		var err error
		if strings.HasPrefix(id, "dec_") {
			stored, _, err = s.decisionIn(txn, id)
		}
		if stored == nil && err == nil {
			stored, _, err = s.decisionIn(txn, DecisionID(id))
		}
		if err != nil {
			return err
		}
		if stored == nil {
			return badger.ErrKeyNotFound
		}
		return json.Unmarshal(stored, &d)
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return d, Errorf(ENOTFOUND, "no decision for %q", id)
	} else if err != nil {
		return d, fmt.Errorf("read decision: %w", err)
	}
	return d, nil
}

// decisionIn returns the decision JSON of a decision id (nil if none) as
// the snapshot of txn sees it.
func (s *Store) decisionIn(txn *badger.Txn, decisionID string) ([]byte, paymentPrint, error) {
	item, err := txn.Get([]byte(prefixDecision + decisionID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, paymentPrint{}, nil
	} else if err != nil {
		return nil, paymentPrint{}, err
	}
	// The value is the decision's audit sequence number, then (in stores
	// written since the print was added) the payment's print.
	var (
		seq uint64
		fp  paymentPrint
	)
	err = item.Value(func(v []byte) error {
		n, k := binary.Uvarint(v)
		if k <= 0 || n == 0 || (len(v) != k && len(v) != k+printLen) {
			return fmt.Errorf("corrupt decision record %q", item.Key())
		}
		seq = n
		if len(v) == k+printLen {
			fp = decodePrint(v[k:])
		}
		return nil
	})
	if err != nil {
		return nil, paymentPrint{}, err
	}
	e, err := s.audit.Entry(txn, seq)
	if err != nil {
		return nil, paymentPrint{}, fmt.Errorf("decision %s: %w", decisionID, err)
	}
	if e.Kind != entryDecision {
		return nil, paymentPrint{}, fmt.Errorf("decision %s: audit entry %d is a %q entry", decisionID, seq, e.Kind)
	}
	return e.Payload, fp, nil
}

// lookup returns the stored decision JSON of an event id (nil if none) and
// the transaction's current status.
func (s *Store) lookup(eventID string) (dec []byte, status string, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		dec, _, status, err = s.lookupIn(txn, eventID, DecisionID(eventID))
		return err
	})
	return dec, status, err
}

// lookupIn is lookup in the snapshot of txn; decisionID is the event's.
// fp is the stored payment print (zero in older stores).
func (s *Store) lookupIn(txn *badger.Txn, eventID, decisionID string) (dec []byte, fp paymentPrint, status string, err error) {
	dec, fp, err = s.decisionIn(txn, decisionID)
	if dec == nil || err != nil {
		return nil, paymentPrint{}, "", err
	}
	item, err := txn.Get([]byte(prefixStatus + eventID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return dec, fp, StatusCreated, nil
	} else if err != nil {
		return nil, paymentPrint{}, "", err
	}
	v, err := item.ValueCopy(nil)
	return dec, fp, string(v), err
}

func emitKey(eventID, status string) []byte {
	return []byte(prefixEmit + eventID + "\x00" + status)
}

// unpublishedIn returns the change to status of eventID if it is not yet
// published, or nil, as the snapshot of txn sees it.
func unpublishedIn(txn *badger.Txn, eventID, status string) (*StatusChange, error) {
	item, err := txn.Get(emitKey(eventID, status))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ch := new(StatusChange)
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, ch) }); err != nil {
		return nil, err
	}
	return ch, nil
}

// Status returns the current status of a decided transaction.
func (s *Store) Status(eventID string) (string, error) {
	dec, status, err := s.lookup(eventID)
	if err != nil {
		return "", fmt.Errorf("read status: %w", err)
	}
	if dec == nil {
		return "", Errorf(ENOTFOUND, "no decision for %q", eventID)
	}
	return status, nil
}

// LoadClearances puts every stored sanctions clearance into s.
func (st *Store) LoadClearances(s *Screening) (int, error) {
	n := 0
	err := st.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixClearance)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var c Clearance
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &c) }); err != nil {
				return fmt.Errorf("clearance %q: %w", it.Item().Key(), err)
			}
			s.clear(c)
			n++
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("load clearances: %w", err)
	}
	return n, nil
}

// windowKey is w/<occurred_at ms, big-endian><event id>, so that a scan
// visits window records in event-time order.
func windowKey(at int64, eventID string) []byte {
	k := make([]byte, 0, len(prefixWindow)+8+len(eventID))
	k = append(k, prefixWindow...)
	k = binary.BigEndian.AppendUint64(k, uint64(at))
	return append(k, eventID...)
}

// encodeWindow encodes what the windows need of an event.
func encodeWindow(e *WindowEvent) []byte {
	b := make([]byte, 0, 16+len(e.PayerID)+len(e.MSISDN)+len(e.Token))
	for _, s := range []string{e.PayerID, e.MSISDN, e.Token} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return binary.AppendVarint(b, e.MicroUSD)
}

// decodeWindow decodes a window record into what the windows keep of it:
// the ids hashed (by w's seed) and the amount.
func decodeWindow(w *Windows, b []byte) (payer, number, token uint64, usd int64, err error) {
	var ids [3]uint64
	for i := range ids {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return 0, 0, 0, 0, errCorruptWindow
		}
		ids[i] = w.hashBytes(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	usd, k := binary.Varint(b)
	if k <= 0 {
		return 0, 0, 0, 0, errCorruptWindow
	}
	return ids[0], ids[1], ids[2], usd, nil
}

var errCorruptWindow = errors.New("corrupt window record")

// loadProgressEvery is how often LoadWindows logs its progress.
const loadProgressEvery = 5 * time.Second

// loadChunk is how many window records LoadWindows reads before it hands
// them to be added: one goroutine reads the next chunk while another adds
// the last.
const loadChunk = 1 << 15

// LoadWindows rebuilds w from the window records of the last Retention of
// event time before the newest record. It returns how many it applied. A
// long rebuild (a week of a busy service's events, which serve waits for
// before it answers) logs its progress every few seconds. Nothing else may
// use w meanwhile.
func (s *Store) LoadWindows(w *Windows) (int, error) {
	n := 0
	start := s.clock.Now()
	next := start.Add(loadProgressEvery)
	err := s.db.View(func(txn *badger.Txn) error {
		// Values are read in place below: prefetching copies each one on
		// a goroutine of its own, which made the rebuild take 40% longer.
		opt := prefixOptions(prefixWindow)
		opt.Reverse = true
		it := txn.NewIterator(opt)
		it.Seek(append([]byte(prefixWindow), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if !it.Valid() {
			it.Close()
			return nil
		}
		newest := int64(binary.BigEndian.Uint64(it.Item().Key()[len(prefixWindow):]))
		it.Close()
		opt.Reverse = false
		it = txn.NewIterator(opt)
		defer it.Close()

		// Records are read (and their ids hashed) here and added on
		// another goroutine, a chunk at a time, in the order read.
		full := make(chan []loadRecord, 1)
		free := make(chan []loadRecord, 2)
		free <- make([]loadRecord, 0, loadChunk)
		free <- make([]loadRecord, 0, loadChunk)
		added := make(chan struct{})
		go func() {
			defer close(added)
			for recs := range full {
				w.load(recs)
				free <- recs[:0]
			}
		}()
		recs := <-free
		high := w.High()
		var err error
		from := windowKey(newest-window7d, "")
		for it.Seek(from); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			at := int64(binary.BigEndian.Uint64(k[len(prefixWindow):]))
			high = max(high, at)
			r := loadRecord{at: at, cutoff: high - window7d}
			err = item.Value(func(v []byte) error {
				var err error
				r.payer, r.number, r.token, r.usd, err = decodeWindow(w, v)
				return err
			})
			if err != nil {
				err = fmt.Errorf("key %q: %w", k, err)
				break
			}
			if recs = append(recs, r); len(recs) == loadChunk {
				full <- recs
				recs = <-free
			}
			if n++; n%(1<<16) == 0 {
				if now := s.clock.Now(); !now.Before(next) {
					s.log.Info("rebuilding window state", "records", n, "event_time", time.UnixMilli(at).UTC(),
						"newest_event_time", time.UnixMilli(newest).UTC(), "elapsed", now.Sub(start).Round(time.Millisecond))
					next = now.Add(loadProgressEvery)
				}
			}
		}
		if err == nil {
			full <- recs
		}
		close(full)
		<-added
		return err
	})
	if err != nil {
		return n, fmt.Errorf("load windows: %w", err)
	}
	return n, nil
}

// prefixOptions iterates the keys under prefix without prefetching their
// values: a scan that reads only keys, or reads values in place.
func prefixOptions(prefix string) badger.IteratorOptions {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = []byte(prefix)
	opt.PrefetchValues = false
	return opt
}

// PruneWindows deletes window records older than Retention (plus a day of
// slack) before the newest event time high, at most limit of them.
func (s *Store) PruneWindows(high int64, limit int) (int, error) {
	cutoff := windowKey(high-window7d-int64(24*time.Hour/time.Millisecond), "")
	var keys [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(prefixOptions(prefixWindow))
		defer it.Close()
		for it.Rewind(); it.Valid() && len(keys) < limit; it.Next() {
			k := it.Item().KeyCopy(nil)
			if string(k) >= string(cutoff) {
				break
			}
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	rec := newRecord(nil)
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return 0, fmt.Errorf("prune windows: %w", err)
		}
		rec = appendDelete(rec, k)
	}
	n := s.written + 1
	if s.journal != nil {
		// Last, so that Badger has the number only with every delete.
		v := binary.BigEndian.AppendUint64(nil, n)
		if err := wb.Set([]byte(keyJournaled), v); err != nil {
			return 0, fmt.Errorf("prune windows: %w", err)
		}
		rec = appendSet(rec, []byte(keyJournaled), v)
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("prune windows: %w", err)
	}
	s.written = n
	// Journaled too, or a replay after a crash would bring the records
	// back.
	if s.journal != nil {
		if err := s.journal.append(rec); err != nil {
			return 0, fmt.Errorf("prune windows: %w", err)
		}
	}
	return len(keys), nil
}

// badgerLogger sends Badger's log to slog: errors and warnings only.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}
