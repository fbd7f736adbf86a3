package sanctions

import (
	"hash/maphash"
	"math/bits"
)

// keySet is the index's distinct folded keys: their text in one string and
// an open-addressing table from key to id. Neither holds a pointer for the
// garbage collector to mark, where a []string and a map[string]int32 held
// two for each of the 31,000 keys.
type keySet struct {
	text  string
	spans []span
	table []int32 // id+1, or 0 for an empty slot; its length is a power of two
	seed  maphash.Seed
}

func newKeySet(keys []string) keySet {
	var tb textBuilder
	ks := keySet{spans: make([]span, len(keys)), seed: maphash.MakeSeed()}
	for i, k := range keys {
		ks.spans[i] = tb.add(k)
	}
	ks.text = tb.String()
	ks.table = make([]int32, 1<<bits.Len(uint(2*len(keys)+1)))
	mask := uint64(len(ks.table) - 1)
	for i, k := range keys {
		h := maphash.String(ks.seed, k) & mask
		for ks.table[h] != 0 {
			h = (h + 1) & mask
		}
		ks.table[h] = int32(i) + 1
	}
	return ks
}

func (ks *keySet) len() int { return len(ks.spans) }

// key is the key with the given id.
func (ks *keySet) key(id int32) string {
	return ks.spans[id].in(ks.text)
}

// id is k's id, if k is a key.
func (ks *keySet) id(k string) (int32, bool) {
	mask := uint64(len(ks.table) - 1)
	for h := maphash.String(ks.seed, k) & mask; ks.table[h] != 0; h = (h + 1) & mask {
		if id := ks.table[h] - 1; ks.key(id) == k {
			return id, true
		}
	}
	return 0, false
}
