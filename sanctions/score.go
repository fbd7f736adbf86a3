package sanctions

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/qorovul/qorovul/sanctions/fold"
)

// maxParts bounds the name parts aligned per side; longer names keep their first maxParts
// parts in the alignment and the rest count as unmatched.
const maxParts = 12

// how a pair of parts matched
type how uint8

const (
	howNone    how = iota
	howExact       // same key
	howFuzzy       // letter similarity of the keys
	howEquiv       // given-name equivalents
	howInitial     // an initial and the part it begins
	howAlt         // through a variant key (transliteration scheme, x=kh, suffix, patronymic stem)
)

type pair struct {
	q, c   int8
	sim    float32
	how    how
	qa, ca int8 // variant used on each side, -1 for the primary key
}

type alignment struct {
	pairs [maxParts]pair
	n     int
}

// partSim is the similarity of two name parts and how it was reached.
func (ix *Index) partSim(a, b *fold.Token) (float64, how, int8, int8) {
	p := &ix.params
	if a.Role == fold.RoleInitial || b.Role == fold.RoleInitial {
		if a.Key == b.Key {
			return 1, howExact, -1, -1
		}
		ra, _ := utf8.DecodeRuneInString(a.Key)
		rb, _ := utf8.DecodeRuneInString(b.Key)
		if ra == rb {
			return p.InitialSimilarity, howInitial, -1, -1
		}
		return 0, howNone, -1, -1
	}
	if a.Role == fold.RoleLegal || b.Role == fold.RoleLegal {
		if a.Key == b.Key || (a.Group != "" && a.Group == b.Group) {
			return 1, howExact, -1, -1
		}
		return 0, howNone, -1, -1
	}
	if a.Key == b.Key {
		return 1, howExact, -1, -1
	}
	best, bh, ba, bb := keySim(p, a.Key, b.Key), howFuzzy, int8(-1), int8(-1)
	for i := range a.Alts {
		sa := isSuffixStem(a.Alts[i].Via)
		f := variantFactor(p, a.Alts[i].Via)
		if !sa {
			if s := f * keySim(p, a.Alts[i].Key, b.Key); s > best {
				best, bh, ba, bb = s, howAlt, int8(i), -1
			}
		}
		for j := range b.Alts {
			if sa != isSuffixStem(b.Alts[j].Via) {
				continue // a surname stem meets only another surname stem
			}
			f2 := f * variantFactor(p, b.Alts[j].Via)
			if sa {
				f2 = p.VariantFactor
			}
			if s := f2 * keySim(p, a.Alts[i].Key, b.Alts[j].Key); s > best {
				best, bh, ba, bb = s, howAlt, int8(i), int8(j)
			}
		}
	}
	for j := range b.Alts {
		if isSuffixStem(b.Alts[j].Via) {
			continue
		}
		f := variantFactor(p, b.Alts[j].Via)
		if s := f * keySim(p, a.Key, b.Alts[j].Key); s > best {
			best, bh, ba, bb = s, howAlt, -1, int8(j)
		}
	}
	if a.Group != "" && a.Group == b.Group {
		return max(p.EquivalentSimilarity, best), howEquiv, -1, -1
	}
	return best, bh, ba, bb
}

// maxSuffixSim caps the similarity of a name and the surname made of it (Ali/Aliyev,
// Yusuf/Yusufov, Karim/Karimova): they are different names.
const maxSuffixSim = 0.7

// keySim is the letter similarity of two keys, capped for a name and its surname form.
func keySim(p *Params, a, b string) float64 {
	s := letterSimAtLeast(a, b, p.JWShare, p.MinPartSimilarity*0.9)
	if s > maxSuffixSim {
		if len(a) > len(b) {
			a, b = b, a
		}
		if fold.SurnameSuffix(a, b) != "" {
			return maxSuffixSim
		}
	}
	return s
}

func isSuffixStem(via string) bool { return strings.HasPrefix(via, "suffix:") }

// variantFactor: transliteration schemes and x=kh are as good as the primary key; suffix and
// patronymic stems are a step away.
func variantFactor(p *Params, via string) float64 {
	if strings.HasPrefix(via, "suffix:") || strings.HasPrefix(via, "patronymic:") {
		return p.VariantFactor
	}
	return 1
}

// credit turns a part similarity into the share of the part's weight it earns.
func (ix *Index) credit(sim float64) float64 {
	if sim < ix.params.MinPartSimilarity {
		return 0
	}
	return max(0, 1-ix.params.Slope*(1-sim))
}

// scoreParts scores a query against one listed name: parts aligned greedily by similarity
// in any order, then coverage of both sides weighted by part weights.
// cache (may be nil) remembers part similarities within one Screen call, keyed by query part
// and listed part id (ctoks, parallel to c).
func (ix *Index) scoreParts(q []fold.Token, qw []float32, qtotal float32,
	c []fold.Token, cw []float32, ctotal float32, al *alignment, ctoks []int32, cache *simCache) float64 {
	nq, nc := min(len(q), maxParts), min(len(c), maxParts)
	var sims [maxParts][maxParts]float32
	var hows [maxParts][maxParts]how
	var alts [maxParts][maxParts][2]int8
	for i := 0; i < nq; i++ {
		for j := 0; j < nc; j++ {
			if cache != nil {
				k := uint64(i)<<32 | uint64(uint32(ctoks[j]))
				if e, ok := cache.get(k); ok {
					sims[i][j], hows[i][j], alts[i][j] = e.sim, e.how, [2]int8{e.qa, e.ca}
					continue
				}
				s, h, a, b := ix.partSim(&q[i], &c[j])
				sims[i][j], hows[i][j], alts[i][j] = float32(s), h, [2]int8{a, b}
				cache.put(k, cacheEntry{sim: float32(s), how: h, qa: a, ca: b})
				continue
			}
			s, h, a, b := ix.partSim(&q[i], &c[j])
			sims[i][j], hows[i][j], alts[i][j] = float32(s), h, [2]int8{a, b}
		}
	}
	var usedQ, usedC [maxParts]bool
	minSim := float32(ix.params.MinPartSimilarity)
	var qcov, ccov float64
	al.n = 0
	for {
		bi, bj, bs := -1, -1, minSim
		for i := 0; i < nq; i++ {
			if usedQ[i] {
				continue
			}
			for j := 0; j < nc; j++ {
				if !usedC[j] && sims[i][j] >= bs && (bi < 0 || sims[i][j] > bs) {
					bi, bj, bs = i, j, sims[i][j]
				}
			}
		}
		if bi < 0 {
			break
		}
		usedQ[bi], usedC[bj] = true, true
		cr := ix.credit(float64(bs))
		qcov += cr * float64(qw[bi])
		ccov += cr * float64(cw[bj])
		al.pairs[al.n] = pair{q: int8(bi), c: int8(bj), sim: bs, how: hows[bi][bj],
			qa: alts[bi][bj][0], ca: alts[bi][bj][1]}
		al.n++
	}
	if qtotal <= 0 || ctotal <= 0 {
		return 0
	}
	// a query that gives no patronymic is not a different person for lacking the listed one
	ct := float64(ctotal)
	if !hasRole(q, fold.RolePatronymic) {
		for j := 0; j < nc; j++ {
			if !usedC[j] && c[j].Role == fold.RolePatronymic {
				ct -= (1 - ix.params.MissingPatronymicFactor) * float64(cw[j])
			}
		}
	}
	qc, cc := qcov/float64(qtotal), ccov/ct
	score := math.Pow(qc, ix.params.QueryExp) * math.Pow(cc, ix.params.ListedExp)
	if len(q) != len(c) {
		if s := ix.joinedSim(q, c); s > score {
			score = s
			al.n = -1 // matched as one run of letters
		}
	}
	return score
}

func hasRole(toks []fold.Token, r fold.Role) bool {
	for i := range toks {
		if toks[i].Role == r {
			return true
		}
	}
	return false
}

// joinedSim compares the names as single runs of letters, for names written without spaces
// ("SergeiLavrov") or split differently ("Mohammad Hasni" / "Mohammadhasni").
func (ix *Index) joinedSim(q, c []fold.Token) float64 {
	var ba, bb [maxRunes]byte
	a, b := joinKeys(ba[:0], q), joinKeys(bb[:0], c)
	if len(a) < 8 || len(b) < 8 {
		return 0
	}
	// the edit ratio, not Jaro-Winkler: a long shared beginning must not carry an extra word
	s := osaRatio(string(a), string(b))
	if s < 0.9 {
		return 0
	}
	return ix.credit(s) * 0.95
}

func joinKeys(dst []byte, toks []fold.Token) []byte {
	for _, t := range toks {
		if t.Role == fold.RoleParticle || t.Role == fold.RoleLegal {
			continue
		}
		if len(dst)+len(t.Key) > cap(dst) {
			break
		}
		dst = append(dst, t.Key...)
	}
	return dst
}

// explain describes how an alignment matched, for Match.Via.
func explain(q, c []fold.Token, al *alignment) string {
	if al.n < 0 {
		return "joined:" + keysOf(q) + "~" + keysOf(c)
	}
	var parts []string
	for _, p := range al.pairs[:al.n] {
		qt, ct := &q[p.q], &c[p.c]
		qk, ck := qt.Key, ct.Key
		qvia := qt.Via
		if p.qa >= 0 {
			qk, qvia = qt.Alts[p.qa].Key, qt.Alts[p.qa].Via
		}
		if p.ca >= 0 {
			ck = ct.Alts[p.ca].Key
			if !strings.HasPrefix(qvia, "translit:") {
				qvia = ct.Alts[p.ca].Via
			}
		}
		switch p.how {
		case howEquiv:
			parts = append(parts, "equiv:"+qt.Raw+"~"+ct.Raw)
		case howInitial:
			parts = append(parts, "initial:"+qt.Raw+"~"+ct.Raw)
		case howExact, howFuzzy, howAlt:
			switch {
			case strings.HasPrefix(qvia, "translit:"):
				parts = append(parts, qvia+" "+qt.Raw+"→"+qk+"~"+ck)
			case qvia != "":
				parts = append(parts, qvia+" "+qk+"~"+ck)
			case qk != ck:
				parts = append(parts, "fuzzy:"+qk+"~"+ck)
			case !strings.EqualFold(qt.Raw, ct.Raw) && !strings.EqualFold(latinNoMarks(qt.Raw), latinNoMarks(ct.Raw)):
				parts = append(parts, "variant:"+qt.Raw+"~"+ct.Raw)
			}
		}
	}
	if len(parts) == 0 {
		return "exact"
	}
	return strings.Join(parts, "; ")
}

// latinNoMarks is for explanations only: it drops apostrophes so o'g'li reads as ogli.
func latinNoMarks(s string) string { return strings.ReplaceAll(s, "'", "") }

func keysOf(toks []fold.Token) string {
	keys := make([]string, 0, len(toks))
	for _, t := range toks {
		keys = append(keys, t.Key)
	}
	return strings.Join(keys, " ")
}

// ScoreNames scores query against one listed name with this index's part weights, without
// dates or nationality: the pairwise form of Screen, for evaluation and tests.
func (ix *Index) ScoreNames(query, listed string) (float64, string) {
	q := ix.folder.Tokens(nil, query)
	c := ix.folder.Tokens(nil, listed)
	if len(q) == 0 || len(c) == 0 {
		return 0, ""
	}
	qw, qt := ix.weights(nil, q)
	cw, ct := ix.weights(nil, c)
	var al alignment
	s := ix.scoreParts(q, qw, qt, c, cw, ct, &al, nil, nil)
	return s, explain(q, c, &al)
}

func (ix *Index) weights(dst []float32, toks []fold.Token) ([]float32, float32) {
	var total float32
	for i := range toks {
		w := float32(ix.weight(&toks[i]))
		dst = append(dst, w)
		total += w
	}
	return dst, total
}

// simCache is a fixed-size open-addressing table of part similarities for one Screen call;
// when it fills up it stops remembering (scores are computed either way).
type simCache struct {
	slots [simCacheSize]cacheEntry
	used  []uint32 // occupied slots, for reset
}

const simCacheSize = 1 << 14

type cacheEntry struct {
	key    uint64 // query part << 32 | listed part id, plus one so that 0 means empty
	sim    float32
	how    how
	qa, ca int8
}

func (c *simCache) get(k uint64) (cacheEntry, bool) {
	k++
	for i := uint32(hash64(k)) & (simCacheSize - 1); ; i = (i + 1) & (simCacheSize - 1) {
		e := c.slots[i]
		if e.key == k {
			return e, true
		}
		if e.key == 0 {
			return cacheEntry{}, false
		}
	}
}

func (c *simCache) put(k uint64, e cacheEntry) {
	if len(c.used) >= simCacheSize/2 {
		return
	}
	k++
	e.key = k
	for i := uint32(hash64(k)) & (simCacheSize - 1); ; i = (i + 1) & (simCacheSize - 1) {
		if c.slots[i].key == 0 {
			c.slots[i] = e
			c.used = append(c.used, i)
			return
		}
		if c.slots[i].key == k {
			return
		}
	}
}

func (c *simCache) reset() {
	for _, i := range c.used {
		c.slots[i] = cacheEntry{}
	}
	c.used = c.used[:0]
}

func hash64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}
