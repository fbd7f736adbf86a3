package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/audit"
)

// wantExportBroken runs VerifyExport and checks the line, seq and problem it names.
func wantExportBroken(tb testing.TB, data []byte, pub ed25519.PublicKey, line int, firstBad uint64, want string) audit.Report {
	tb.Helper()
	rep, err := audit.VerifyExport(bytes.NewReader(data), pub)
	if !errors.Is(err, audit.ErrBroken) || rep.OK() {
		tb.Fatalf("verify export = %+v, %v; want ErrBroken", rep, err)
	}
	if rep.Line != line || rep.FirstBad != firstBad || !strings.Contains(rep.Problem, want) {
		tb.Fatalf("report = %+v; want line %d, first bad %d, problem containing %q", rep, line, firstBad, want)
	}
	return rep
}

// auditorHash recomputes a JSONL line's hash the way the package
// documentation tells an auditor to, without the package's code: strip the
// hash member to get C(e), then SHA-256(raw prev hash || C(e)).
func auditorHash(tb testing.TB, line string) (stated, recomputed string) {
	tb.Helper()
	i := strings.LastIndex(line, `,"hash":"`)
	j := strings.Index(line, `"prev_hash":"`)
	if i < 0 || j < 0 || !strings.HasSuffix(line, `"}`) {
		tb.Fatalf("not an entry line: %s", line)
	}
	c := line[:i] + "}"
	prev, err := hex.DecodeString(line[j+13 : j+13+64])
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(append(prev, c...))
	return line[i+9 : len(line)-2], hex.EncodeToString(sum[:])
}

// rehash returns line with its hash member recomputed.
func rehash(tb testing.TB, line string) string {
	tb.Helper()
	stated, sum := auditorHash(tb, line)
	return strings.Replace(line, `"hash":"`+stated+`"`, `"hash":"`+sum+`"`, 1)
}

func TestVerifyExport_AuditorReimplementation(t *testing.T) {
	f := newExportFixture(t, 3)
	lines := splitLines(f.export(t, audit.ExportOptions{}))
	prev := audit.ZeroHash
	for n, line := range lines {
		stated, sum := auditorHash(t, line)
		if stated != sum {
			t.Fatalf("line %d: stated hash %s, recomputed %s", n+1, stated, sum)
		}
		if !strings.Contains(line, `"prev_hash":"`+prev+`"`) {
			t.Fatalf("line %d does not link to %s", n+1, prev)
		}
		prev = sum
	}
}

func splitLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func joinLines(lines []string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}

func TestVerifyExport_Tampered(t *testing.T) {
	f := newExportFixture(t, 4) // 20 entries
	at := f.t0.Add(1e9)
	clean := f.export(t, f.signed(audit.ExportOptions{From: at})) // entries 6-20 + checkpoint
	lines := splitLines(clean)
	if len(lines) != 16 {
		t.Fatalf("%d lines", len(lines))
	}
	if rep, err := audit.VerifyExport(bytes.NewReader(clean), f.pub); err != nil || rep.Entries != 15 || !rep.Signed {
		t.Fatalf("clean export: %+v, %v", rep, err)
	}
	edit := func(i int, fn func(string) string) []byte {
		out := append([]string(nil), lines...)
		out[i] = fn(out[i])
		return joinLines(out)
	}
	drop := func(i int) []byte {
		out := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
		return joinLines(out)
	}

	t.Run("ChangedPayload", func(t *testing.T) {
		// Line 3 holds entry 8, the consent grant with payload -12.5.
		data := edit(2, func(s string) string { return strings.Replace(s, `"payload":-12.5`, `"payload":-12.6`, 1) })
		wantExportBroken(t, data, f.pub, 3, 8, "does not match its content")
	})
	t.Run("ChangedAndRehashed", func(t *testing.T) {
		// A forger who changes entry 10 and recomputes its hash by the
		// documented rule leaves line 5 self-consistent but breaks the
		// link from entry 11.
		forged := strings.Replace(lines[4], `"outcome":"review"`, `"outcome":"allow"`, 1)
		if forged == lines[4] {
			t.Fatalf("line 5 is not a decision under review: %s", lines[4])
		}
		out := append([]string(nil), lines...)
		out[4] = rehash(t, forged)
		wantExportBroken(t, joinLines(out), f.pub, 6, 11, "prev_hash does not link to entry 10")
	})
	t.Run("NonCanonicalWhitespace", func(t *testing.T) {
		data := edit(0, func(s string) string { return strings.Replace(s, `"seq":6,`, `"seq": 6,`, 1) })
		wantExportBroken(t, data, f.pub, 1, 6, "canonical")
	})
	t.Run("CRLF", func(t *testing.T) {
		data := bytes.ReplaceAll(clean, []byte("\n"), []byte("\r\n"))
		wantExportBroken(t, data, f.pub, 1, 6, "CR")
	})
	t.Run("LineRemovedInTheMiddle", func(t *testing.T) {
		wantExportBroken(t, drop(6), f.pub, 7, 12, "entry 12 missing (line holds entry 13)")
	})
	t.Run("FirstLineRemoved", func(t *testing.T) {
		wantExportBroken(t, drop(0), f.pub, 15, 6, "checkpoint covers entries 6-20")
	})
	t.Run("LastEntryRemoved", func(t *testing.T) {
		wantExportBroken(t, drop(14), f.pub, 15, 20, "checkpoint covers entries 6-20")
	})
	t.Run("LinesSwapped", func(t *testing.T) {
		out := append([]string(nil), lines...)
		out[3], out[4] = out[4], out[3]
		wantExportBroken(t, joinLines(out), f.pub, 4, 9, "entry 9 missing")
	})
	t.Run("CheckpointRemoved", func(t *testing.T) {
		wantExportBroken(t, drop(15), f.pub, 16, 0, "without a signed checkpoint")
		// Without a key the chain alone still verifies.
		if rep, err := audit.VerifyExport(bytes.NewReader(drop(15)), nil); err != nil || rep.Signed || rep.Entries != 15 {
			t.Fatalf("unsigned verify = %+v, %v", rep, err)
		}
	})
	t.Run("LineAfterCheckpoint", func(t *testing.T) {
		data := append(append([]byte(nil), clean...), []byte(lines[0]+"\n")...)
		wantExportBroken(t, data, f.pub, 17, 6, "after the checkpoint")
	})
	t.Run("CheckpointEdited", func(t *testing.T) {
		data := edit(15, func(s string) string { return strings.Replace(s, `"entries":15`, `"entries":16`, 1) })
		wantExportBroken(t, data, f.pub, 16, 0, "signature does not verify")
	})
	t.Run("WrongPublicKey", func(t *testing.T) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
		rep := wantExportBroken(t, clean, other, 16, 0, "signature does not verify with the given public key")
		if !strings.Contains(rep.Problem, audit.KeyID(f.pub)) || !strings.Contains(rep.Problem, audit.KeyID(other)) {
			t.Fatalf("problem does not name both key ids: %s", rep.Problem)
		}
	})
	t.Run("EmptyLine", func(t *testing.T) {
		data := edit(3, func(s string) string { return s + "\n" })
		wantExportBroken(t, data, f.pub, 5, 10, "empty line")
	})
}

func TestVerifyExport_CSVTampered(t *testing.T) {
	f := newExportFixture(t, 2)
	clean := f.export(t, f.signed(audit.ExportOptions{Format: audit.FormatCSV}))
	if rep, err := audit.VerifyExport(bytes.NewReader(clean), f.pub); err != nil || !rep.Signed || rep.Entries != 10 {
		t.Fatalf("clean csv: %+v, %v", rep, err)
	}
	t.Run("ChangedCell", func(t *testing.T) {
		data := bytes.Replace(clean, []byte("consent.grant"), []byte("consent.grAnt"), 1)
		wantExportBroken(t, data, f.pub, 4, 3, "")
	})
	t.Run("EscapeRemoved", func(t *testing.T) {
		data := bytes.Replace(clean, []byte(`'-officer`), []byte(`-officer`), 1)
		wantExportBroken(t, data, f.pub, 3, 2, "formula")
	})
	t.Run("BadHeader", func(t *testing.T) {
		data := bytes.Replace(clean, []byte("seq,time"), []byte("seq,when"), 1)
		wantExportBroken(t, data, f.pub, 1, 0, "header")
	})
	t.Run("WrongPublicKey", func(t *testing.T) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
		wantExportBroken(t, clean, other, 12, 0, "signature does not verify")
	})
	t.Run("RowDropped", func(t *testing.T) {
		lines := splitLines(clean)
		lines = append(lines[:5], lines[6:]...) // drops entry 5
		wantExportBroken(t, joinLines(lines), f.pub, 6, 5, "entry 5 missing")
	})
}

// Flipping any one bit of a signed export, anywhere, makes it fail.
func TestVerifyExport_EveryChangedByteFails(t *testing.T) {
	f := newExportFixture(t, 1)
	for _, format := range []string{audit.FormatJSONL, audit.FormatCSV} {
		clean := f.export(t, f.signed(audit.ExportOptions{Format: format}))
		if _, err := audit.VerifyExport(bytes.NewReader(clean), f.pub); err != nil {
			t.Fatalf("%s clean: %v", format, err)
		}
		for i := range clean {
			for _, flip := range []byte{0x01, 0x20} {
				data := append([]byte(nil), clean...)
				data[i] ^= flip
				rep, err := audit.VerifyExport(bytes.NewReader(data), f.pub)
				if err == nil || rep.OK() {
					t.Fatalf("%s: byte %d (%q) ^ %#x went unnoticed", format, i, clean[i], flip)
				}
			}
		}
	}
}

func TestVerifyExport_Odd(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	if rep, err := audit.VerifyExport(strings.NewReader(""), nil); err != nil || rep.Entries != 0 {
		t.Fatalf("empty unsigned = %+v, %v", rep, err)
	}
	wantExportBroken(t, nil, pub, 1, 0, "without a signed checkpoint")
	if _, err := audit.VerifyExport(strings.NewReader("{}"), pub[:5]); err == nil || errors.Is(err, audit.ErrBroken) {
		t.Fatalf("short key = %v", err)
	}
	wantExportBroken(t, []byte("{\"seq\":1}\n"), nil, 1, 1, "no time")
	wantExportBroken(t, []byte("{"+strings.Repeat(" ", audit.MaxExportLine+10)+"\n"), nil, 1, 0, "longer than")
}
