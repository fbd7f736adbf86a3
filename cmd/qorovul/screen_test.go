package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustScreen(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := runScreen(context.Background(), args, strings.NewReader(stdin), &out, &errOut); err != nil {
		t.Fatalf("screen %v: %v (stderr %s)", args, err, errOut.String())
	}
	return out.String()
}

func TestScreenJSON(t *testing.T) {
	out := mustScreen(t, "Alisher Karimov\n\n", "--json", "Алишер Усманов", "Alisher Usmonov", "USMANOV Alisher Burkhanovich", "-")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), out)
	}
	type match struct {
		List    string  `json:"list"`
		EntryID string  `json:"entry_id"`
		Name    string  `json:"name"`
		Score   float64 `json:"score"`
		Via     string  `json:"via"`
	}
	var results []struct {
		Query   string  `json:"query"`
		Matches []match `json:"matches"`
	}
	for _, l := range lines {
		var r struct {
			Query   string  `json:"query"`
			Matches []match `json:"matches"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if r.Matches == nil {
			t.Errorf("line %q: matches is null, want an array", l)
		}
		results = append(results, r)
	}
	for _, r := range results[:3] {
		found := false
		for _, m := range r.Matches {
			if m.List == "ofac_sdn" && m.EntryID == "35283" && m.Score >= 0.9 && m.Via != "" && m.Name != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: no ofac_sdn 35283 at >= 0.9 in %+v", r.Query, r.Matches)
		}
	}
	if r := results[3]; r.Query != "Alisher Karimov" {
		t.Errorf("stdin name read as %q", r.Query)
	} else {
		for _, m := range r.Matches {
			if m.EntryID == "35283" {
				t.Errorf("Alisher Karimov returns 35283: %+v", m)
			}
		}
	}
}

// Everyday names alert on nothing at the default (review) threshold, and a listed person
// on both OFAC and the CSL comes back once.
func TestScreenEverydayNames(t *testing.T) {
	out := mustScreen(t, "", "--json", "John Smith", "Sarah Lee", "Michael Williams", "Alisher Usmanov")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), out)
	}
	for _, l := range lines[:3] {
		if !strings.HasSuffix(l, `"matches":[]}`) {
			t.Errorf("everyday name alerts: %s", l)
		}
	}
	if n := strings.Count(lines[3], `"entry_id":"35283"`); n != 1 || !strings.Contains(lines[3], `"list":"ofac_sdn"`) {
		t.Errorf("35283 comes back %d times: %s", n, lines[3])
	}
}

func TestScreenHuman(t *testing.T) {
	out := mustScreen(t, "", "Алишер Усманов", "Jamshid Toshmatov")
	for _, want := range []string{"Алишер Усманов\n", "ofac_sdn", "35283", "USMANOV, Alisher Burhanovich", "via translit:", "Jamshid Toshmatov\n  no match at or above 0.80"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestScreenListsDirAndThreshold(t *testing.T) {
	dir := t.TempDir()
	for src, dst := range map[string]string{
		"../../sanctions/ofac/testdata/sdn.csv": "sdn.csv",
		"../../sanctions/ofac/testdata/alt.csv": "alt.csv",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, dst), b, 0o644)
	}
	out := mustScreen(t, "", "--lists", dir, "--json", "--threshold", "0.5", "Alisher Usmonov")
	if !strings.Contains(out, `"entry_id":"35283"`) || strings.Contains(out, "us_csl") {
		t.Errorf("--lists output: %s", out)
	}

	os.WriteFile(filepath.Join(dir, "alt.csv"), []byte("36,12,\"aka\"\r\n"), 0o644)
	var stdout, stderr bytes.Buffer
	err := runScreen(context.Background(), []string{"--lists", dir, "X"}, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "alt.csv") || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("broken list: err = %v, want it to name alt.csv line 1", err)
	}
}

func TestScreenUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"--threshold", "1.5", "X"}, {"--bogus"}} {
		var stdout, stderr bytes.Buffer
		err := runScreen(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		var ue *usageErr
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
