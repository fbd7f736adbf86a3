package audit_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/qorovul/qorovul/audit"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current code")

// goldenFiles are exports of a fixed ledger signed by a fixed key. They pin
// the format: exports written today must verify for as long as auditors
// keep them, so a change that breaks these files breaks a promise.
var goldenFiles = []struct{ name, format string }{
	{"audit.jsonl", audit.FormatJSONL},
	{"audit.csv", audit.FormatCSV},
}

func TestGoldenExports(t *testing.T) {
	f := newExportFixture(t, 2)
	dir := filepath.Join("testdata", "golden")
	pubPEM, err := audit.MarshalPublicKey(f.pub)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mustWriteFile(t, filepath.Join(dir, "checkpoint.pub"), pubPEM, 0o644)
	}
	pub, err := audit.LoadPublicKey(filepath.Join(dir, "checkpoint.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldenFiles {
		t.Run(g.name, func(t *testing.T) {
			path := filepath.Join(dir, g.name)
			got := f.export(t, f.signed(audit.ExportOptions{Format: g.format}))
			if *update {
				mustWriteFile(t, path, got, 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := audit.VerifyExport(bytes.NewReader(want), pub)
			if err != nil || !rep.Signed || rep.Entries != 10 {
				t.Fatalf("golden %s does not verify: %+v, %v", g.name, rep, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("export of the fixed ledger changed:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// goldenSeeds returns the golden exports for fuzzing.
func goldenSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, g := range goldenFiles {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", g.name))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
