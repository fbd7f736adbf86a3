package sanctions

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/qorovul/qorovul/sanctions/fold"
)

// Query is what is screened: a name and, when known, a date of birth ("YYYY-MM-DD" or
// "YYYY") and a nationality (ISO code or country name).
type Query struct {
	Name, DOB, Nationality string
}

// Match is one listed entry a query matched, with everything needed to explain it.
type Match struct {
	List, EntryID, Name, Query string  // Name = the listed name that hit
	Score                      float64 // 0..1
	Via                        string  // how it hit, e.g. "translit:ru-icao усманов→usmanov~usmanov"
	EntryHash, QueryKey        string  // stable fingerprint of the entry; normalised query
}

// maxQueryParts bounds the parts of a query used for retrieval (a bit per part in a mask).
const maxQueryParts = 16

type scratch struct {
	toks      []fold.Token
	ctoks     []fold.Token // a listed name's parts (Index.nameTokens)
	qw, qmiss []float32
	keyHits   []uint8   // per key: trigrams shared with the query part
	keyBest   []float32 // per key: best credit for the current query part
	keyTouch  []int32
	gramTouch []int32
	cands     []keyCand
	acc       []float32 // per name: retrieved query weight
	mask      []uint16  // per name: query parts already counted
	nameSeen  []int32
	entBest   []float32 // per entity: best name score
	entName   []int32
	entSeen   []int32
	cache     simCache
}

type keyCand struct {
	key    int32
	credit float32
}

func (ix *Index) newScratch() *scratch {
	return &scratch{
		keyHits: make([]uint8, ix.keys.len()),
		keyBest: make([]float32, ix.keys.len()),
		acc:     make([]float32, len(ix.names)),
		mask:    make([]uint16, len(ix.names)),
		entBest: make([]float32, ix.listed.len()),
		entName: make([]int32, ix.listed.len()),
	}
}

// Screen returns the entries q matches at or above DefaultReviewThreshold, best first.
// It is safe for concurrent use.
func (ix *Index) Screen(q Query) []Match { return ix.ScreenAt(q, DefaultReviewThreshold) }

// ScreenAt returns the entries q matches with a score of at least min, best first.
func (ix *Index) ScreenAt(q Query, min float64) []Match {
	s := ix.pool.Get().(*scratch)
	defer ix.pool.Put(s)
	defer s.cache.reset()
	s.toks = ix.folder.Tokens(s.toks[:0], q.Name)
	if len(s.toks) == 0 {
		return nil
	}
	toks := s.toks
	var qtotal float32
	s.qw, s.qmiss, qtotal = ix.weights(s.qw[:0], s.qmiss[:0], toks)
	if qtotal <= 0 {
		return nil
	}
	qs := side{toks: toks, w: s.qw, miss: s.qmiss, total: qtotal}
	p := &ix.params
	maxBonus := p.DOBExactBonus + p.NationalityBonus
	// query weight no retrieval can find (initials, particles, forms): assume it matches
	var unretrieved float32
	retrieved := false
	for i := range toks {
		if i >= maxQueryParts || !retrievable(&toks[i]) {
			unretrieved += s.qw[i]
			continue
		}
		retrieved = true
		ix.retrieve(s, &toks[i])
		bit := uint16(1) << i
		for _, kc := range s.cands {
			add := s.qw[i] * kc.credit
			for _, n := range ix.post[ix.postStart[kc.key]:ix.postStart[kc.key+1]] {
				if s.mask[n]&bit != 0 {
					continue
				}
				if s.mask[n] == 0 {
					s.nameSeen = append(s.nameSeen, n)
				}
				s.mask[n] |= bit
				s.acc[n] += add
			}
		}
	}
	if !retrieved {
		return nil
	}
	// parts the listed name can lose to the query: particles match particles (al, bin, de),
	// so they do not widen what a query can cover on the listed side
	nq := 0
	for i := range toks {
		if toks[i].Role != fold.RoleParticle {
			nq++
		}
	}
	// score <= upper^QueryExp + maxBonus, so names below qFloor cannot reach min (miss costs
	// are at least the weights, so these coverage bounds hold)
	qFloor := 0.0
	if min > maxBonus {
		qFloor = math.Pow(min-maxBonus, 1/p.QueryExp)
	}
	for _, n := range s.nameSeen {
		upper := float64(s.acc[n]+unretrieved) / float64(qtotal)
		s.acc[n], s.mask[n] = 0, 0
		if upper < qFloor {
			continue
		}
		ni := &ix.names[n]
		// the listed side can at best match its nq heaviest parts
		cUpper := ix.topWeight(ni, nq) / float64(ni.minDen)
		if math.Pow(min1(upper), p.QueryExp)*math.Pow(min1(cUpper), p.ListedExp)+maxBonus < min {
			continue
		}
		var al alignment
		cs := ix.listedSide(s, ni)
		sc := ix.scoreParts(&qs, &cs, &al, ix.partSimID[ni.off:ni.off+ni.n], &s.cache)
		if ix.listed.name(ni.entity, ni.name).kind == NameWeak {
			sc *= p.WeakFactor
		}
		if sc+maxBonus < min {
			continue
		}
		e := ni.entity
		if s.entBest[e] == 0 {
			s.entSeen = append(s.entSeen, e)
		}
		if float32(sc) > s.entBest[e] {
			s.entBest[e], s.entName[e] = float32(sc), n
		}
	}
	s.nameSeen = s.nameSeen[:0]
	var out []Match
	qd, qdOK := parseQueryDOB(q.DOB)
	qnat := ""
	if q.Nationality != "" {
		qnat = ix.folder.Country(q.Nationality)
	}
	person := qdOK
	for i := range toks {
		person = person || toks[i].Role == fold.RolePatronymic
	}
	for _, e := range s.entSeen {
		sc := float64(s.entBest[e])
		n := s.entName[e]
		s.entBest[e] = 0
		if t := ix.listed.typ(e); person && t != TypeIndividual && t != TypeUnknown {
			sc *= p.NonPersonFactor
		}
		sc += ix.adjust(&ix.ents[e], qd, qdOK, qnat)
		sc = max(0, min1(sc))
		if sc < min {
			continue
		}
		ni := &ix.names[n]
		var al alignment
		cs := ix.listedSide(s, ni)
		ix.scoreParts(&qs, &cs, &al, ix.partSimID[ni.off:ni.off+ni.n], &s.cache)
		out = append(out, Match{
			List: ix.listed.list(e), EntryID: ix.listed.id(e), Name: ix.listed.str(ix.listed.name(e, ni.name).full), Query: q.Name,
			Score: math.Round(sc*1000) / 1000, Via: explain(toks, cs.toks, &al),
			EntryHash: ix.ents[e].hash.in(ix.text),
		})
	}
	s.entSeen = s.entSeen[:0]
	if len(out) == 0 {
		return nil
	}
	qk := fold.QueryKey(toks)
	for i := range out {
		out[i].QueryKey = qk
	}
	slices.SortFunc(out, func(a, b Match) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if a.List != b.List {
			return strings.Compare(a.List, b.List)
		}
		return strings.Compare(a.EntryID, b.EntryID)
	})
	return out
}

func min1(x float64) float64 { return min(1, x) }

func retrievable(t *fold.Token) bool {
	return t.Role == fold.RoleName || t.Role == fold.RolePatronymic
}

// retrieve fills s.cands with the listed keys similar to query part t, best credit first.
func (ix *Index) retrieve(s *scratch, t *fold.Token) {
	s.cands = s.cands[:0]
	consider := func(id int32, credit float32) {
		if credit <= 0 {
			return
		}
		if s.keyBest[id] == 0 {
			s.keyTouch = append(s.keyTouch, id)
		}
		if credit > s.keyBest[id] {
			s.keyBest[id] = credit
		}
	}
	p := &ix.params
	ix.fuzzyKeys(s, t.Key, 1, consider)
	for _, a := range t.Alts {
		// surname stems retrieve too widely (every Karim for Karimov); the full keys and the
		// scorer find stem matches among what the other parts retrieve
		if !isSuffixStem(a.Via) {
			ix.fuzzyKeys(s, a.Key, variantFactor(p, a.Via), consider)
		}
	}
	if t.Group != "" && t.Role == fold.RoleName {
		for _, id := range ix.groups[t.Group] {
			consider(id, float32(ix.credit(p.EquivalentSimilarity)))
		}
	}
	for _, id := range s.keyTouch {
		s.cands = append(s.cands, keyCand{id, s.keyBest[id]})
		s.keyBest[id] = 0
	}
	s.keyTouch = s.keyTouch[:0]
	slices.SortFunc(s.cands, func(a, b keyCand) int {
		switch {
		case a.credit > b.credit:
			return -1
		case a.credit < b.credit:
			return 1
		}
		return int(a.key - b.key)
	})
}

// fuzzyKeys finds listed keys sharing enough trigrams with k and scores them by letters.
func (ix *Index) fuzzyKeys(s *scratch, k string, factor float64, consider func(int32, float32)) {
	if id, ok := ix.keys.id(k); ok {
		consider(id, float32(ix.credit(factor)))
	}
	ng := 0
	touched := s.gramTouch[:0]
	eachGram(k, func(g uint32) {
		ng++
		for _, id := range run(ix.gramKeys, ix.grams[g]) {
			if s.keyHits[id] == 0 {
				touched = append(touched, id)
			}
			if s.keyHits[id] < 255 {
				s.keyHits[id]++
			}
		}
	})
	// a key within letter-similarity reach shares about half its trigrams with k
	need := uint8(max(1, int(float64(ng)*ix.params.MinGramShare+0.5)))
	p := &ix.params
	floor := p.MinPartSimilarity / factor
	kASCII := isASCII(k) && len(k) <= maxRunes
	for _, id := range touched {
		hits := s.keyHits[id]
		s.keyHits[id] = 0
		if hits < need {
			continue
		}
		key := ix.keys.key(id)
		var sim float64
		if kASCII && ix.keyASCII[id] {
			sim = letterSimASCII(k, key, p.JWShare, floor)
			if sim > maxSuffixSim && len(k) != len(key) && suffixPair(k, key) {
				sim = maxSuffixSim
			}
		} else {
			sim = keySim(p, k, key)
		}
		consider(id, float32(ix.credit(factor*sim)))
	}
	s.gramTouch = touched[:0]
}

func suffixPair(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return fold.SurnameSuffix(a, b) != ""
}

// listedSide is listed name n as one side of a comparison; its tokens are
// built in s.ctoks, valid until the next call with s.
func (ix *Index) listedSide(s *scratch, n *nameInfo) side {
	s.ctoks = ix.nameTokens(s.ctoks[:0], n)
	from, to := n.parts()
	return side{toks: s.ctoks, w: ix.partW[from:to], miss: ix.partMiss[from:to], total: n.total, edges: n.edges}
}

// topWeight is the sum of the k heaviest of name n's part weights.
func (ix *Index) topWeight(n *nameInfo, k int) float64 {
	if k >= int(n.n) {
		return float64(n.total)
	}
	k = min(k, maxParts) // the alignment matches at most maxParts parts
	var top [maxParts]float32
	m := 0
	from, to := n.parts()
	for _, w := range ix.partW[from:to] {
		// insertion into the k largest
		if m < k {
			top[m] = w
			m++
		} else if w > top[m-1] {
			top[m-1] = w
		} else {
			continue
		}
		for j := m - 1; j > 0 && top[j] > top[j-1]; j-- {
			top[j], top[j-1] = top[j-1], top[j]
		}
	}
	var sum float64
	for _, w := range top[:m] {
		sum += float64(w)
	}
	return sum
}

// queryDate is a parsed query date of birth.
type queryDate struct {
	year  int
	exact string
}

func parseQueryDOB(s string) (queryDate, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 4 {
		return queryDate{}, false
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil {
		return queryDate{}, false
	}
	d := queryDate{year: y}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		d.exact = s
	}
	return d, true
}

// adjust moves a name score by date of birth and nationality when both sides have them.
func (ix *Index) adjust(e *entInfo, qd queryDate, qdOK bool, qnat string) float64 {
	p := &ix.params
	var adj float64
	if qdOK && e.dobs.n > 0 {
		best := math.MaxInt
		exact := false
		for _, r := range run(ix.dobs, e.dobs) {
			if qd.exact != "" && r.exact.in(ix.text) == qd.exact {
				exact = true
			}
			var d int
			switch from, to := int(r.from), int(r.to); {
			case qd.year < from:
				d = from - qd.year
			case qd.year > to:
				d = qd.year - to
			}
			best = min(best, d)
		}
		switch {
		case exact:
			adj += p.DOBExactBonus
		case best == 0:
			adj += p.DOBYearBonus
		case best > 1:
			adj -= p.DOBMismatchPenalty
		}
	}
	if qnat != "" && e.nats.n > 0 {
		if slices.ContainsFunc(run(ix.nats, e.nats), func(c span) bool { return c.in(ix.text) == qnat }) {
			adj += p.NationalityBonus
		} else {
			adj -= p.NationalityPenalty
		}
	}
	return adj
}
