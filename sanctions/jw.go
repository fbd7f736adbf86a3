package sanctions

import "unicode/utf8"

// jaroWinkler is the Jaro-Winkler similarity of a and b with the conventions of
// github.com/adrg/strutil/metrics.JaroWinkler (match window max(len)/2, prefix up to 4,
// scale 0.1), computed on runes without allocating for names up to maxRunes runes. The
// screening hot path calls it thousands of times a second; jw_test.go checks it against
// strutil on real name pairs.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	var ra, rb [maxRunes]rune
	as, bs := toRunes(ra[:0], a), toRunes(rb[:0], b)
	la, lb := len(as), len(bs)
	if la == 0 || lb == 0 {
		if la == lb {
			return 1
		}
		return 0
	}
	window := max(la, lb) / 2
	var ma, mb [maxRunes]rune
	var usedBuf [maxRunes]bool
	used := usedBuf[:0]
	if lb <= maxRunes {
		used = usedBuf[:lb]
	} else {
		used = make([]bool, lb)
	}
	commonA := matching(ma[:0], as, bs, window, used)
	for i := range used {
		used[i] = false
	}
	commonB := matching(mb[:0], bs, as, window, used[:0:0])
	if len(commonA) == 0 || len(commonB) == 0 {
		return 0
	}
	trans := 0
	for i := 0; i < min(len(commonA), len(commonB)); i++ {
		if commonA[i] != commonB[i] {
			trans++
		}
	}
	fm := float64(len(commonA))
	jaro := (fm/float64(la) + float64(len(commonB))/float64(lb) + float64(len(commonA)-trans/2)/fm) / 3
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && as[prefix] == bs[prefix] {
		prefix++
	}
	return jaro + 0.1*float64(prefix)*(1-jaro)
}

const maxRunes = 64

func toRunes(dst []rune, s string) []rune {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = append(dst, r)
		i += size
	}
	return dst
}

// matching appends to dst the runes of a that have an equal, not yet used rune of b within
// the window, in a's order. used has len(b) entries when given; an empty used is allocated.
func matching(dst, a, b []rune, window int, used []bool) []rune {
	var buf [maxRunes]bool
	if len(used) < len(b) {
		if len(b) <= maxRunes {
			used = buf[:len(b)]
		} else {
			used = make([]bool, len(b))
		}
	}
	for i, r := range a {
		lo, hi := max(0, i-window), min(i+window+1, len(b))
		for j := lo; j < hi; j++ {
			if !used[j] && b[j] == r {
				dst = append(dst, r)
				used[j] = true
				break
			}
		}
	}
	return dst
}
