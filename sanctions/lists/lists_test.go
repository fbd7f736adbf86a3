package lists_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// copyTestdata puts the list packages' test files into a fresh folder, as a --lists DIR.
func copyTestdata(t *testing.T, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"../ofac/testdata/sdn.csv":         "sdn.csv",
		"../ofac/testdata/alt.csv":         "alt.csv",
		"../ofac/testdata/add.csv":         "add.csv",
		"../un/testdata/consolidated.xml":  "consolidated.xml",
		"../csl/testdata/consolidated.csv": "csl_consolidated.csv",
	}
	for src, dst := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			b, dst = buf.Bytes(), dst+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, dir string) *sanctions.Index {
	t.Helper()
	ix, err := lists.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestLoadDir(t *testing.T) {
	ix := mustLoad(t, copyTestdata(t, false))
	counts := map[string]int{}
	for _, e := range ix.Entities() {
		counts[e.List]++
	}
	// the CSL's copy of SDN 35283 repeats the OFAC entry and is dropped
	if counts[sanctions.ListOFAC] != 8 || counts[sanctions.ListUN] != 5 || counts[sanctions.ListCSL] != 4 {
		t.Errorf("entities per list = %v", counts)
	}
	if !strings.HasPrefix(ix.Version(), "sha256:") || len(ix.Version()) != len("sha256:")+64 {
		t.Errorf("version = %q", ix.Version())
	}
	ms := ix.Screen(sanctions.Query{Name: "Алишер Усманов"})
	if len(ms) != 1 || ms[0].List != sanctions.ListOFAC || ms[0].EntryID != "35283" {
		t.Errorf("matches = %+v, want OFAC 35283 once", ms)
	}
	if _, ok := ix.Entity(sanctions.ListCSL, "21944"); !ok {
		t.Error("CSL SDN entry 21944, absent from the OFAC test file, was dropped")
	}
}

// A CSL copy of an SDN entry that says something the OFAC entry does not is kept.
func TestCSLCopyWithMoreIsKept(t *testing.T) {
	dir := copyTestdata(t, false)
	path := filepath.Join(dir, "csl_consolidated.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const alias = `"USMONOV, Alisher; USMANOV, Alisher Burkhanovich"`
	if !bytes.Contains(b, []byte(alias)) {
		t.Fatal("test file changed: no alias field for 35283")
	}
	b = bytes.Replace(b, []byte(alias), []byte(`"USMONOV, Alisher; USMANOV, Alisher Burkhanovich; USMANOV, Ali"`), 1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ix := mustLoad(t, dir)
	e, ok := ix.Entity(sanctions.ListCSL, "35283")
	if !ok {
		t.Fatal("CSL 35283 with an alias OFAC lacks was dropped")
	}
	if len(e.Names) != 4 {
		t.Errorf("CSL 35283 names = %+v", e.Names)
	}
	// and without the OFAC files the CSL copy is all there is
	for _, f := range []string{"sdn.csv", "alt.csv", "add.csv"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte("; USMANOV, Ali\""), []byte(`"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustLoad(t, dir).Entity(sanctions.ListCSL, "35283"); !ok {
		t.Error("CSL 35283 dropped with no OFAC list loaded")
	}
}

func TestVersion(t *testing.T) {
	plain := copyTestdata(t, false)
	v := mustLoad(t, plain).Version()
	t.Run("SameContentGzipped", func(t *testing.T) {
		if got := mustLoad(t, copyTestdata(t, true)).Version(); got != v {
			t.Errorf("gzip copies give %s, plain %s", got, v)
		}
	})
	t.Run("Stable", func(t *testing.T) {
		if got := mustLoad(t, plain).Version(); got != v {
			t.Errorf("reload gives %s, want %s", got, v)
		}
	})
	t.Run("ChangesWithContent", func(t *testing.T) {
		dir := copyTestdata(t, false)
		f, err := os.OpenFile(filepath.Join(dir, "alt.csv"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("35283,1,\"aka\",\"USMANOV, Alik\",-0- \r\n")
		f.Close()
		if got := mustLoad(t, dir).Version(); got == v {
			t.Error("version unchanged after an alias was added")
		}
	})
	t.Run("ChangesWithPublicationDate", func(t *testing.T) {
		dir := copyTestdata(t, false)
		if err := os.WriteFile(filepath.Join(dir, lists.ManifestFile), []byte("sdn.csv 2024-05-03\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := mustLoad(t, dir).Version(); got == v {
			t.Error("version unchanged by a publication date")
		}
	})
}

func TestBrokenFileNamesFileAndLine(t *testing.T) {
	dir := copyTestdata(t, false)
	b, _ := os.ReadFile(filepath.Join(dir, "sdn.csv"))
	lines := strings.SplitAfter(string(b), "\n")
	lines[2] = "173,\"ANGLO-CARIBBEAN CO., LTD.\",-0- \r\n"
	os.WriteFile(filepath.Join(dir, "sdn.csv"), []byte(strings.Join(lines, "")), 0o644)
	_, err := lists.LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "sdn.csv") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want it to name sdn.csv and line 3", err)
	}

	dir = copyTestdata(t, false)
	os.WriteFile(filepath.Join(dir, "consolidated.xml"), []byte("<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><DATAID>1</DATAID>\n</CONSOLIDATED_LIST>"), 0o644)
	_, err = lists.LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "consolidated.xml") || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("err = %v, want it to name consolidated.xml and line 4", err)
	}
}

func TestReloadKeepsPreviousOnBrokenFile(t *testing.T) {
	good := copyTestdata(t, false)
	s := sanctions.NewScreener(mustLoad(t, good))
	before := s.Index()
	broken := copyTestdata(t, false)
	os.WriteFile(filepath.Join(broken, "alt.csv"), []byte("not,a,number\r\n"), 0o644)
	err := s.Reload(func() (*sanctions.Index, error) { return lists.LoadDir(broken) })
	if err == nil || !strings.Contains(err.Error(), "alt.csv") || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("reload err = %v", err)
	}
	if s.Index() != before {
		t.Fatal("a broken reload replaced the index")
	}
	if ms := s.Index().Screen(sanctions.Query{Name: "Alisher Usmonov"}); len(ms) == 0 {
		t.Error("previous index no longer screens")
	}
}

func TestLoadDirRejects(t *testing.T) {
	if _, err := lists.LoadDir(t.TempDir()); err == nil {
		t.Error("an empty folder loads")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "alt.csv"), []byte("36,12,\"aka\",\"X\",-0- \r\n"), 0o644)
	if _, err := lists.LoadDir(dir); err == nil || !strings.Contains(err.Error(), "without sdn.csv") {
		t.Errorf("alt.csv alone: err = %v", err)
	}
	dir = copyTestdata(t, false)
	b, _ := os.ReadFile(filepath.Join(dir, "sdn.csv"))
	os.WriteFile(filepath.Join(dir, "sdn.csv.gz"), b, 0o644)
	if _, err := lists.LoadDir(dir); err == nil {
		t.Error("two sdn files load")
	}
}

func TestLoadDefault(t *testing.T) {
	ix, err := lists.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range ix.Entities() {
		counts[e.List]++
	}
	// sdn.csv 14,965 rows; UN 730 individuals + 273 entities; CSL 14,160 rows, 14,048 ids, of
	// which 9,034 repeat an OFAC entry as it is and are dropped
	if counts[sanctions.ListOFAC] != 14965 || counts[sanctions.ListUN] != 1003 || counts[sanctions.ListCSL] != 5014 {
		t.Errorf("entities per list = %v", counts)
	}
	again, err := lists.LoadDefault()
	if err != nil || again.Version() != ix.Version() {
		t.Errorf("snapshot version not stable: %s vs %s (%v)", again.Version(), ix.Version(), err)
	}
}
