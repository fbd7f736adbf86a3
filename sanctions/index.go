package sanctions

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/qorovul/qorovul/sanctions/fold"
)

// Index is an immutable, in-memory index of listed entities, safe for concurrent use.
type Index struct {
	version string
	folder  *fold.Folder
	params  Params
	listed  entityStore
	ents    []entInfo
	text    string   // the strings of ents, dobs, nats and utoks
	dobs    []dobRec // dates of birth: entity e's are ents[e].dobs
	nats    []span   // nationalities (ISO alpha-2) in text: entity e's are ents[e].nats
	names   []nameInfo
	byID    []int32 // entity numbers in order of list and id, for Entity

	// The parts of all names, flat: name n has parts [off, off+n) of each
	// part* slice. A part is its distinct token (utoks, shared by every name
	// that has the same word folded the same way: about 34,000 tokens for
	// 174,000 parts) and its separator. Nothing here or in nameInfo holds a
	// pointer but the few variant keys in alts, so the garbage collector,
	// which marks the whole index at every cycle, has next to nothing to do
	// here; nameTokens builds a name's tokens when screening needs them.
	utoks     []tokRec
	alts      []fold.Variant // the tokens' variant keys
	partTok   []int32        // index into utoks
	partSep   []fold.Sep
	partSimID []int32 // one id per distinct (word, role): equal ids score alike
	partW     []float32
	partMiss  []float32 // what leaving each part unmatched costs

	keys      keySet          // distinct folded keys (primary and variant) of listed name parts
	keyDF     []int32         // names whose primary keys include the key
	keyASCII  []bool          // the key is ASCII and short enough for the byte fast path
	postStart []int32         // postings of key i: post[postStart[i]:postStart[i+1]]
	post      []int32         // name ids
	grams     map[uint32]span // trigram → its keys' ids, a run of gramKeys
	gramKeys  []int32
	groups    map[string][]int32 // given-name group → keys in it
	logN      float64

	pool *sync.Pool // *scratch
}

// tokRec is a distinct fold.Token, without its Sep, as the index keeps it.
type tokRec struct {
	raw, key, via, group span // in Index.text
	alts                 span // a run of alts
	role                 fold.Role
	common               bool
}

// entInfo is what screening needs of an entity besides its names, as
// spans of Index.text, dobs and nats (no pointers for the collector to
// mark).
type entInfo struct {
	hash span // Entity.Hash
	dobs span
	nats span
}

// dobRec is a dateRange as the index keeps it.
type dobRec struct {
	from, to int32 // years
	exact    span  // "YYYY-MM-DD" in Index.text when the list gives a full date
}

type nameInfo struct {
	entity int32
	name   int32   // position in Entity.Names
	off    int32   // its parts: [off, off+n) of Index.part*
	n      int32   // how many parts
	total  float32 // sum of the parts' weights
	minDen float32 // the least the listed side of a coverage ratio can weigh (bounds)
	edges  uint16  // given name and surname (edgeMask), for individuals
}

// parts returns the index range of name n's parts.
func (n *nameInfo) parts() (int32, int32) { return n.off, n.off + n.n }

type dateRange struct {
	from, to int    // years
	exact    string // "YYYY-MM-DD" when the list gives a full date
}

// NewIndex builds an index of entities; version is the lists_version the index reports.
func NewIndex(entities []Entity, version string) (*Index, error) {
	f, err := fold.New()
	if err != nil {
		return nil, fmt.Errorf("load fold data: %w", err)
	}
	ix := &Index{
		version: version,
		folder:  f,
		params:  DefaultParams(),
		ents:    make([]entInfo, len(entities)),
		groups:  map[string][]int32{},
	}
	type posting struct{ key, name int32 }
	var posts []posting
	var df []int32
	var keys []string
	keyID := map[string]int32{}
	addKey := func(k string) int32 {
		id, ok := keyID[k]
		if !ok {
			id = int32(len(keys))
			keys = append(keys, k)
			keyID[k] = id
			df = append(df, 0)
		}
		return id
	}
	type tokKey struct {
		raw  string
		role fold.Role
	}
	tokID := map[tokKey]int32{}
	utokID := map[string]int32{}
	var utoks []fold.Token
	var toks []fold.Token
	var ukey []byte
	var text textBuilder
	var nats []string
	for ei := range entities {
		e := &entities[ei]
		info := &ix.ents[ei]
		info.hash = text.add(e.Hash())
		info.dobs.off = uint32(len(ix.dobs))
		for _, d := range e.DOBs {
			if r, ok := parseDate(d); ok {
				ix.dobs = append(ix.dobs, dobRec{from: int32(r.from), to: int32(r.to), exact: text.add(r.exact)})
			}
		}
		info.dobs.n = uint32(len(ix.dobs)) - info.dobs.off
		nats = nats[:0]
		for _, n := range e.Nationalities {
			if c := f.Country(n); c != "" && !slices.Contains(nats, c) {
				nats = append(nats, c)
			}
		}
		info.nats = span{uint32(len(ix.nats)), uint32(len(nats))}
		for _, c := range nats {
			ix.nats = append(ix.nats, text.add(c))
		}
		for ni, n := range e.Names {
			toks = f.Tokens(toks[:0], n.Full)
			if len(toks) == 0 {
				continue
			}
			id := int32(len(ix.names))
			off := int32(len(ix.partTok))
			for _, t := range toks {
				k := tokKey{t.Raw, t.Role}
				sid, ok := tokID[k]
				if !ok {
					sid = int32(len(tokID))
					tokID[k] = sid
				}
				ix.partSimID = append(ix.partSimID, sid)
				ix.partSep = append(ix.partSep, t.Sep)
				ukey = tokenKey(ukey[:0], &t)
				uid, ok := utokID[string(ukey)]
				if !ok {
					uid = int32(len(utoks))
					utokID[string(ukey)] = uid
					u := t
					u.Sep = 0
					utoks = append(utoks, u)
				}
				ix.partTok = append(ix.partTok, uid)
			}
			var edges uint16
			if e.Type == TypeIndividual || e.Type == TypeUnknown && !hasRole(toks, fold.RoleLegal) {
				edges = edgeMask(toks)
			}
			ix.names = append(ix.names, nameInfo{entity: int32(ei), name: int32(ni), off: off, n: int32(len(toks)), edges: edges})
			var seen [24]int32
			ns := 0
			for _, t := range toks {
				k := addKey(t.Key)
				if ns < len(seen) && !slices.Contains(seen[:ns], k) {
					df[k]++
					seen[ns] = k
					ns++
				}
				posts = append(posts, posting{k, id})
				for _, a := range t.Alts {
					posts = append(posts, posting{addKey(a.Key), id})
				}
			}
		}
	}
	ix.keyDF = df
	ix.logN = math.Log(float64(len(ix.names)) + 1)
	// postings, deduplicated, in name order
	sort.Slice(posts, func(i, j int) bool {
		if posts[i].key != posts[j].key {
			return posts[i].key < posts[j].key
		}
		return posts[i].name < posts[j].name
	})
	ix.postStart = make([]int32, len(keys)+1)
	ix.post = make([]int32, 0, len(posts))
	for i, p := range posts {
		if i > 0 && posts[i-1] == p {
			continue
		}
		ix.post = append(ix.post, p.name)
		ix.postStart[p.key+1] = int32(len(ix.post))
	}
	for k := 1; k < len(ix.postStart); k++ {
		if ix.postStart[k] < ix.postStart[k-1] {
			ix.postStart[k] = ix.postStart[k-1]
		}
	}
	ix.keyASCII = make([]bool, len(keys))
	for id, k := range keys {
		ix.keyASCII[id] = isASCII(k) && len(k) <= maxRunes
	}
	// trigrams and given-name groups over the keys
	grams := map[uint32][]int32{}
	for id, k := range keys {
		eachGram(k, func(g uint32) {
			l := grams[g]
			if len(l) == 0 || l[len(l)-1] != int32(id) {
				grams[g] = append(l, int32(id))
			}
		})
	}
	ix.grams = make(map[uint32]span, len(grams))
	for g, l := range grams {
		ix.grams[g] = span{uint32(len(ix.gramKeys)), uint32(len(l))}
		ix.gramKeys = append(ix.gramKeys, l...)
	}
	ix.keys = newKeySet(keys)
	ix.setTokens(&text, utoks)
	ix.text = text.String()
	for _, ui := range ix.partTok {
		t := &utoks[ui]
		if t.Group != "" && t.Role == fold.RoleName {
			id := keyID[t.Key]
			if l := ix.groups[t.Group]; !slices.Contains(l, id) {
				ix.groups[t.Group] = append(l, id)
			}
		}
	}
	ix.setWeights()
	if ix.listed, err = newEntityStore(entities); err != nil {
		return nil, fmt.Errorf("index entities: %w", err)
	}
	ix.byID = make([]int32, len(entities))
	for i := range ix.byID {
		ix.byID[i] = int32(i)
	}
	slices.SortStableFunc(ix.byID, func(a, b int32) int {
		return cmp.Or(strings.Compare(ix.listed.list(a), ix.listed.list(b)), strings.Compare(ix.listed.id(a), ix.listed.id(b)))
	})
	ix.pool = &sync.Pool{New: func() any { return ix.newScratch() }}
	return ix, nil
}

// eachGram calls fn with every trigram of "^key$" packed into a uint32 (bytes, so a
// non-ASCII letter spans more than one gram; that only widens retrieval).
func eachGram(k string, fn func(uint32)) {
	n := len(k) + 2
	at := func(i int) uint32 {
		switch {
		case i == 0:
			return '^'
		case i == n-1:
			return '$'
		}
		return uint32(k[i-1])
	}
	for i := 0; i+2 < n; i++ {
		fn(at(i)<<16 | at(i+1)<<8 | at(i+2))
	}
}

func (ix *Index) setWeights() {
	ix.partW = make([]float32, 0, len(ix.partTok))
	ix.partMiss = make([]float32, 0, len(ix.partTok))
	var toks []fold.Token
	for i := range ix.names {
		n := &ix.names[i]
		toks = ix.nameTokens(toks[:0], n)
		ix.partW, ix.partMiss, n.total = ix.weights(ix.partW, ix.partMiss, toks)
		w, miss := ix.partW[n.off:], ix.partMiss[n.off:]
		// each part counts its weight matched, its miss cost unmatched, and a patronymic
		// only a share of that against a query without one
		n.minDen = 0
		for j := range toks {
			d := w[j]
			if toks[j].Role == fold.RolePatronymic {
				d = min(d, float32(ix.params.MissingPatronymicFactor)*miss[j])
			}
			n.minDen += d
		}
	}
}

// setTokens keeps the distinct tokens as tokRecs, their strings in tb.
func (ix *Index) setTokens(tb *textBuilder, utoks []fold.Token) {
	ix.utoks = make([]tokRec, len(utoks))
	for i := range utoks {
		t := &utoks[i]
		ix.utoks[i] = tokRec{raw: tb.add(t.Raw), key: tb.add(t.Key), via: tb.add(t.Via), group: tb.add(t.Group),
			alts: span{uint32(len(ix.alts)), uint32(len(t.Alts))}, role: t.Role, common: t.Common}
		ix.alts = append(ix.alts, t.Alts...)
	}
}

// nameTokens appends name n's parts to dst as tokens. Their strings share
// the index's text, and their Alts the index's variants: read only.
func (ix *Index) nameTokens(dst []fold.Token, n *nameInfo) []fold.Token {
	from, to := n.parts()
	for j := from; j < to; j++ {
		r := &ix.utoks[ix.partTok[j]]
		t := fold.Token{Raw: r.raw.in(ix.text), Key: r.key.in(ix.text), Via: r.via.in(ix.text), Group: r.group.in(ix.text),
			Role: r.role, Common: r.common, Sep: ix.partSep[j]}
		if r.alts.n > 0 {
			t.Alts = run(ix.alts, r.alts)
		}
		dst = append(dst, t)
	}
	return dst
}

// tokenKey appends what identifies t apart from its separator.
func tokenKey(b []byte, t *fold.Token) []byte {
	for _, s := range [...]string{t.Raw, t.Key, t.Via, t.Group} {
		b = append(b, s...)
		b = append(b, 0)
	}
	b = append(b, byte(t.Role), 0)
	if t.Common {
		b[len(b)-1] = 1
	}
	for _, a := range t.Alts {
		b = append(b, a.Key...)
		b = append(b, 0)
		b = append(b, a.Via...)
		b = append(b, 0)
	}
	return b
}

// rarity is 1 for a name part no listed name has and falls towards 0 for the most frequent.
func (ix *Index) rarity(key string) float64 {
	id, ok := ix.keys.id(key)
	if !ok || ix.logN == 0 {
		return 1
	}
	df := float64(ix.keyDF[id])
	r := math.Log((float64(len(ix.names))+1)/(df+1)) / ix.logN
	return max(0, min(1, r))
}

// weight of a name part: what matching it earns, by its role, its rarity on the lists and
// corridor commonness; and its miss cost: what leaving it unmatched costs. A common part
// proves little when it matches, but a name that lacks it is no more the same name for
// that, so the miss cost ignores corridor commonness and has its own rarity floor
// (MissRarityFloor). The miss cost is never below the weight.
func (ix *Index) weight(t *fold.Token) (w, miss float64) {
	p := &ix.params
	var role float64
	switch t.Role {
	case fold.RolePatronymic:
		role = p.WeightPatronymic
	case fold.RoleInitial:
		role = p.WeightInitial
	case fold.RoleLegal:
		role = p.WeightLegal
	case fold.RoleParticle:
		role = p.WeightParticle
	default:
		role = 1
	}
	r := ix.rarity(t.Key)
	w = role * (p.RarityFloor + (1-p.RarityFloor)*r)
	if t.Common {
		w *= p.CommonFactor
	}
	miss = max(w, role*(p.MissRarityFloor+(1-p.MissRarityFloor)*r))
	return w, miss
}

// parseDate reads a list date: "YYYY-MM-DD", "YYYY-MM", "YYYY" or "YYYY/YYYY".
func parseDate(s string) (dateRange, bool) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, "/"); ok {
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		if err1 != nil || err2 != nil || a > b {
			return dateRange{}, false
		}
		return dateRange{from: a, to: b}, true
	}
	if len(s) < 4 {
		return dateRange{}, false
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 1000 {
		return dateRange{}, false
	}
	r := dateRange{from: y, to: y}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		r.exact = s
	}
	return r, true
}

// Version is the lists_version: "sha256:" over the list files and their publication dates.
func (ix *Index) Version() string { return ix.version }

// Len is the number of listed entities.
func (ix *Index) Len() int { return ix.listed.len() }

// Names is the number of indexed names (primary, aliases, original-script).
func (ix *Index) Names() int { return len(ix.names) }

// Entity returns the listed entity with the given list and id.
func (ix *Index) Entity(list, id string) (Entity, bool) {
	cmpKey := func(e int32, k [2]string) int {
		return cmp.Or(strings.Compare(ix.listed.list(e), k[0]), strings.Compare(ix.listed.id(e), k[1]))
	}
	k := [2]string{list, id}
	at, ok := slices.BinarySearchFunc(ix.byID, k, cmpKey)
	if !ok {
		return Entity{}, false
	}
	// The last entity with that list and id, should the lists repeat one.
	for at+1 < len(ix.byID) && cmpKey(ix.byID[at+1], k) == 0 {
		at++
	}
	return ix.listed.entity(int(ix.byID[at])), true
}

// Entities are the listed entities, in load order, built afresh for each
// call (the index keeps them in a compact form).
func (ix *Index) Entities() []Entity {
	out := make([]Entity, ix.listed.len())
	for i := range out {
		out[i] = ix.listed.entity(i)
	}
	return out
}
