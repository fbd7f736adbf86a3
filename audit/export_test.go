package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/qorovul/qorovul/audit"
)

// exportFixture is a ledger of 10 batches of 5 entries, batch i committed at
// t0 + i seconds, with awkward strings in it.
type exportFixture struct {
	db      *badger.DB
	l       *audit.Ledger
	t0      time.Time
	entries []audit.Entry
	key     ed25519.PrivateKey
	pub     ed25519.PublicKey
	clock   *stepClock
}

func newExportFixture(t *testing.T, batches int) *exportFixture {
	t.Helper()
	clock := newClock()
	f := &exportFixture{t0: clock.now, clock: clock}
	f.db, f.l = MustOpen(t, "audit", clock)
	for i := range batches {
		b := f.l.Begin()
		err := f.db.Update(func(txn *badger.Txn) error {
			for j := range 5 {
				e := decisionEntry(fmt.Sprintf("tx_%d_%d", i, j), j)
				switch j {
				case 1:
					e = audit.Entry{Kind: "hold.release", Subject: "=HYPERLINK(\"http://x\")", Actor: "-officer",
						Payload: json.RawMessage(`{"note":"Алишер Усманов <ok> & \"quoted\"\n","amount":"10.00"}`)}
				case 2:
					e = audit.Entry{Kind: "consent.grant", Subject: "'quoted', with comma", Actor: "@admin", Payload: json.RawMessage(`-12.5`)}
				}
				if _, err := b.Append(txn, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.l.Commit(b); err != nil {
			t.Fatal(err)
		}
	}
	f.collect(t)
	f.key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	f.pub = f.key.Public().(ed25519.PublicKey)
	return f
}

// collect reads the entries back through an unfiltered export.
func (f *exportFixture) collect(t *testing.T) {
	t.Helper()
	f.entries = nil
	for _, line := range f.lines(t, audit.ExportOptions{}) {
		var e audit.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		f.entries = append(f.entries, e)
	}
}

func (f *exportFixture) export(t *testing.T, opt audit.ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := audit.Export(f.db, "audit", &buf, opt); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

func (f *exportFixture) lines(t *testing.T, opt audit.ExportOptions) []string {
	t.Helper()
	out := strings.TrimSuffix(string(f.export(t, opt)), "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func (f *exportFixture) signed(opt audit.ExportOptions) audit.ExportOptions {
	opt.Signer = f.key
	opt.Clock = f.clock
	return opt
}

func TestExport_JSONL(t *testing.T) {
	f := newExportFixture(t, 10)
	lines := f.lines(t, audit.ExportOptions{})
	if len(lines) != 50 || len(f.entries) != 50 {
		t.Fatalf("lines = %d", len(lines))
	}
	for i, line := range lines {
		e := f.entries[i]
		if e.Seq != uint64(i+1) {
			t.Fatalf("line %d holds seq %d", i+1, e.Seq)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		err := enc.Encode(e)
		if err != nil || strings.TrimSuffix(b.String(), "\n") != line {
			t.Fatalf("line %d re-marshals to\n%s\nnot\n%s (%v)", i+1, b.String(), line, err)
		}
	}
	// The awkward strings came back intact.
	if e := f.entries[1]; e.Subject != `=HYPERLINK("http://x")` || e.Actor != "-officer" ||
		!strings.Contains(string(e.Payload), `Алишер Усманов <ok> & \"quoted\"\n`) {
		t.Fatalf("entry 2 = %+v", e)
	}
	rep, err := audit.VerifyExport(bytes.NewReader(f.export(t, audit.ExportOptions{})), nil)
	if err != nil || rep.Entries != 50 || rep.Head != f.l.Head() || rep.Signed {
		t.Fatalf("verify export = %+v, %v", rep, err)
	}
}

func TestExport_TimeFilters(t *testing.T) {
	f := newExportFixture(t, 10)
	at := func(s int) time.Time { return f.t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name             string
		from, to         time.Time
		firstSeq, lastSq uint64
	}{
		{"FromAndTo", at(2), at(5), 11, 25},
		{"FromOnly", at(8), time.Time{}, 41, 50},
		{"ToOnly", time.Time{}, at(1), 1, 5},
		{"BetweenBatches", at(2).Add(time.Millisecond), at(4).Add(time.Millisecond), 16, 25},
		{"FromBeforeAll", at(-100), at(1), 1, 5},
		{"ToAfterAll", at(9), at(100), 46, 50},
		{"Empty", at(3).Add(time.Millisecond), at(4), 0, 0},
		{"FromAfterAll", at(10), time.Time{}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := audit.ExportOptions{From: tc.from, To: tc.to}
			lines := f.lines(t, opt)
			want := 0
			if tc.lastSq > 0 {
				want = int(tc.lastSq - tc.firstSeq + 1)
			}
			if len(lines) != want {
				t.Fatalf("%d lines, want %d", len(lines), want)
			}
			for i, line := range lines {
				var e audit.Entry
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatal(err)
				}
				if e.Seq != tc.firstSeq+uint64(i) {
					t.Fatalf("line %d holds seq %d, want %d", i+1, e.Seq, tc.firstSeq+uint64(i))
				}
				if (!tc.from.IsZero() && e.Time.Before(tc.from)) || (!tc.to.IsZero() && !e.Time.Before(tc.to)) {
					t.Fatalf("entry %d time %v outside [%v, %v)", e.Seq, e.Time, tc.from, tc.to)
				}
			}
			// The same range, signed, in both formats, verifies offline.
			for _, format := range []string{audit.FormatJSONL, audit.FormatCSV} {
				opt.Format = format
				out := f.export(t, f.signed(opt))
				rep, err := audit.VerifyExport(bytes.NewReader(out), f.pub)
				if err != nil || !rep.Signed || rep.Entries != uint64(want) || rep.Head.Seq != tc.lastSq {
					t.Fatalf("%s: verify export = %+v, %v\n%s", format, rep, err, out)
				}
			}
		})
	}
}

func TestExport_CSV(t *testing.T) {
	f := newExportFixture(t, 2)
	out := f.export(t, audit.ExportOptions{Format: audit.FormatCSV})
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 11 {
		t.Fatalf("%d records, want header + 10", len(recs))
	}
	if got := strings.Join(recs[0], ","); got != "seq,time,kind,subject,actor,payload,prev_hash,hash" {
		t.Fatalf("header = %s", got)
	}
	for i, rec := range recs[1:] {
		e := f.entries[i]
		if rec[0] != fmt.Sprint(e.Seq) || rec[1] != e.Time.Format(audit.TimeLayout) || rec[6] != e.PrevHash || rec[7] != e.Hash {
			t.Fatalf("row %d = %q, entry %+v", i+1, rec, e)
		}
	}
	// Formula-looking cells are defused with one apostrophe.
	if row := recs[2]; row[3] != `'=HYPERLINK("http://x")` || row[4] != "'-officer" {
		t.Fatalf("row 2 = %q", row)
	}
	if row := recs[3]; row[3] != "''quoted', with comma" || row[4] != "'@admin" || row[5] != "'-12.5" {
		t.Fatalf("row 3 = %q", row)
	}
	if row := recs[1]; row[5] != string(f.entries[0].Payload) {
		t.Fatalf("row 1 payload = %s", row[5])
	}
	rep, err := audit.VerifyExport(bytes.NewReader(out), nil)
	if err != nil || rep.Entries != 10 || rep.Head != f.l.Head() {
		t.Fatalf("verify csv = %+v, %v", rep, err)
	}
}

func TestExport_Signed(t *testing.T) {
	f := newExportFixture(t, 3)
	out := f.export(t, f.signed(audit.ExportOptions{}))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 16 || !strings.HasPrefix(lines[15], `{"checkpoint":{"ledger":"audit","first_seq":1,"seq":15,"hash":"`+f.l.Head().Hash+`","entries":15,"time":"`) {
		t.Fatalf("%d lines, last %s", len(lines), lines[len(lines)-1])
	}
	if !strings.Contains(lines[15], `"key_id":"`+audit.KeyID(f.pub)+`"`) {
		t.Fatalf("checkpoint lacks key id: %s", lines[15])
	}
	rep, err := audit.VerifyExport(bytes.NewReader(out), f.pub)
	if err != nil || !rep.OK() || !rep.Signed || rep.Ledger != "audit" || rep.Entries != 15 || rep.Head != f.l.Head() {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
	if cp := rep.Checkpoint; cp == nil || cp.Seq != 15 || cp.FirstSeq != 1 || cp.KeyID != audit.KeyID(f.pub) || cp.Time.IsZero() || !cp.From.IsZero() {
		t.Fatalf("checkpoint = %+v", rep.Checkpoint)
	}
}

func TestExport_EmptyLedgerSigned(t *testing.T) {
	f := newExportFixture(t, 0)
	out := f.export(t, f.signed(audit.ExportOptions{}))
	rep, err := audit.VerifyExport(bytes.NewReader(out), f.pub)
	if err != nil || !rep.Signed || rep.Entries != 0 {
		t.Fatalf("verify = %+v, %v\n%s", rep, err, out)
	}
}

func TestExport_Errors(t *testing.T) {
	f := newExportFixture(t, 1)
	now := f.t0
	for name, opt := range map[string]audit.ExportOptions{
		"ErrFormat":          {Format: "xml"},
		"ErrFromAfterTo":     {From: now.Add(time.Hour), To: now},
		"ErrFromEqualsTo":    {From: now, To: now},
		"ErrSignerNoClock":   {Signer: f.key},
		"ErrSignerShortKey":  {Signer: f.key[:10], Clock: f.clock},
		"ErrBadLedgerName/x": {},
	} {
		t.Run(name, func(t *testing.T) {
			ledger := "audit"
			if strings.HasPrefix(name, "ErrBadLedgerName") {
				ledger = "Bad/Name"
			}
			var buf bytes.Buffer
			if _, err := audit.Export(f.db, ledger, &buf, opt); err == nil {
				t.Fatal("no error")
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %q", buf.String())
			}
		})
	}
}

// A broken chain is not exported under a signature.
func TestExport_BrokenChainIsNotSigned(t *testing.T) {
	f := newExportFixture(t, 3)
	key := entryKey("audit", 8)
	v := mustGet(t, f.db, key)
	bad := bytes.Replace(v, []byte(`"consent.grant"`), []byte(`"consent.grent"`), 1)
	if bytes.Equal(bad, v) {
		t.Fatalf("entry 8 is not the consent grant: %s", v)
	}
	mustSet(t, f.db, key, bad)
	for _, opt := range []audit.ExportOptions{f.signed(audit.ExportOptions{}), f.signed(audit.ExportOptions{Format: audit.FormatCSV}), {From: f.t0.Add(time.Second)}} {
		var buf bytes.Buffer
		n, err := audit.Export(f.db, "audit", &buf, opt)
		if !errors.Is(err, audit.ErrBroken) || !strings.Contains(err.Error(), "entry 8") {
			t.Fatalf("export of a broken chain = %v", err)
		}
		if strings.Contains(buf.String(), "checkpoint") || n > 7 {
			t.Fatalf("broken export wrote %d entries and %q", n, buf.String())
		}
	}
	// A missing head key is caught.
	head := mustGet(t, f.db, headKey("audit"))
	mustDelete(t, f.db, headKey("audit"))
	if _, err := audit.Export(f.db, "audit", &bytes.Buffer{}, audit.ExportOptions{}); !errors.Is(err, audit.ErrBroken) {
		t.Fatalf("export without a head key = %v", err)
	}
	mustSet(t, f.db, headKey("audit"), head)
	// Deleting the last entry is caught too.
	mustDelete(t, f.db, entryKey("audit", 15))
	if _, err := audit.Export(f.db, "audit", &bytes.Buffer{}, audit.ExportOptions{From: f.t0.Add(2 * time.Second)}); !errors.Is(err, audit.ErrBroken) {
		t.Fatalf("export without the head entry = %v", err)
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.key")
	k1, err := audit.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st := mustStat(t, path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	k2, err := audit.LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reload gave another key (%v)", err)
	}
	pub := k1.Public().(ed25519.PublicKey)
	pemBytes, err := audit.MarshalPublicKey(pub)
	if err != nil || !bytes.HasPrefix(pemBytes, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Fatalf("public PEM %s (%v)", pemBytes, err)
	}
	for name, in := range map[string][]byte{
		"PEM":    pemBytes,
		"Hex":    []byte(fmt.Sprintf("%x\n", []byte(pub))),
		"Base64": []byte(encodeB64(pub)),
	} {
		got, err := audit.ParsePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []string{"", "hello", "abcd", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if _, err := audit.ParsePublicKey([]byte(bad)); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", bad)
		}
	}
	t.Run("ErrReadableByOthers", func(t *testing.T) {
		mustChmod(t, path, 0o644)
		if _, err := audit.LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "0600") {
			t.Fatalf("loading a 0644 key = %v", err)
		}
	})
	t.Run("ErrNotAKey", func(t *testing.T) {
		p := filepath.Join(dir, "junk.key")
		mustWriteFile(t, p, []byte("not a key"), 0o600)
		if _, err := audit.LoadOrCreateKey(p); err == nil {
			t.Fatal("loaded junk")
		}
	})
	t.Run("ErrNoDir", func(t *testing.T) {
		if _, err := audit.LoadOrCreateKey(filepath.Join(dir, "missing", "k")); err == nil {
			t.Fatal("created a key in a missing dir")
		}
	})
}
