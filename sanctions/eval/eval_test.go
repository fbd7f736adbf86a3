package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

// Targets (issue 3, acceptance 2, and the corridor set).
const (
	targetNameBenchF1   = 0.79 // OpenSanctions logic-v2 on the same pairs; we must beat it
	targetUNRecall      = 0.98
	targetNegativeRate  = 0.01
	targetCorridorPrec  = 0.95
	targetCorridorRecal = 0.95
	// corridor negatives whose note starts "everyday": frequent US/UK, Russian, Uzbek and
	// Tajik names of nobody listed, which screening every payment meets all day
	minEverydayNames = 120
)

// dataDir finds ../shared/data from the repository root (the folder holding go.mod).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test folder; cannot locate ../shared/data")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "eval")); err != nil {
		t.Skipf("evaluation data not found at %s (expected ../shared/data/eval relative to the repository root)", data)
	}
	return data
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		row := map[string]string{}
		for i, h := range header {
			if i < len(rec) {
				row[h] = rec[i]
			}
		}
		rows = append(rows, row)
	}
}

type counts struct{ tp, fp, fn, tn int }

func (c *counts) add(predicted, actual bool) {
	switch {
	case predicted && actual:
		c.tp++
	case predicted && !actual:
		c.fp++
	case !predicted && actual:
		c.fn++
	default:
		c.tn++
	}
}

func (c counts) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c counts) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c counts) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func loadIndex(t *testing.T) *sanctions.Index {
	t.Helper()
	ix, err := lists.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestEval runs every set and prints one table; each target is checked at the end.
func TestEval(t *testing.T) {
	data := dataDir(t)
	ix := loadIndex(t)
	threshold := sanctions.DefaultReviewThreshold
	var table strings.Builder
	fmt.Fprintf(&table, "threshold %.2f, lists %s (%d entries, %d names)\n", threshold, ix.Version(), ix.Len(), ix.Names())
	fmt.Fprintf(&table, "%-34s %7s %6s %6s %6s %6s %9s %7s %6s\n", "set", "cases", "TP", "FP", "FN", "TN", "precision", "recall", "F1")
	row := func(name string, c counts) {
		fmt.Fprintf(&table, "%-34s %7d %6d %6d %6d %6d %9.3f %7.3f %6.3f\n", name, c.tp+c.fp+c.fn+c.tn, c.tp, c.fp, c.fn, c.tn, c.precision(), c.recall(), c.f1())
	}
	var failures []string

	// 1. name_bench pairs, scored pairwise
	bench := nameBench(t, ix, filepath.Join(data, "eval", "nomenklatura_name_bench_cases.csv"), threshold)
	row("name_bench (nomenklatura)", bench)
	base := logicV2(t, filepath.Join(data, "eval", "nomenklatura_logicv2_frozen_results.csv"))
	row("  baseline logic-v2 @0.7", base)
	if bench.f1() <= targetNameBenchF1 {
		failures = append(failures, fmt.Sprintf("name_bench F1 %.3f, want > %.2f", bench.f1(), targetNameBenchF1))
	}

	// 2. UN positives against the UN list
	un, missed := unPositives(t, ix, filepath.Join(data, "eval", "yente_positives_un_untreated.csv"), threshold)
	row("UN positives (yente)", un)
	if un.recall() < targetUNRecall {
		failures = append(failures, fmt.Sprintf("UN positives recall %.3f, want >= %.2f; missed e.g. %v", un.recall(), targetUNRecall, first(missed, 10)))
	}

	// 3. synthetic negatives against all lists
	neg, hits := negatives(t, ix, filepath.Join(data, "eval", "yente_negatives_global.csv"), threshold)
	row("negatives (yente, 50k)", neg)
	rate := ratio(neg.fp, neg.fp+neg.tn)
	fmt.Fprintf(&table, "  negatives matching anything: %.4f (%d)\n", rate, neg.fp)
	if rate > targetNegativeRate {
		failures = append(failures, fmt.Sprintf("negatives hit rate %.4f, want <= %.2f; e.g. %v", rate, targetNegativeRate, first(hits, 10)))
	}

	// 4. corridor set: listed people must be found, and no unlisted name may alert
	cor, everyday, wrong := corridor(t, ix, filepath.Join("testdata", "corridor.csv"), threshold)
	row("corridor (testdata/corridor.csv)", cor)
	row("  of which everyday names", everyday)
	fmt.Fprintf(&table, "  everyday names alerting: %d of %d\n", everyday.fp, everyday.fp+everyday.tn)
	if cor.precision() < targetCorridorPrec || cor.recall() < targetCorridorRecal || cor.fp > 0 {
		failures = append(failures, fmt.Sprintf("corridor precision %.3f recall %.3f, want >= %.2f/%.2f and no unlisted name alerting; wrong: %v", cor.precision(), cor.recall(), targetCorridorPrec, targetCorridorRecal, wrong))
	}
	if everyday.tn < minEverydayNames {
		failures = append(failures, fmt.Sprintf("corridor has %d everyday names, want >= %d", everyday.tn+everyday.fp, minEverydayNames))
	}

	// 5. informational, no target: spellings of one listed name, and cross-script pairs
	putin := putinNames(t, ix, filepath.Join(data, "eval", "nomenklatura_putin_names.txt"), threshold)
	row("  info: Putin spellings vs OFAC", putin)
	cross := crossScript(t, ix, filepath.Join(data, "eval", "watchman_cross_script_pairs.csv"), threshold)
	row("  info: watchman cross-script pairs", cross)

	t.Log("\n" + table.String())
	for _, f := range failures {
		t.Error(f)
	}
}

func first(l []string, n int) []string {
	if len(l) > n {
		return l[:n]
	}
	return l
}

func nameBench(t *testing.T, ix *sanctions.Index, path string, threshold float64) counts {
	var c counts
	for _, r := range readCSV(t, path) {
		s, _ := ix.ScoreNames(r["name1"], r["name2"])
		c.add(s >= threshold, r["is_match"] == "true")
	}
	return c
}

func logicV2(t *testing.T, path string) counts {
	var c counts
	for _, r := range readCSV(t, path) {
		c.add(r["predicted_match"] == "true", r["is_match"] == "true")
	}
	return c
}

func unPositives(t *testing.T, ix *sanctions.Index, path string, threshold float64) (counts, []string) {
	var c counts
	var missed []string
	for _, r := range readCSV(t, path) {
		q := sanctions.Query{Name: r["full_name"], DOB: r["date_of_birth"], Nationality: r["nationality"]}
		hit := false
		for _, m := range ix.ScreenAt(q, threshold) {
			if m.List == sanctions.ListUN {
				hit = true
				break
			}
		}
		c.add(hit, true)
		if !hit {
			missed = append(missed, q.Name)
		}
	}
	return c, missed
}

func negatives(t *testing.T, ix *sanctions.Index, path string, threshold float64) (counts, []string) {
	var c counts
	var hits []string
	for _, r := range readCSV(t, path) {
		q := sanctions.Query{Name: r["full_name"], DOB: r["date_of_birth"], Nationality: r["nationality"]}
		ms := ix.ScreenAt(q, threshold)
		c.add(len(ms) > 0, false)
		if len(ms) > 0 {
			hits = append(hits, fmt.Sprintf("%s→%s(%.2f)", q.Name, ms[0].Name, ms[0].Score))
		}
	}
	return c, hits
}

// corridor screens the corridor set; everyday counts the negatives noted "everyday…".
func corridor(t *testing.T, ix *sanctions.Index, path string, threshold float64) (c, everyday counts, wrong []string) {
	for _, r := range readCSV(t, path) {
		q := sanctions.Query{Name: r["query"], DOB: r["dob"], Nationality: r["nationality"]}
		ms := ix.ScreenAt(q, threshold)
		want := r["expect"]
		if want == "-" {
			c.add(len(ms) > 0, false)
			if strings.HasPrefix(r["note"], "everyday") {
				everyday.add(len(ms) > 0, false)
			}
			if len(ms) > 0 {
				wrong = append(wrong, fmt.Sprintf("%s→%s %s(%.2f)", q.Name, ms[0].EntryID, ms[0].Name, ms[0].Score))
			}
			continue
		}
		hit := false
		for _, m := range ms {
			if m.List+":"+m.EntryID == want {
				hit = true
			}
		}
		c.add(hit, true)
		if !hit {
			wrong = append(wrong, fmt.Sprintf("missed %s (%s)", q.Name, want))
		}
	}
	return c, everyday, wrong
}

// putinNames screens 80 spellings and scripts of one listed name; a hit is OFAC 35096.
func putinNames(t *testing.T, ix *sanctions.Index, path string, threshold float64) counts {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c counts
	for _, name := range strings.Split(string(b), "\n") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		hit := false
		for _, m := range ix.ScreenAt(sanctions.Query{Name: name}, threshold) {
			if m.List == sanctions.ListOFAC && m.EntryID == "35096" {
				hit = true
			}
		}
		c.add(hit, true)
	}
	return c
}

// crossScript scores the watchman pairs (all positives) pairwise.
func crossScript(t *testing.T, ix *sanctions.Index, path string, threshold float64) counts {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c counts
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		s, _ := ix.ScoreNames(f[0], f[1])
		c.add(s >= threshold, true)
	}
	return c
}
