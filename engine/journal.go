package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// The journal is the store's write-ahead log: the point at which a
// committed batch is durable. Badger itself runs without synced writes; a
// synced Badger commit costs two msyncs (its value log, even when empty, and
// its memory-mapped memtable log, a sparse file whose blocks are allocated
// as it grows) where the journal costs one fdatasync of a write into blocks
// that are already allocated (BENCHMARKS.md).
//
// A batch is first committed to Badger, so that a transaction Badger refuses
// never reaches the journal; then its writes are appended to the journal and
// synced; only then are its callers answered. After a crash of the machine
// (a crash of the process loses nothing, as the page cache survives it),
// Badger may miss the latest batches, and not necessarily only the latest:
// opening the store replays the journal into Badger, in order. Each record
// is numbered, and Badger holds the number of the last one it has (written
// with it, keyJournaled in store.go), so the replay skips what Badger has:
// after a crash of the process Badger can be ahead of the journal (a batch
// committed, its append not done), and an older batch replayed over a newer
// one would set the keys both wrote back to the older values.
//
// There are two journal files, each with a header holding its epoch. One
// takes the appends. When it is full, appends move to the other (empty)
// file, and in the background the full one is checkpointed: Badger's logs
// and directory are synced, which makes everything the file holds durable
// in Badger, and the file is reset to a new epoch and no records. Replay
// reads both files in epoch order: the full one may not have been
// checkpointed yet. A record carries its file's epoch under its checksum, so
// the stale records a reset file still holds are never replayed; replay of a
// file stops at the first record that is torn, stale or missing.
//
// A file grows by zero-filled, synced chunks as records reach its end, and
// is reused after a reset, so an append never changes its size or its
// blocks and fdatasync has only the data to write.

const (
	journalHeaderSize = 4096
	journalRecordHead = 16 // length u32, epoch u64, crc32c u32
	journalMagic      = "QRVLJNL1"
	journalChunk      = 1 << 20
	// DefaultJournalFileSize is the size of each of the two journal files.
	DefaultJournalFileSize = 32 << 20
)

// Journal record operations.
const (
	opSet    = 1
	opDelete = 2
)

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// journal appends batches of writes to two files in turn.
type journal struct {
	mu      sync.Mutex
	files   [2]*journalFile
	cur     int
	maxSize int64
	next    uint64 // the epoch the next reset gives
	// checkpoint makes every write committed to Badger so far durable.
	checkpoint func() error
	// ckpt is non-nil while the other file is being checkpointed; it
	// receives the checkpoint's outcome.
	ckpt chan error
	// err is the first failure to write, sync or checkpoint: after it
	// the files may not hold what was appended (a failed fsync can drop
	// the data it could not write), so nothing more is appended.
	err error
	// syncFile is fdatasync (tests stall it to watch what waits for it).
	syncFile func(*os.File) error
}

// journalFile is one of the two files.
type journalFile struct {
	f     *os.File
	epoch uint64
	off   int64  // where the next record goes
	size  int64  // zero-filled (or written) and synced
	zero  []byte // a chunk of zeros for grow, made once
}

// openJournal opens (creating if needed) the journal files in dir and
// returns the journal and the payloads to replay, oldest first. The caller
// applies them to Badger and then calls start.
func openJournal(dir string, maxSize int64, checkpoint func() error) (*journal, [][]byte, error) {
	if maxSize < journalHeaderSize+journalChunk {
		maxSize = journalHeaderSize + journalChunk
	}
	j := &journal{maxSize: maxSize, checkpoint: checkpoint, syncFile: fdatasync}
	var replay [2][][]byte
	for i := range j.files {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("journal.%d", i)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			j.close()
			return nil, nil, fmt.Errorf("open journal: %w", err)
		}
		jf := &journalFile{f: f}
		j.files[i] = jf
		if replay[i], err = jf.read(); err != nil {
			j.close()
			return nil, nil, fmt.Errorf("read journal %s: %w", f.Name(), err)
		}
		j.next = max(j.next, jf.epoch+1)
	}
	if err := syncDir(dir); err != nil {
		j.close()
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	first := 0
	if j.files[1].epoch < j.files[0].epoch {
		first = 1
	}
	return j, append(replay[first], replay[1-first]...), nil
}

// read reads the header and the records of the current epoch. A missing or
// torn header means no records: a header is only written when the file's
// records are all durable in Badger.
func (jf *journalFile) read() ([][]byte, error) {
	st, err := jf.f.Stat()
	if err != nil {
		return nil, err
	}
	jf.size = st.Size()
	jf.off = journalHeaderSize
	var hdr [journalHeaderSize]byte
	if _, err := jf.f.ReadAt(hdr[:], 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	epoch, ok := decodeJournalHeader(hdr[:])
	if !ok {
		return nil, nil
	}
	jf.epoch = epoch
	// The whole file: it may have been written with a larger size.
	if jf.size <= journalHeaderSize {
		return nil, nil
	}
	data := make([]byte, jf.size-journalHeaderSize)
	if _, err := jf.f.ReadAt(data, journalHeaderSize); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	recs, n := scanJournal(data, epoch)
	jf.off += int64(n)
	return recs, nil
}

func encodeJournalHeader(epoch uint64) []byte {
	b := make([]byte, journalHeaderSize)
	copy(b, journalMagic)
	binary.LittleEndian.PutUint64(b[8:], epoch)
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], journalCRC))
	return b
}

func decodeJournalHeader(b []byte) (uint64, bool) {
	if len(b) < 20 || string(b[:8]) != journalMagic || binary.LittleEndian.Uint32(b[16:]) != crc32.Checksum(b[:16], journalCRC) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:]), true
}

// scanJournal returns the payloads of the records of epoch at the start of
// data, up to the first record that is not one, and the bytes they take.
func scanJournal(data []byte, epoch uint64) ([][]byte, int) {
	var recs [][]byte
	off := 0
	for len(data)-off >= journalRecordHead {
		h := data[off : off+journalRecordHead]
		n := int(binary.LittleEndian.Uint32(h))
		if n == 0 || n > len(data)-off-journalRecordHead || binary.LittleEndian.Uint64(h[4:]) != epoch {
			break
		}
		payload := data[off+journalRecordHead : off+journalRecordHead+n]
		crc := crc32.Update(crc32.Checksum(h[:12], journalCRC), journalCRC, payload)
		if binary.LittleEndian.Uint32(h[12:]) != crc {
			break
		}
		recs = append(recs, payload)
		off += journalRecordHead + n
	}
	return recs, off
}

// start resets both files once the replayed records are durable in Badger;
// appends go to the first.
func (j *journal) start() error {
	for _, jf := range j.files {
		if err := jf.reset(j.next); err != nil {
			return err
		}
		j.next++
	}
	j.cur = 0
	return nil
}

// reset makes the file empty under a new epoch.
func (jf *journalFile) reset(epoch uint64) error {
	if err := jf.grow(journalHeaderSize); err != nil {
		return err
	}
	if _, err := jf.f.WriteAt(encodeJournalHeader(epoch), 0); err != nil {
		return fmt.Errorf("reset journal: %w", err)
	}
	if err := fdatasync(jf.f); err != nil {
		return fmt.Errorf("reset journal: %w", err)
	}
	jf.epoch, jf.off = epoch, journalHeaderSize
	return nil
}

// grow zero-fills the file up to at least end, by whole chunks, and syncs
// its new size, so that later writes below end change no metadata.
func (jf *journalFile) grow(end int64) error {
	if end <= jf.size {
		return nil
	}
	to := (end + journalChunk - 1) / journalChunk * journalChunk
	if jf.zero == nil {
		jf.zero = make([]byte, journalChunk)
	}
	for off := jf.size; off < to; off += journalChunk {
		if _, err := jf.f.WriteAt(jf.zero[:min(journalChunk, to-off)], off); err != nil {
			return fmt.Errorf("grow journal: %w", err)
		}
	}
	if err := jf.f.Sync(); err != nil {
		return fmt.Errorf("grow journal: %w", err)
	}
	jf.size = to
	return nil
}

// newRecord starts a journal record in buf: room for the record's head,
// to which appendSet and appendDelete add one batch's writes.
func newRecord(buf []byte) []byte {
	return append(buf[:0], make([]byte, journalRecordHead)...)
}

// append makes rec (from newRecord) durable, filling in its head. A batch
// too big for an empty file is made durable by a checkpoint instead.
func (j *journal) append(rec []byte) error {
	if len(rec) <= journalRecordHead {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	need := int64(len(rec))
	if need > j.maxSize-journalHeaderSize {
		if err := j.checkpoint(); err != nil {
			j.err = fmt.Errorf("checkpoint journal: %w", err)
		}
		return j.err
	}
	jf := j.files[j.cur]
	if jf.off+need > j.maxSize {
		if err := j.rotate(); err != nil {
			return err
		}
		jf = j.files[j.cur]
	}
	if err := jf.grow(jf.off + need); err != nil {
		j.err = err
		return err
	}
	binary.LittleEndian.PutUint32(rec, uint32(len(rec)-journalRecordHead))
	binary.LittleEndian.PutUint64(rec[4:], jf.epoch)
	crc := crc32.Update(crc32.Checksum(rec[:12], journalCRC), journalCRC, rec[journalRecordHead:])
	binary.LittleEndian.PutUint32(rec[12:], crc)
	if _, err := jf.f.WriteAt(rec, jf.off); err != nil {
		j.err = fmt.Errorf("append to journal: %w", err)
		return j.err
	}
	if err := j.syncFile(jf.f); err != nil {
		j.err = fmt.Errorf("sync journal: %w", err)
		return j.err
	}
	jf.off += need
	return nil
}

// rotate moves appends to the other file, which the last checkpoint left
// empty, and checkpoints the full one in the background.
func (j *journal) rotate() error {
	if err := j.waitCheckpoint(); err != nil {
		return err
	}
	full := j.files[j.cur]
	j.cur = 1 - j.cur
	epoch := j.next
	j.next++
	done := make(chan error, 1)
	j.ckpt = done
	go func() {
		err := j.checkpoint()
		if err == nil {
			err = full.reset(epoch)
		}
		done <- err
	}()
	return nil
}

// waitCheckpoint waits for the background checkpoint, if one runs.
func (j *journal) waitCheckpoint() error {
	if j.ckpt == nil {
		return nil
	}
	err := <-j.ckpt
	j.ckpt = nil
	if err != nil {
		j.err = fmt.Errorf("checkpoint journal: %w", err)
	}
	return j.err
}

// finish is called after a clean close of Badger, which flushes its
// memtables to synced tables: once a last checkpoint has synced what is
// left of its logs and its directory, nothing needs replaying.
func (j *journal) finish() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.waitCheckpoint(); err != nil {
		return err
	}
	if err := j.checkpoint(); err != nil {
		return fmt.Errorf("checkpoint journal: %w", err)
	}
	return j.start()
}

// close closes the files (after waiting for a checkpoint in progress).
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var err error
	if j.ckpt != nil {
		err = j.waitCheckpoint()
	}
	for _, jf := range j.files {
		if jf != nil {
			err = errors.Join(err, jf.f.Close())
		}
	}
	return err
}

func appendSet(b, key, value []byte) []byte {
	b = append(b, opSet)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	return append(b, value...)
}

func appendDelete(b, key []byte) []byte {
	b = append(b, opDelete)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

// journalOps calls set and del for each write of a record's payload, in
// order.
func journalOps(payload []byte, set func(k, v []byte) error, del func(k []byte) error) error {
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(payload)
		if k <= 0 || n > uint64(len(payload)-k) {
			return nil, false
		}
		b := payload[k : k+int(n)]
		payload = payload[k+int(n):]
		return b, true
	}
	for len(payload) > 0 {
		op := payload[0]
		payload = payload[1:]
		key, ok := next()
		if !ok {
			return errors.New("journal record: bad key")
		}
		switch op {
		case opSet:
			value, ok := next()
			if !ok {
				return errors.New("journal record: bad value")
			}
			if err := set(key, value); err != nil {
				return err
			}
		case opDelete:
			if err := del(key); err != nil {
				return err
			}
		default:
			return fmt.Errorf("journal record: unknown operation %d", op)
		}
	}
	return nil
}

// syncDir makes the directory's entries (files created, renamed or
// removed) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
