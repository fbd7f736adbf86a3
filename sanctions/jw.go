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
	if isASCII(a) && isASCII(b) && len(a) <= maxRunes && len(b) <= maxRunes {
		return jaroWinklerASCII(a, b)
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
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && as[prefix] == bs[prefix] {
		prefix++
	}
	return winkler(commonA, commonB, la, lb, prefix)
}

const maxRunes = 64

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// jaroWinklerASCII is jaroWinkler for ASCII strings of at most maxRunes bytes.
func jaroWinklerASCII(a, b string) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		if la == lb {
			return 1
		}
		return 0
	}
	window := max(la, lb) / 2
	var ma, mb [maxRunes]byte
	commonA := matchingASCII(ma[:0], a, b, window)
	commonB := matchingASCII(mb[:0], b, a, window)
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix] {
		prefix++
	}
	return winkler(commonA, commonB, la, lb, prefix)
}

// winkler is the Jaro-Winkler similarity from the matched characters of
// each side (in order), the lengths and the common prefix (at most 4).
func winkler[T byte | rune](commonA, commonB []T, la, lb, prefix int) float64 {
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
	return jaro + 0.1*float64(prefix)*(1-jaro)
}

func matchingASCII(dst []byte, a, b string, window int) []byte {
	var used [maxRunes]bool
	for i := 0; i < len(a); i++ {
		c := a[i]
		lo, hi := max(0, i-window), min(i+window+1, len(b))
		for j := lo; j < hi; j++ {
			if !used[j] && b[j] == c {
				dst = append(dst, c)
				used[j] = true
				break
			}
		}
	}
	return dst
}

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

// osaRatio is 1 - optimal-string-alignment distance (Levenshtein with adjacent
// transpositions as one edit) / length of the longer string, on runes, without allocating
// for names up to maxRunes runes.
func osaRatio(a, b string) float64 {
	if a == b {
		return 1
	}
	if isASCII(a) && isASCII(b) && len(a) <= maxRunes && len(b) <= maxRunes {
		return osaASCII(a, b)
	}
	var ra, rb [maxRunes]rune
	as, bs := toRunes(ra[:0], a), toRunes(rb[:0], b)
	la, lb := len(as), len(bs)
	if la == 0 || lb == 0 {
		return 0
	}
	var r0, r1, r2 [maxRunes + 1]int
	pp, prev, cur := r0[:0], r1[:0], r2[:0]
	if lb+1 > len(r0) {
		pp, prev, cur = make([]int, 0, lb+1), make([]int, 0, lb+1), make([]int, 0, lb+1)
	}
	pp, prev, cur = pp[:lb+1], prev[:lb+1], cur[:lb+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if as[i-1] == bs[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && as[i-1] == bs[j-2] && as[i-2] == bs[j-1] {
				d = min(d, pp[j-2]+1)
			}
			cur[j] = d
		}
		pp, prev, cur = prev, cur, pp
	}
	return 1 - float64(prev[lb])/float64(max(la, lb))
}

// osaASCII is osaRatio for ASCII strings of at most maxRunes bytes.
func osaASCII(a, b string) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	var r0, r1, r2 [maxRunes + 1]int32
	pp, prev, cur := r0[:lb+1], r1[:lb+1], r2[:lb+1]
	for j := range prev {
		prev[j] = int32(j)
	}
	for i := 1; i <= la; i++ {
		cur[0] = int32(i)
		ai := a[i-1]
		for j := 1; j <= lb; j++ {
			cost := int32(1)
			if ai == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ai == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, pp[j-2]+1)
			}
			cur[j] = d
		}
		pp, prev, cur = prev, cur, pp
	}
	return 1 - float64(prev[lb])/float64(max(la, lb))
}

// letterSim is the similarity of two folded name parts: Jaro-Winkler (kind to typos late in
// a word) blended with the edit-distance ratio (hard on a short part that is only the
// beginning of a longer one: ali/aliyev, yusuf/yusufov). share is Jaro-Winkler's share.
func letterSim(a, b string, share float64) float64 {
	if a == b {
		return 1
	}
	return share*jaroWinkler(a, b) + (1-share)*osaRatio(a, b)
}

// letterSimAtLeast is letterSim when it can reach floor and 0 otherwise, skipping the edit
// distance when Jaro-Winkler alone rules the pair out.
func letterSimAtLeast(a, b string, share, floor float64) float64 {
	if a == b {
		return 1
	}
	jw := jaroWinkler(a, b)
	la, lb := len(a), len(b) // bytes bound runes well enough for a ceiling
	ceil := 1 - float64(max(la, lb)-min(la, lb))/float64(max(la, lb))
	if share*jw+(1-share)*ceil < floor {
		return 0
	}
	return share*jw + (1-share)*osaRatio(a, b)
}

// letterSimASCII is letterSimAtLeast for ASCII keys of at most maxRunes bytes.
func letterSimASCII(a, b string, share, floor float64) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	ceil := 1 - float64(max(la, lb)-min(la, lb))/float64(max(la, lb))
	if share+(1-share)*ceil < floor {
		return 0
	}
	jw := jaroWinklerASCII(a, b)
	if share*jw+(1-share)*ceil < floor {
		return 0
	}
	return share*jw + (1-share)*osaASCII(a, b)
}
