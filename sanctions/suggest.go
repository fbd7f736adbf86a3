package sanctions

import "github.com/sahilm/fuzzy"

// EntrySummary names a listed entry for type-ahead.
type EntrySummary struct {
	List, EntryID, Name string
	Type                EntityType
}

// primaryNames lets sahilm/fuzzy walk the entities' primary names without copying them.
type primaryNames struct{ st *entityStore }

func (p primaryNames) String(i int) string { return p.st.primary(i) }
func (p primaryNames) Len() int            { return p.st.len() }

// Suggest is a type-ahead search of listed entries: up to n entries whose primary name holds
// the letters of prefix in order (a subsequence match, best first). It is for an officer
// looking an entry up, not for screening: it does not score matches.
func (ix *Index) Suggest(prefix string, n int) []EntrySummary {
	if prefix == "" || n <= 0 {
		return nil
	}
	matches := fuzzy.FindFrom(prefix, primaryNames{&ix.listed})
	out := make([]EntrySummary, 0, min(n, len(matches)))
	for _, m := range matches {
		if len(out) == n {
			break
		}
		e := int32(m.Index)
		out = append(out, EntrySummary{List: ix.listed.list(e), EntryID: ix.listed.id(e), Name: m.Str, Type: ix.listed.typ(e)})
	}
	return out
}
