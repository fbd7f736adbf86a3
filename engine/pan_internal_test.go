package engine

import "testing"

// cardNumberRef is the plain reading of the rule hasCardNumber implements:
// split b into runs of digits joined by single spaces or dashes, and find
// one of 13 to 19 digits that passes the Luhn check.
func cardNumberRef(b string) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		var run []byte
		for i < len(b) {
			if isDigit(b[i]) {
				run = append(run, b[i]-'0')
				i++
			} else if (b[i] == ' ' || b[i] == '-') && i+1 < len(b) && isDigit(b[i+1]) {
				i++
			} else {
				break
			}
		}
		if len(run) >= 13 && len(run) <= 19 && luhn(run) {
			return true
		}
	}
	return false
}

func TestHasCardNumberAgreesWithReference(t *testing.T) {
	for _, s := range []string{
		"", "4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "x4242424242424242y",
		"41111111111111111111111", "4111111111111111 1", "998901234567", "+998 90 123-45-67",
		"4111--1111111111111", "4111 -1111111111111", "-4111111111111111", "4111111111111111-",
		`{"id":"tx_1","amount":"10.00","occurred_at":"2026-04-22T12:00:00Z"}`,
	} {
		if got, want := hasCardNumber(s), cardNumberRef(s); got != want {
			t.Errorf("hasCardNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzHasCardNumber(f *testing.F) {
	for _, s := range []string{"4111 1111 1111 1111", "5500-0000-0000-0004", "998901234567", "12345678901234567890123 4111111111111111"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasCardNumber(s), cardNumberRef(s); got != want {
			t.Fatalf("hasCardNumber(%q) = %v, want %v", s, got, want)
		}
		if hasCardNumber(s) != hasCardNumber([]byte(s)) {
			t.Fatalf("string and bytes disagree on %q", s)
		}
	})
}
