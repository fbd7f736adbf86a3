package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// MaxExportLine bounds one line of a JSONL export read by VerifyExport.
const MaxExportLine = 16 << 20

// errStop ends a VerifyExport pass once the Report names a problem.
var errStop = errors.New("stop")

// VerifyExport checks an export (JSONL or CSV, told apart by its first byte)
// offline: every line parses strictly and is in canonical form, every hash
// recomputes, sequence numbers are contiguous, each prev_hash links to the
// line before (and to 64 zeros for seq 1), times never go backwards, and the
// final checkpoint matches what the export holds. With pub set, the export
// must end in a checkpoint whose signature verifies with pub; with pub nil
// only the chain is checked and Report.Signed stays false. A problem gives a
// Report naming the first bad Line and sequence number and an error wrapping
// ErrBroken; other errors are the reader's.
func VerifyExport(r io.Reader, pub ed25519.PublicKey) (Report, error) {
	if pub != nil && len(pub) != ed25519.PublicKeySize {
		return Report{}, fmt.Errorf("verify export: public key has %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	v := &exportChecker{pub: pub}
	v.rep.Head.Hash = ZeroHash
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.Peek(1)
	switch {
	case errors.Is(err, io.EOF):
		err = nil
	case err != nil:
		return Report{}, fmt.Errorf("verify export: %w", err)
	case first[0] == '{':
		err = v.jsonl(br)
	default:
		err = v.csv(br)
	}
	if err == nil {
		err = v.finish()
	}
	switch {
	case errors.Is(err, errStop):
		return v.rep, fmt.Errorf("verify export: %w: line %d: %s", ErrBroken, v.rep.Line, v.rep.Problem)
	case err != nil:
		return v.rep, fmt.Errorf("verify export: %w", err)
	}
	return v.rep, nil
}

// exportChecker is the state of one VerifyExport.
type exportChecker struct {
	pub      ed25519.PublicKey
	rep      Report
	line     int // current line or record, 1-based
	first    uint64
	prevTime time.Time
	firstAt  time.Time // time of the first entry
	seenCP   bool
}

// bad records the first problem and stops the pass.
func (v *exportChecker) bad(seq uint64, format string, args ...any) error {
	v.rep.FirstBad = seq
	v.rep.Line = v.line
	v.rep.Problem = fmt.Sprintf(format, args...)
	return errStop
}

// expected is the sequence number the next entry line should hold, or 0
// before the first.
func (v *exportChecker) expected() uint64 {
	if v.rep.Entries == 0 {
		return 0
	}
	return v.rep.Head.Seq + 1
}

func (v *exportChecker) jsonl(br *bufio.Reader) error {
	var buf []byte
	for {
		line, err := readLine(br, &buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		v.line++
		switch {
		case errors.Is(err, errLineTooLong):
			return v.bad(v.blame(nil), "line longer than %d bytes", MaxExportLine)
		case err != nil:
			return err
		case len(line) == 0:
			return v.bad(v.blame(line), "empty line")
		case line[len(line)-1] == '\r':
			return v.bad(v.blame(line[:len(line)-1]), "line ends in CR: the export was altered (CRLF line endings?)")
		case bytes.HasPrefix(line, []byte(`{"checkpoint":`)):
			var w struct {
				Checkpoint json.RawMessage `json:"checkpoint"`
				Signature  *string         `json:"signature"`
			}
			if err := strictUnmarshal(line, &w); err != nil || w.Signature == nil {
				return v.bad(0, "checkpoint line does not parse")
			}
			if !bytes.Equal(checkpointLine(w.Checkpoint, *w.Signature), line) {
				return v.bad(0, "checkpoint line is not in canonical form")
			}
			if err := v.checkpoint(w.Checkpoint, *w.Signature); err != nil {
				return err
			}
		default:
			e, err := decodeStored(line)
			if err != nil {
				return v.bad(v.blame(line), "%v", err)
			}
			if err := v.entry(&e); err != nil {
				return err
			}
		}
	}
}

// blame picks the sequence number to name for an entry line that does not
// verify: the one expected there, or for the first line whatever seq it claims.
func (v *exportChecker) blame(line []byte) uint64 {
	if seq := v.expected(); seq != 0 {
		return seq
	}
	var w struct {
		Seq uint64 `json:"seq"`
	}
	json.Unmarshal(line, &w) // best effort; 0 if unreadable
	return w.Seq
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its '\n', reusing *buf for lines
// longer than the reader's buffer. A last line without '\n' counts.
func readLine(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], nil
	}
	if errors.Is(err, io.EOF) {
		if len(line) == 0 {
			return nil, io.EOF
		}
		return line, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	*buf = append((*buf)[:0], line...)
	for {
		line, err = br.ReadSlice('\n')
		if len(*buf)+len(line) > MaxExportLine+1 {
			return nil, errLineTooLong
		}
		*buf = append(*buf, line...)
		switch {
		case err == nil:
			return (*buf)[:len(*buf)-1], nil
		case errors.Is(err, io.EOF):
			return *buf, nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

func (v *exportChecker) csv(br *bufio.Reader) error {
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = len(csvHeader)
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			v.line = pe.StartLine
			return v.bad(v.expected(), "CSV: %v", pe.Err)
		} else if err != nil {
			return err
		}
		v.line, _ = cr.FieldPos(0)
		if v.line == 1 {
			if [len(csvHeader)]string(rec) != csvHeader {
				return v.bad(0, "not a ledger CSV export: header is %q", rec)
			}
			continue
		}
		if rec[0] == csvCheckpointTag {
			if rec[1] != "" || rec[2] != "" || rec[3] != "" || rec[4] != "" || rec[6] != "" {
				return v.bad(0, "checkpoint row has unexpected cells")
			}
			sig, err := csvUnescape(rec[7])
			if err != nil {
				return v.bad(0, "checkpoint signature cell: %v", err)
			}
			if err := v.checkpoint([]byte(rec[5]), sig); err != nil {
				return err
			}
			continue
		}
		e, err := entryFromCSV(rec)
		if err == nil {
			err = checkEntry(&e, nil)
		}
		if err != nil {
			seq := v.expected()
			if seq == 0 {
				seq = e.Seq
			}
			return v.bad(seq, "%v", err)
		}
		if err := v.entry(&e); err != nil {
			return err
		}
	}
}

// entryFromCSV reads one CSV row; cells must be exactly as Export writes them.
func entryFromCSV(rec []string) (Entry, error) {
	var e Entry
	seq, err := strconv.ParseUint(rec[0], 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != rec[0] {
		return e, fmt.Errorf("seq cell %q is not a sequence number", rec[0])
	}
	e.Seq = seq
	if e.Time, err = time.Parse(TimeLayout, rec[1]); err != nil || e.Time.Format(TimeLayout) != rec[1] {
		return e, fmt.Errorf("time cell %q is not in the canonical layout", rec[1])
	}
	cells := [...]*string{&e.Kind, &e.Subject, &e.Actor}
	for i, p := range cells {
		if *p, err = csvUnescape(rec[2+i]); err != nil {
			return e, fmt.Errorf("%s cell: %w", csvHeader[2+i], err)
		}
	}
	payload, err := csvUnescape(rec[5])
	if err != nil {
		return e, fmt.Errorf("payload cell: %w", err)
	}
	e.Payload = json.RawMessage(payload)
	e.PrevHash, e.Hash = rec[6], rec[7]
	return e, nil
}

// entry checks a parsed, self-consistent entry against the ones before it.
func (v *exportChecker) entry(e *Entry) error {
	switch {
	case v.seenCP:
		return v.bad(e.Seq, "entry after the checkpoint")
	case v.rep.Entries > 0 && e.Seq != v.rep.Head.Seq+1:
		return v.bad(v.rep.Head.Seq+1, "entry %d missing (line holds entry %d)", v.rep.Head.Seq+1, e.Seq)
	case v.rep.Entries > 0 && e.PrevHash != v.rep.Head.Hash:
		return v.bad(e.Seq, "entry %d prev_hash does not link to entry %d", e.Seq, e.Seq-1)
	case v.rep.Entries == 0 && e.Seq == 1 && e.PrevHash != ZeroHash:
		return v.bad(e.Seq, "entry 1 prev_hash is not 64 zeros")
	case v.rep.Entries > 0 && e.Time.Before(v.prevTime):
		return v.bad(e.Seq, "entry %d time is before entry %d's", e.Seq, e.Seq-1)
	}
	if v.rep.Entries == 0 {
		v.first, v.firstAt = e.Seq, e.Time
	}
	v.rep.Entries++
	v.rep.Head = Head{Seq: e.Seq, Hash: e.Hash}
	v.prevTime = e.Time
	return nil
}

// checkpoint checks the checkpoint's signature and that it covers exactly
// the entries seen.
func (v *exportChecker) checkpoint(body []byte, sig string) error {
	if v.seenCP {
		return v.bad(0, "second checkpoint")
	}
	v.seenCP = true
	c, err := parseCheckpoint(body)
	if err != nil {
		return v.bad(0, "%v", err)
	}
	v.rep.Ledger = c.Ledger
	v.rep.Checkpoint = &c
	if v.pub != nil {
		if err := verifySignature(v.pub, body, sig); err != nil {
			return v.bad(0, "%v (given key %s, checkpoint names key %s)", err, KeyID(v.pub), c.KeyID)
		}
		v.rep.Signed = true
	}
	first, last := v.first, v.rep.Head
	switch {
	case c.Entries != v.rep.Entries || c.FirstSeq != first || c.Seq != last.Seq:
		blame := uint64(0)
		if c.FirstSeq < first {
			blame = c.FirstSeq
		} else if c.Seq > last.Seq {
			blame = last.Seq + 1
		}
		return v.bad(blame, "checkpoint covers entries %d-%d (%d) but the export holds %d-%d (%d)",
			c.FirstSeq, c.Seq, c.Entries, first, last.Seq, v.rep.Entries)
	case c.Hash != last.Hash:
		return v.bad(last.Seq, "checkpoint hash differs from entry %d's", last.Seq)
	case v.rep.Entries > 0 && !c.From.IsZero() && v.firstAt.Before(c.From):
		return v.bad(first, "entry %d is before the export's from time", first)
	case v.rep.Entries > 0 && !c.To.IsZero() && !v.prevTime.Before(c.To):
		return v.bad(0, "export holds entries at or after its to time")
	}
	return nil
}

// finish checks what can only be checked at the end.
func (v *exportChecker) finish() error {
	if v.pub != nil && !v.seenCP {
		v.line++
		return v.bad(0, "export ends without a signed checkpoint")
	}
	return nil
}
