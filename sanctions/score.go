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
		if !stemMeets(a.Alts[i].Via, b) {
			continue
		}
		sa := isSuffixStem(a.Alts[i].Via)
		f := variantFactor(p, a.Alts[i].Via)
		if !sa {
			if s := f * keySim(p, a.Alts[i].Key, b.Key); s > best {
				best, bh, ba, bb = s, howAlt, int8(i), -1
			}
		}
		for j := range b.Alts {
			if sa != isSuffixStem(b.Alts[j].Via) || !stemMeets(b.Alts[j].Via, a) {
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
		if isSuffixStem(b.Alts[j].Via) || !stemMeets(b.Alts[j].Via, a) {
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
	if a.Group != "" && b.Group != "" && a.Role == fold.RoleName && b.Role == fold.RoleName {
		// two known given names of different groups are different names, however alike
		// they are spelt (Aleksei, Aleksandr; Yusuf, Yunus)
		return min(best, maxSuffixSim), bh, ba, bb
	}
	return best, bh, ba, bb
}

// maxSuffixSim caps the similarity of a name and the surname made of it (Ali/Aliyev,
// Yusuf/Yusufov, Karim/Karimova, Pavlov/Pavlovski) and of two given names known to be
// different (Aleksei/Aleksandr): they are different names. It is below MinPartSimilarity.
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

// stemMeets tells whether a variant reached by via may be compared with other: a patronymic
// stem (Davidovich → david) only with another patronymic (Burkhanovich, Burxon o'g'li), never
// with a person's own name (David Mitchell is not Mikhail Davidovich).
func stemMeets(via string, other *fold.Token) bool {
	return other.Role == fold.RolePatronymic || !strings.HasPrefix(via, "patronymic:")
}

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

// side is one name being compared: its parts, their weights (what a match on each earns),
// their miss costs (what leaving each unmatched costs) and which parts are edges.
type side struct {
	toks  []fold.Token
	w     []float32
	miss  []float32
	total float32 // sum of w
	edges uint16  // parts that are the given name or the surname (see edgeMask)
}

// scoreParts scores a query against one listed name: parts aligned greedily by similarity
// in any order, then coverage of both sides. A matched part counts its weight on both sides
// of the coverage ratio; an unmatched part counts its miss cost in the denominator only,
// more when it is a listed edge (a given name or surname the query does not have). A part
// matched inside a compound (Pridmore-Smith) whose other parts stay unmatched earns, on the
// other side, only the compound's matched share.
// cache (may be nil) remembers part similarities within one Screen call, keyed by query part
// and listed part id (ctoks, parallel to c.toks).
func (ix *Index) scoreParts(qs, cs *side, al *alignment, ctoks []int32, cache *simCache) float64 {
	q, c := qs.toks, cs.toks
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
		al.pairs[al.n] = pair{q: int8(bi), c: int8(bj), sim: bs, how: hows[bi][bj],
			qa: alts[bi][bj][0], ca: alts[bi][bj][1]}
		al.n++
	}
	if qs.total <= 0 || cs.total <= 0 {
		return 0
	}
	// compounds matched in part: the other side's parts matched into them earn the share
	var qShare, cShare [maxParts]float32 // per query / listed part
	for i := range qShare {
		qShare[i], cShare[i] = 1, 1
	}
	cPartial := partialCompounds(c[:nc], cs.w, &usedC, &cShare)
	partialCompounds(q[:nq], qs.w, &usedQ, &qShare)
	var qcov, ccov, qden, cden float64
	for _, pr := range al.pairs[:al.n] {
		cr := ix.credit(float64(pr.sim))
		// cShare[c] is the share of c's compound that matched: it discounts the query part
		qcov += cr * float64(cShare[pr.c]*qs.w[pr.q])
		ccov += cr * float64(qShare[pr.q]*cs.w[pr.c])
	}
	for i := range q {
		if i < nq && usedQ[i] {
			qden += float64(qs.w[i])
		} else {
			qden += float64(qs.miss[i])
		}
	}
	// a query that gives no patronymic is not a different person for lacking the listed one
	noPatronymic := !hasRole(q, fold.RolePatronymic)
	for j := range c {
		switch {
		case j < nc && usedC[j]:
			cden += float64(cs.w[j])
		case j < nc && noPatronymic && c[j].Role == fold.RolePatronymic:
			cden += ix.params.MissingPatronymicFactor * float64(cs.miss[j])
		case j < nc && cs.edges&(1<<j) != 0 && cPartial&(1<<j) == 0:
			cden += ix.params.EdgeFactor * float64(cs.miss[j])
		default:
			cden += float64(cs.miss[j])
		}
	}
	qc, cc := qcov/qden, ccov/cden
	score := math.Pow(qc, ix.params.QueryExp) * math.Pow(cc, ix.params.ListedExp)
	if len(q) != len(c) {
		if s := ix.joinedSim(q, c); s > score {
			score = s
			al.n = -1 // matched as one run of letters
		}
	}
	return score
}

// partialCompounds finds the compounds of toks (words joined by hyphens) that are matched in
// part, sets share[i] of each of their matched parts to the matched share of the compound's
// weight, and returns the compounds' unmatched parts as a bit mask. Particles and
// organisation forms (al-, bin-, -LLC) do not count as parts of a compound.
func partialCompounds(toks []fold.Token, w []float32, used *[maxParts]bool, share *[maxParts]float32) uint16 {
	var unmatched uint16
	for s := 0; s < len(toks); {
		e := s + 1
		for e < len(toks) && toks[e].Sep == fold.SepHyphen {
			e++
		}
		if e-s > 1 {
			var tot, got float32
			for i := s; i < e; i++ {
				if r := toks[i].Role; r == fold.RoleParticle || r == fold.RoleLegal {
					continue
				}
				tot += w[i]
				if used[i] {
					got += w[i]
				}
			}
			if got > 0 && got < tot {
				for i := s; i < e; i++ {
					if r := toks[i].Role; r == fold.RoleParticle || r == fold.RoleLegal {
						continue
					}
					if used[i] {
						share[i] = got / tot
					} else {
						unmatched |= 1 << i
					}
				}
			}
		}
		s = e
	}
	return unmatched
}

// edgeMask marks the parts of a person's listed name that identify them most: the given name
// and the surname. Written "SURNAME, Given Middle", they are the name parts before the comma
// and the first one after it; otherwise the first and the last name part. A compound counts
// whole (PRIDMORE-SMITH). Middle names, patronymics, initials and particles are not edges: a
// query may leave them out at little cost, but not a given name or surname.
func edgeMask(toks []fold.Token) uint16 {
	n := min(len(toks), maxParts)
	comma := -1
	for j := 1; j < n; j++ {
		if toks[j].Sep == fold.SepComma {
			comma = j
			break
		}
	}
	var m uint16
	mark := func(j int) { // j and the compound it belongs to
		if j < 0 {
			return
		}
		s, e := j, j+1
		for s > 0 && toks[s].Sep == fold.SepHyphen {
			s--
		}
		for e < n && toks[e].Sep == fold.SepHyphen {
			e++
		}
		for i := s; i < e; i++ {
			if toks[i].Role == fold.RoleName {
				m |= 1 << i
			}
		}
	}
	nextName := func(from int) int {
		for j := from; j < n; j++ {
			if toks[j].Role == fold.RoleName {
				return j
			}
		}
		return -1
	}
	if comma > 0 {
		for j := 0; j < comma; j++ {
			if toks[j].Role == fold.RoleName {
				m |= 1 << j
			}
		}
		mark(nextName(comma))
		return m
	}
	mark(nextName(0))
	for j := n - 1; j >= 0; j-- {
		if toks[j].Role == fold.RoleName {
			mark(j)
			break
		}
	}
	return m
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
// dates or nationality: the pairwise form of Screen, for evaluation and tests. The listed
// name is taken for a person's unless it has an organisation form (LLC, AG…).
func (ix *Index) ScoreNames(query, listed string) (float64, string) {
	q := ix.folder.Tokens(nil, query)
	c := ix.folder.Tokens(nil, listed)
	if len(q) == 0 || len(c) == 0 {
		return 0, ""
	}
	qs := side{toks: q}
	qs.w, qs.miss, qs.total = ix.weights(nil, nil, q)
	cs := side{toks: c}
	cs.w, cs.miss, cs.total = ix.weights(nil, nil, c)
	if !hasRole(c, fold.RoleLegal) {
		cs.edges = edgeMask(c)
	}
	var al alignment
	s := ix.scoreParts(&qs, &cs, &al, nil, nil)
	return s, explain(q, c, &al)
}

// weights appends the weight and the miss cost of each part to w and miss.
func (ix *Index) weights(w, miss []float32, toks []fold.Token) ([]float32, []float32, float32) {
	var total float32
	for i := range toks {
		x, m := ix.weight(&toks[i])
		w = append(w, float32(x))
		miss = append(miss, float32(m))
		total += float32(x)
	}
	return w, miss, total
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
