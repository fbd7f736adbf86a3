package sanctions

import "github.com/sahilm/fuzzy"

// EntrySummary names a listed entry for type-ahead.
type EntrySummary struct {
	List, EntryID, Name string
	Type                EntityType
}

// primaryNames lets sahilm/fuzzy walk the entities' primary names without copying them.
type primaryNames []Entity

func (p primaryNames) String(i int) string { return p[i].Primary() }
func (p primaryNames) Len() int            { return len(p) }

// Suggest is a type-ahead search of listed entries: up to n entries whose primary name holds
// the letters of prefix in order (a subsequence match, best first). It is for an officer
// looking an entry up, not for screening: it does not score matches.
func (ix *Index) Suggest(prefix string, n int) []EntrySummary {
	if prefix == "" || n <= 0 {
		return nil
	}
	matches := fuzzy.FindFrom(prefix, primaryNames(ix.entities))
	out := make([]EntrySummary, 0, min(n, len(matches)))
	for _, m := range matches {
		if len(out) == n {
			break
		}
		e := &ix.entities[m.Index]
		out = append(out, EntrySummary{List: e.List, EntryID: e.ID, Name: m.Str, Type: e.Type})
	}
	return out
}
