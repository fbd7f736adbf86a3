package fold

import (
	"strings"
	"unicode/utf8"
)

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// Key folds a lower-case Latin token (the output of Latin or Translit) into the spelling-free
// key that the index and the scorer compare. It folds the variants that Russian, Uzbek, Tajik,
// Arabic and European spellings of one name differ by:
//
//	shch/sch → sh, dzh/dj/zh → j, kh/x → h (x also as ks, see XAlt), gh → g, ph → f, th → t,
//	q → k, w → v, c → k (s before e/i/y), y → i, j after a vowel → i, o' → u, g' → g,
//	initial or post-vowel ye → e, ou → u, doubled letters → one,
//	and the gendered surname endings -ova/-eva/-ina/-skaya/-ska → -ov/-ev/-in/-ski.
//
// Letters of other scripts pass through. x is read as "ks" here; XAlt gives the "kh" reading.
func Key(s string) string { return key(s, false) }

// XAlt is the key of s with every x read as kh (Uzbek Latin, GOST), or "" when s has no x.
func XAlt(s string) string {
	if strings.IndexByte(s, 'x') < 0 {
		return ""
	}
	return key(s, true)
}

func key(s string, xh bool) string {
	var buf [64]byte
	b := buf[:0]
	n := len(s)
	at := func(i int) byte {
		if i < n {
			return s[i]
		}
		return 0
	}
	push := func(c byte) {
		if len(b) > 0 && b[len(b)-1] == c {
			return // doubled letters fold to one
		}
		b = append(b, c)
	}
	for i := 0; i < n; {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(s[i:])
			b = append(b, s[i:i+size]...)
			i += size
			continue
		}
		switch {
		case c == '\'':
			i++
			continue
		case c == 'o' && at(i+1) == '\'':
			push('u')
			i += 2
			continue
		case c == 'g' && at(i+1) == '\'':
			push('g')
			i += 2
			continue
		case strings.HasPrefix(s[i:], "shch"):
			push('s')
			push('h')
			i += 4
			continue
		case strings.HasPrefix(s[i:], "sch"), strings.HasPrefix(s[i:], "shh"):
			push('s')
			push('h')
			i += 3
			continue
		case strings.HasPrefix(s[i:], "tch"):
			push('c')
			push('h')
			i += 3
			continue
		case strings.HasPrefix(s[i:], "dzh"):
			push('j')
			i += 3
			continue
		case c == 'd' && at(i+1) == 'j', c == 'z' && at(i+1) == 'h':
			push('j')
			i += 2
			continue
		case c == 'k' && at(i+1) == 'h', c == 'g' && at(i+1) == 'h':
			if c == 'k' {
				push('h')
			} else {
				push('g')
			}
			i += 2
			continue
		case c == 'p' && at(i+1) == 'h':
			push('f')
			i += 2
			continue
		case c == 't' && at(i+1) == 'h':
			push('t')
			i += 2
			continue
		case c == 'c' && at(i+1) == 'k':
			push('k')
			i += 2
			continue
		case c == 'c' && at(i+1) == 'z', c == 't' && at(i+1) == 'z':
			push('t')
			push('s')
			i += 2
			continue
		case c == 'o' && at(i+1) == 'u':
			push('u')
			i += 2
			continue
		case c == 'y' && at(i+1) == 'e' && (i == 0 || isVowel(s[i-1])):
			i++ // ye → e at the start and after a vowel (Yevgeniy, Abdullayev)
			continue
		case c == 'i' && at(i+1) == 'e' && i == 0 && n > 2 && !isVowel(at(i+2)):
			i++ // ie → e at the start (ICAO Ievgenii is rare; BGN Yevgeniy is not)
			continue
		}
		switch c {
		case 'c':
			if nx := at(i + 1); nx == 'h' {
				push('c')
				push('h')
				i += 2
				continue
			} else if nx == 'e' || nx == 'i' || nx == 'y' {
				push('s')
			} else {
				push('k')
			}
		case 'q':
			push('k')
		case 'w':
			push('v')
		case 'x':
			if xh {
				push('h')
			} else {
				push('k')
				push('s')
			}
		case 'y':
			push('i')
		case 'j':
			if i > 0 && isVowel(s[i-1]) && !isVowel(at(i+1)) {
				push('i')
			} else {
				push('j')
			}
		default:
			push(c)
		}
		i++
	}
	b = foldEnding(b)
	return string(b)
}

// foldEnding folds gendered surname endings so that the male and female forms share a key.
func foldEnding(b []byte) []byte {
	n := len(b)
	if n < 5 {
		return b
	}
	switch {
	case hasSuffix(b, "skaia"), hasSuffix(b, "skaa"):
		return append(b[:n-len("skaia")+boolInt(hasSuffix(b, "skaa"))], "ski"...)
	case hasSuffix(b, "ska"): // Polish feminine Pawlowska, Kowalska
		return append(b[:n-1], 'i')
	case hasSuffix(b, "ova"), hasSuffix(b, "eva"), hasSuffix(b, "ina"):
		return b[:n-1]
	}
	return b
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}
