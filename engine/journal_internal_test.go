package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func journalPayload(i int) []byte {
	return appendSet(nil, fmt.Appendf(nil, "k/%06d", i), bytes.Repeat([]byte{byte(i)}, 100+i%3000))
}

// appendPayload appends p to j as one record.
func appendPayload(j *journal, p []byte) error {
	return j.append(append(newRecord(nil), p...))
}

// openTestJournal opens a journal of minimal files in dir with checkpoint
// as its checkpoint, starts it and checks that it had nothing to replay
// (want nil) or exactly want.
func openTestJournal(t *testing.T, dir string, checkpoint func() error, want [][]byte) *journal {
	t.Helper()
	j, replay, err := openJournal(dir, 1, checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(replay) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(replay), len(want))
	}
	for i := range want {
		if !bytes.Equal(replay[i], want[i]) {
			t.Fatalf("record %d of the replay differs", i)
		}
	}
	if err := j.start(); err != nil {
		t.Fatal(err)
	}
	return j
}

// What a crash leaves to replay is exactly the records not yet made
// durable by a checkpoint, in the order they were appended.
func TestJournalReplaysWhatNoCheckpointCovered(t *testing.T) {
	t.Run("AfterCheckpoints", func(t *testing.T) {
		dir := t.TempDir()
		var checkpoints atomic.Int32 // they run in the background
		j := openTestJournal(t, dir, func() error { checkpoints.Add(1); return nil }, nil)
		var since [][]byte // appended since the last rotation
		for i := range 4000 {
			before := j.cur
			p := journalPayload(i)
			if err := appendPayload(j, p); err != nil {
				t.Fatal(err)
			}
			if j.cur != before {
				since = nil
			}
			since = append(since, p)
		}
		if err := j.close(); err != nil { // a crash, but after the checkpoint in flight
			t.Fatal(err)
		}
		if n := checkpoints.Load(); n < 3 {
			t.Fatalf("%d checkpoints: the files did not rotate", n)
		}
		openTestJournal(t, dir, nil, since).close()
	})
	t.Run("CheckpointFailed", func(t *testing.T) {
		// A full file whose checkpoint failed is replayed before the
		// current one, and appends stop at the next rotation.
		dir := t.TempDir()
		j := openTestJournal(t, dir, func() error { return errors.New("disk gone") }, nil)
		var all [][]byte
		var err error
		for i := 0; err == nil; i++ {
			p := journalPayload(i)
			if err = appendPayload(j, p); err == nil {
				all = append(all, p)
			}
		}
		if !strings.Contains(err.Error(), "disk gone") {
			t.Fatalf("append after a failed checkpoint: %v", err)
		}
		if err := appendPayload(j, journalPayload(0)); err == nil {
			t.Fatal("append went on after a failed checkpoint")
		}
		j.close()
		openTestJournal(t, dir, nil, all).close()
	})
	t.Run("TornHeaderMeansCheckpointed", func(t *testing.T) {
		dir := t.TempDir()
		j := openTestJournal(t, dir, func() error { return nil }, nil)
		if err := appendPayload(j, journalPayload(1)); err != nil {
			t.Fatal(err)
		}
		j.close()
		f, err := os.OpenFile(filepath.Join(dir, "journal.0"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("QRVLJNL1\x07"), 0) // epoch changed under the checksum
		f.Close()
		openTestJournal(t, dir, nil, nil).close()
	})
	t.Run("CleanFinishLeavesNothing", func(t *testing.T) {
		dir := t.TempDir()
		j := openTestJournal(t, dir, func() error { return nil }, nil)
		for i := range 500 {
			if err := appendPayload(j, journalPayload(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.finish(); err != nil {
			t.Fatal(err)
		}
		j.close()
		openTestJournal(t, dir, nil, nil).close()
	})
}

// A batch too big for a journal file is made durable by a checkpoint.
func TestJournalOversizedBatchCheckpoints(t *testing.T) {
	checkpoints := 0
	j := openTestJournal(t, t.TempDir(), func() error { checkpoints++; return nil }, nil)
	defer j.close()
	if err := appendPayload(j, appendSet(nil, []byte("k"), make([]byte, 2<<20))); err != nil {
		t.Fatal(err)
	}
	if checkpoints != 1 || j.files[j.cur].off != journalHeaderSize {
		t.Fatalf("%d checkpoints, offset %d", checkpoints, j.files[j.cur].off)
	}
}

func TestJournalOps(t *testing.T) {
	var b []byte
	b = appendSet(b, []byte("a"), []byte("1"))
	b = appendDelete(b, []byte("b"))
	b = appendSet(b, []byte("c"), nil)
	var got []string
	err := journalOps(b,
		func(k, v []byte) error { got = append(got, "set "+string(k)+"="+string(v)); return nil },
		func(k []byte) error { got = append(got, "del "+string(k)); return nil })
	if err != nil || fmt.Sprint(got) != "[set a=1 del b set c=]" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range [][]byte{{opSet}, {opSet, 5, 'a'}, {opSet, 1, 'a'}, {9, 1, 'a'}, {opDelete, 0xff}} {
		if journalOps(bad, func(k, v []byte) error { return nil }, func(k []byte) error { return nil }) == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// FuzzJournalScan reads arbitrary bytes as a journal file's records: it
// never panics, and returns only whole records of the epoch, checksums
// intact, one after another from the start.
func FuzzJournalScan(f *testing.F) {
	var rec []byte
	for i := range 3 {
		p := journalPayload(i)
		h := binary.LittleEndian.AppendUint32(nil, uint32(len(p)))
		h = binary.LittleEndian.AppendUint64(h, 7)
		h = binary.LittleEndian.AppendUint32(h, crc32.Update(crc32.Checksum(h, journalCRC), journalCRC, p))
		rec = append(append(rec, h...), p...)
	}
	f.Add(rec)
	f.Add(rec[:len(rec)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, n := scanJournal(data, 7)
		off := 0
		for _, r := range recs {
			h := data[off : off+journalRecordHead]
			if int(binary.LittleEndian.Uint32(h)) != len(r) || binary.LittleEndian.Uint64(h[4:]) != 7 {
				t.Fatalf("record at %d: header does not match", off)
			}
			if crc32.Update(crc32.Checksum(h[:12], journalCRC), journalCRC, r) != binary.LittleEndian.Uint32(h[12:]) {
				t.Fatalf("record at %d: bad checksum returned", off)
			}
			if !bytes.Equal(data[off+journalRecordHead:off+journalRecordHead+len(r)], r) {
				t.Fatalf("record at %d: payload elsewhere", off)
			}
			off += journalRecordHead + len(r)
			journalOps(r, func(k, v []byte) error { return nil }, func(k []byte) error { return nil })
		}
		if off != n {
			t.Fatalf("records take %d bytes, scan says %d", off, n)
		}
	})
}
