package audit

import (
	"bufio"
	"crypto/ed25519"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Export formats.
const (
	FormatJSONL = "jsonl" // one stored entry per line; the default
	FormatCSV   = "csv"   // header row, then one row per entry
)

// csvHeader is the first record of a CSV export.
var csvHeader = [...]string{"seq", "time", "kind", "subject", "actor", "payload", "prev_hash", "hash"}

// csvCheckpointTag is the seq cell of a CSV export's checkpoint row.
const csvCheckpointTag = "checkpoint"

// ExportOptions selects what Export writes.
type ExportOptions struct {
	Format string    // FormatJSONL (default) or FormatCSV
	From   time.Time // entries at or after From (to the µs); zero for no lower bound
	To     time.Time // entries before To (to the µs); zero for no upper bound
	// Signer, if set, makes the export end with a checkpoint signed by it.
	Signer ed25519.PrivateKey
	// Clock gives the checkpoint's time; required with Signer.
	Clock Clock
}

// Export streams the entries of the ledger name in db to w, oldest first, in
// one consistent snapshot, holding one entry in memory at a time. Each
// exported entry is checked on the way (canonical form, hash, link to the
// entry before it, times in order): a broken chain stops the export with an
// error wrapping ErrBroken and no checkpoint is written, so a signature never
// vouches for entries that do not verify. n counts the entries written.
func Export(db *badger.DB, name string, w io.Writer, opt ExportOptions) (n uint64, err error) {
	keys, err := newKeyspace(name)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	switch {
	case opt.Format == "":
		opt.Format = FormatJSONL
	case opt.Format != FormatJSONL && opt.Format != FormatCSV:
		return 0, fmt.Errorf("export %s: format %q: want %q or %q", name, opt.Format, FormatJSONL, FormatCSV)
	}
	if opt.Signer != nil && (len(opt.Signer) != ed25519.PrivateKeySize || opt.Clock == nil) {
		return 0, fmt.Errorf("export %s: a signer needs a valid Ed25519 key and a clock", name)
	}
	// Entry times have microsecond precision; so do the bounds.
	opt.From = opt.From.UTC().Truncate(time.Microsecond)
	opt.To = opt.To.UTC().Truncate(time.Microsecond)
	if !opt.From.IsZero() && !opt.To.IsZero() && !opt.From.Before(opt.To) {
		return 0, fmt.Errorf("export %s: from %s is not before to %s", name, opt.From.Format(time.RFC3339), opt.To.Format(time.RFC3339))
	}

	txn := db.NewTransaction(false)
	defer txn.Discard()
	head, ok, err := readHead(txn, keys)
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", name, err)
	}
	if !ok {
		if seq, found, err := firstEntry(txn, keys); err != nil {
			return 0, fmt.Errorf("export %s: %w", name, err)
		} else if found {
			return 0, fmt.Errorf("export %s: %w: head key missing but entry %d exists", name, ErrBroken, seq)
		}
	}
	start := uint64(1)
	if !opt.From.IsZero() && head.Seq > 0 {
		if start, err = searchTime(txn, keys, head.Seq, opt.From); err != nil {
			return 0, fmt.Errorf("export %s: %w", name, err)
		}
	}
	x := exporter{name: name, keys: keys, opt: opt, prevHash: ZeroHash}
	if start > 1 && start <= head.Seq {
		prev, err := getEntry(txn, keys, start-1)
		if err != nil {
			return 0, fmt.Errorf("export %s: %w", name, err)
		}
		x.prevHash, x.prevTime = prev.Hash, prev.Time
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	if opt.Format == FormatCSV {
		x.csv = csv.NewWriter(bw)
		if err := x.csv.Write(csvHeader[:]); err != nil {
			return 0, fmt.Errorf("export %s: %w", name, err)
		}
	}
	x.bw = bw
	if err := x.run(txn, start, head); err != nil {
		return x.n, err
	}
	if opt.Signer != nil {
		if err := x.writeCheckpoint(); err != nil {
			return x.n, err
		}
	}
	if x.csv != nil {
		x.csv.Flush()
		if err := x.csv.Error(); err != nil {
			return x.n, fmt.Errorf("export %s: %w", name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return x.n, fmt.Errorf("export %s: %w", name, err)
	}
	return x.n, nil
}

// exporter holds the state of one Export.
type exporter struct {
	name     string
	keys     keyspace
	opt      ExportOptions
	bw       *bufio.Writer
	csv      *csv.Writer
	row      [len(csvHeader)]string
	n        uint64
	first    uint64
	last     Head
	prevHash string
	prevTime time.Time
}

// run writes entries start… up to the head or the To bound.
func (x *exporter) run(txn *badger.Txn, start uint64, head Head) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = x.keys.entries
	opt.PrefetchSize = 256
	it := txn.NewIterator(opt)
	defer it.Close()

	next := start
	for it.Seek(x.keys.entryKey(start)); it.Valid() && next <= head.Seq; it.Next() {
		item := it.Item()
		seq, ok := x.keys.seqOf(item.Key())
		if !ok || seq != next {
			return fmt.Errorf("export %s: %w: entry %d missing", x.name, ErrBroken, next)
		}
		stop := false
		err := item.Value(func(v []byte) error {
			e, err := decodeStored(v)
			switch {
			case err != nil:
				return fmt.Errorf("%w: entry %d: %v", ErrBroken, seq, err)
			case e.Seq != seq:
				return fmt.Errorf("%w: entry %d holds seq %d", ErrBroken, seq, e.Seq)
			case e.PrevHash != x.prevHash:
				return fmt.Errorf("%w: entry %d prev_hash does not link to entry %d", ErrBroken, seq, seq-1)
			case e.Time.Before(x.prevTime):
				return fmt.Errorf("%w: entry %d time is before entry %d's", ErrBroken, seq, seq-1)
			}
			x.prevHash, x.prevTime = e.Hash, e.Time
			if !x.opt.To.IsZero() && !e.Time.Before(x.opt.To) {
				stop = true
				return nil
			}
			return x.write(v, &e)
		})
		if err != nil {
			return fmt.Errorf("export %s: %w", x.name, err)
		}
		if stop {
			return nil
		}
		next++
	}
	if next <= head.Seq {
		return fmt.Errorf("export %s: %w: entry %d missing (head is at %d)", x.name, ErrBroken, next, head.Seq)
	}
	return nil
}

// write outputs one entry; v is its stored (canonical) value.
func (x *exporter) write(v []byte, e *Entry) error {
	if x.csv != nil {
		x.row[0] = strconv.FormatUint(e.Seq, 10)
		x.row[1] = e.Time.Format(TimeLayout)
		x.row[2] = csvEscape(e.Kind)
		x.row[3] = csvEscape(e.Subject)
		x.row[4] = csvEscape(e.Actor)
		x.row[5] = csvEscape(string(e.Payload))
		x.row[6] = e.PrevHash
		x.row[7] = e.Hash
		if err := x.csv.Write(x.row[:]); err != nil {
			return err
		}
	} else {
		x.bw.Write(v)
		if err := x.bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	if x.n == 0 {
		x.first = e.Seq
	}
	x.n++
	x.last = Head{Seq: e.Seq, Hash: e.Hash}
	return nil
}

// writeCheckpoint signs and writes the checkpoint of what was exported.
func (x *exporter) writeCheckpoint() error {
	c := Checkpoint{
		Ledger:   x.name,
		FirstSeq: x.first,
		Seq:      x.last.Seq,
		Hash:     x.last.Hash,
		Entries:  x.n,
		From:     x.opt.From,
		To:       x.opt.To,
		Time:     x.opt.Clock.Now().UTC().Truncate(time.Microsecond),
	}
	if x.n == 0 {
		c.Hash = ZeroHash
	}
	body, sig := c.sign(x.opt.Signer)
	var err error
	if x.csv != nil {
		err = x.csv.Write([]string{csvCheckpointTag, "", "", "", "", string(body), "", csvEscape(sig)})
	} else {
		x.bw.Write(checkpointLine(body, sig))
		err = x.bw.WriteByte('\n')
	}
	if err != nil {
		return fmt.Errorf("export %s: write checkpoint: %w", x.name, err)
	}
	return nil
}

// searchTime returns the lowest seq in 1..head whose time is at or after t,
// or head+1 if none is. Entry times never decrease along a chain.
func searchTime(txn *badger.Txn, keys keyspace, head uint64, t time.Time) (uint64, error) {
	lo, hi := uint64(1), head+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		e, err := getEntry(txn, keys, mid)
		if err != nil {
			return 0, fmt.Errorf("find from time: %w", err)
		}
		if e.Time.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// csvEscape defuses spreadsheet formulas: a cell starting with = + - @ ' TAB
// or CR gets a leading apostrophe. csvUnescape reverses it.
func csvEscape(s string) string {
	if s != "" && isCSVTrigger(s[0]) {
		return "'" + s
	}
	return s
}

func csvUnescape(s string) (string, error) {
	if s == "" || !isCSVTrigger(s[0]) {
		return s, nil
	}
	if s[0] != '\'' || len(s) < 2 || !isCSVTrigger(s[1]) {
		return "", errors.New("cell starts with a formula character but is not escaped")
	}
	return s[1:], nil
}

func isCSVTrigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\'', '\t', '\r':
		return true
	}
	return false
}
