package sanctions

import (
	"fmt"
	"math"
	"strings"
)

// entityStore holds the listed entities compactly: every distinct string of
// every entity once, in one text, and the entities as offsets into it. The
// index lives as long as the process and the garbage collector marks all of
// it at every cycle; held as Entity values, the entities' quarter of a
// million strings and slices were a third of that work, held here they are
// a handful of objects.
type entityStore struct {
	text  string
	recs  []entRec
	names []nameRec
	strs  []span // DOBs, nationalities and programs
	types []EntityType
}

// span is a string of a text, or a run of a slice: the index keeps its
// strings and lists this way, as offsets that the collector need not mark.
type span struct{ off, n uint32 }

// in is the string sp of text.
func (sp span) in(text string) string { return text[sp.off : sp.off+sp.n] }

// run is the run sp of s, capped so that appending to it copies.
func run[T any](s []T, sp span) []T { return s[sp.off : sp.off+sp.n : sp.off+sp.n] }

type entRec struct {
	list, id                    span
	typ                         uint8 // index into types
	names, dobs, nats, programs span
	primary                     span // Entity.Primary
}

type nameRec struct {
	full     span
	kind     NameKind
	original bool
}

// textBuilder gathers strings into one text, each distinct one once.
type textBuilder struct {
	b    strings.Builder
	seen map[string]span
}

func (t *textBuilder) add(s string) span {
	if sp, ok := t.seen[s]; ok {
		return sp
	}
	if t.seen == nil {
		t.seen = map[string]span{}
	}
	if t.b.Len()+len(s) > math.MaxUint32 {
		panic("sanctions: index text exceeds 4 GB")
	}
	sp := span{uint32(t.b.Len()), uint32(len(s))}
	t.b.WriteString(s)
	t.seen[s] = sp
	return sp
}

func (t *textBuilder) String() string { return t.b.String() }

func newEntityStore(entities []Entity) (entityStore, error) {
	var (
		st    entityStore
		text  textBuilder
		types = map[EntityType]uint8{}
	)
	strs := func(l []string) span {
		sp := span{uint32(len(st.strs)), uint32(len(l))}
		for _, s := range l {
			st.strs = append(st.strs, text.add(s))
		}
		return sp
	}
	st.recs = make([]entRec, len(entities))
	for i := range entities {
		e := &entities[i]
		t, ok := types[e.Type]
		if !ok {
			if len(st.types) > math.MaxUint8 {
				return entityStore{}, fmt.Errorf("more than %d entity types (%s %s is of type %q)", math.MaxUint8+1, e.List, e.ID, e.Type)
			}
			t = uint8(len(st.types))
			types[e.Type] = t
			st.types = append(st.types, e.Type)
		}
		r := entRec{list: text.add(e.List), id: text.add(e.ID), typ: t, primary: text.add(e.Primary())}
		r.names = span{uint32(len(st.names)), uint32(len(e.Names))}
		for _, n := range e.Names {
			st.names = append(st.names, nameRec{full: text.add(n.Full), kind: n.Kind, original: n.Original})
		}
		r.dobs, r.nats, r.programs = strs(e.DOBs), strs(e.Nationalities), strs(e.Programs)
		st.recs[i] = r
	}
	st.text = text.String()
	return st, nil
}

func (st *entityStore) str(sp span) string { return sp.in(st.text) }

func (st *entityStore) len() int { return len(st.recs) }

func (st *entityStore) list(i int32) string { return st.str(st.recs[i].list) }

func (st *entityStore) id(i int32) string { return st.str(st.recs[i].id) }

func (st *entityStore) typ(i int32) EntityType { return st.types[st.recs[i].typ] }

func (st *entityStore) primary(i int) string { return st.str(st.recs[i].primary) }

// name is entity i's name j.
func (st *entityStore) name(i, j int32) *nameRec { return &st.names[st.recs[i].names.off+uint32(j)] }

// entity builds entity i as an Entity; its strings share the store's text.
func (st *entityStore) entity(i int) Entity {
	r := &st.recs[i]
	e := Entity{List: st.str(r.list), ID: st.str(r.id), Type: st.types[r.typ]}
	if r.names.n > 0 {
		e.Names = make([]Name, r.names.n)
		for j, n := range run(st.names, r.names) {
			e.Names[j] = Name{Full: st.str(n.full), Kind: n.kind, Original: n.original}
		}
	}
	e.DOBs, e.Nationalities, e.Programs = st.strings(r.dobs), st.strings(r.nats), st.strings(r.programs)
	return e
}

func (st *entityStore) strings(sp span) []string {
	if sp.n == 0 {
		return nil
	}
	out := make([]string, sp.n)
	for j, s := range run(st.strs, sp) {
		out[j] = st.str(s)
	}
	return out
}
