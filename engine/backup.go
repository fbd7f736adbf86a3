package engine

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/qorovul/qorovul/audit"
)

// Backup writes a consistent snapshot of the whole database to w while the
// store stays in use: every decision, ledger entry, window record, hold,
// token (as its hash) and clearance committed before it began, none after.
// The ledger in it verifies on its own, since its head and its entries
// come from the same snapshot. It returns the bytes written.
//
// The format is a line "QOROVUL-BACKUP 1", Badger's backup stream, and a
// fixed-size trailer with the stream's length and SHA-256, so that Restore
// refuses a file cut short or altered instead of restoring part of it.
func (s *Store) Backup(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	if _, err := io.WriteString(cw, backupMagic); err != nil {
		return cw.n, fmt.Errorf("back up the database: %w", err)
	}
	body := &countingWriter{w: cw, h: sha256.New()}
	st := s.db.NewStream()
	st.NumGo = backupGoroutines
	st.LogPrefix = "backup"
	if _, err := st.Backup(body, 0); err != nil {
		return cw.n, fmt.Errorf("back up the database: %w", err)
	}
	if _, err := fmt.Fprintf(cw, backupTrailer, body.n, body.h.Sum(nil)); err != nil {
		return cw.n, fmt.Errorf("back up the database: %w", err)
	}
	return cw.n, nil
}

// backupGoroutines read the database for a backup. With Badger's default
// of 16, a backup of 200,000 decisions took 2.05 s on an idle instance,
// and a busy one decided 3.1k events a second while it ran instead of
// 19.6k; with one, 1.0-1.1 s idle, and 8.3-9.8k a second instead of
// 20.6-22.7k (BenchmarkBackup; two cores): the one core it takes.
const backupGoroutines = 1

const (
	backupMagic = "QOROVUL-BACKUP 1\n"
	// backupTrailer ends a backup: the length and the SHA-256 of what is
	// between the magic line and it.
	backupTrailer    = "\nQOROVUL-BACKUP-END %016x %x\n"
	backupTrailerLen = len("\nQOROVUL-BACKUP-END ") + 16 + 1 + 64 + 1
)

// countingWriter counts (and with h, hashes) what goes through it.
type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	return n, err
}

// backupReader reads a backup's stream, holding back the trailer, whose
// check says whether what was read is whole.
type backupReader struct {
	r    io.Reader
	buf  []byte // what pend lies in
	pend []byte // read, not yet passed on
	eof  bool
	h    hash.Hash
	n    atomic.Int64 // bytes of the stream passed on
}

func newBackupReader(r io.Reader) (*backupReader, error) {
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != backupMagic {
		return nil, errors.New("not a Qorovul backup (it does not start with " + strings.TrimSpace(backupMagic) + ")")
	}
	return &backupReader{r: r, h: sha256.New()}, nil
}

func (b *backupReader) Read(p []byte) (int, error) {
	for len(b.pend) <= backupTrailerLen && !b.eof {
		if b.buf == nil {
			b.buf = make([]byte, 0, 256<<10)
		}
		// What is pending (at most a trailer's length) moves to the front
		// of the one buffer, and the rest of it is filled.
		b.buf = append(b.buf[:0], b.pend...)
		n, err := b.r.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		b.pend = b.buf
		if errors.Is(err, io.EOF) {
			b.eof = true
		} else if err != nil {
			return 0, err
		}
	}
	free := len(b.pend) - backupTrailerLen
	if free <= 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pend[:free])
	b.h.Write(p[:n])
	b.pend = b.pend[n:]
	b.n.Add(int64(n))
	return n, nil
}

// check reports whether the stream read so far is all of it, unaltered.
func (b *backupReader) check() error {
	if _, err := io.Copy(io.Discard, b); err != nil {
		return err
	}
	want := fmt.Sprintf(backupTrailer, b.n.Load(), b.h.Sum(nil))
	if string(b.pend) != want {
		return errors.New("the backup is incomplete or altered: its end does not match what came before it")
	}
	return nil
}

// Restore makes dir a new data directory holding the backup read from r,
// checks that the audit ledger in it verifies, and returns the ledger's
// head. dir must not exist or be empty. The restore is built beside dir
// and renamed into place only once it verifies, so a failed one leaves
// nothing behind. It logs its progress every five seconds.
func Restore(dir string, r io.Reader, log *slog.Logger) (audit.Head, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return audit.Head{}, &Error{Code: EINVALID, Message: "cannot restore", Fields: []FieldError{{Field: "data-dir", Problem: dir + " is not empty; restore into a new directory"}}}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return audit.Head{}, fmt.Errorf("restore into %s: %w", dir, err)
	}
	tmp := dir + ".restoring"
	if err := os.RemoveAll(tmp); err != nil {
		return audit.Head{}, fmt.Errorf("restore into %s: %w", dir, err)
	}
	head, err := restoreInto(tmp, r, log)
	if err == nil {
		os.Remove(dir) // empty, if it exists
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = syncDir(filepath.Dir(dir)) // the rename, durable
	}
	if err != nil {
		os.RemoveAll(tmp)
		return audit.Head{}, fmt.Errorf("restore into %s: %w", dir, err)
	}
	return head, nil
}

func restoreInto(dir string, r io.Reader, log *slog.Logger) (audit.Head, error) {
	start := time.Now()
	br, err := newBackupReader(r)
	if err != nil {
		return audit.Head{}, err
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				log.Info("restoring", "read_mb", br.n.Load()>>20, "took", time.Since(start).Round(time.Second))
			}
		}
	}()
	store, err := OpenStore(dir, StoreOptions{Logger: log})
	if err == nil {
		err = store.db.Load(br, 256)
		if err == nil {
			err = br.check()
		}
		if cerr := store.Close(); err == nil {
			err = cerr
		}
	}
	close(done)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the backup is incomplete: it ends in the middle of a record")
	}
	if err != nil {
		return audit.Head{}, fmt.Errorf("load the backup: %w", err)
	}
	db, err := OpenDB(dir, StoreOptions{Logger: log})
	if err != nil {
		return audit.Head{}, err
	}
	defer db.Close()
	rep, err := audit.Verify(db, LedgerAudit, nil)
	if err == nil && !rep.OK() {
		err = errors.New(rep.Problem)
	}
	if err != nil {
		return audit.Head{}, fmt.Errorf("the restored audit ledger does not verify: %w", err)
	}
	log.Info("restored", "read_mb", br.n.Load()>>20, "audit_entries", rep.Head.Seq, "took", time.Since(start).Round(time.Millisecond))
	return rep.Head, nil
}
