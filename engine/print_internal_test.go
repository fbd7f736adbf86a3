package engine

import (
	"hash/fnv"
	"strings"
	"testing"
)

// refHash is the print's definition, spelt out with the standard library:
// FNV-1a of the text, 0 for none.
func refHash(s string) uint64 {
	if s == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

func refName(s string) uint64 { return refHash(strings.Join(strings.Fields(strings.ToLower(s)), " ")) }

// TestPrintHashesAsDefined: the hashes the print computes as it reads are
// those of the strings its definition builds.
func TestPrintHashesAsDefined(t *testing.T) {
	for _, s := range []string{"", " ", "\t\n", "Alisher Karimov", "  ALISHER\tKARIMOV ", "Алишер  Каримов", "ДИЛШОД\u00a0РАХИМОВ",
		"o'g'li Ibrohim", "İstanbul ΣΊΣΥΦΟΣ", "bad \xff\xfe utf8", "x", "+998901234567"} {
		if got, want := nameHash(s), refName(s); got != want {
			t.Errorf("nameHash(%q) = %x, want %x", s, got, want)
		}
		if got, want := printHash(s), refHash(s); got != want {
			t.Errorf("printHash(%q) = %x, want %x", s, got, want)
		}
	}
	if nameHash("JOHN  SMITH") != nameHash("john smith") || nameHash("John Smith") == nameHash("John Smyth") {
		t.Fatal("names compare by their folded words")
	}
}

func FuzzNameHash(f *testing.F) {
	for _, s := range []string{"Alisher Karimov", " Алишер\tКаримов ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := nameHash(s), refName(s); got != want {
			t.Fatalf("nameHash(%q) = %x, want %x", s, got, want)
		}
	})
}
