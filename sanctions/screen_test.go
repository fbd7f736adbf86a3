package sanctions_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/lists"
)

var (
	defaultOnce sync.Once
	defaultIx   *sanctions.Index
	defaultErr  error
)

// mustDefault loads the embedded OFAC + UN + CSL snapshot once for the package's tests.
func mustDefault(t testing.TB) *sanctions.Index {
	t.Helper()
	defaultOnce.Do(func() { defaultIx, defaultErr = lists.LoadDefault() })
	if defaultErr != nil {
		t.Fatal(defaultErr)
	}
	return defaultIx
}

func findMatch(ms []sanctions.Match, list, id string) (sanctions.Match, bool) {
	for _, m := range ms {
		if m.List == list && m.EntryID == id {
			return m, true
		}
	}
	return sanctions.Match{}, false
}

// Acceptance 1 of issue 3.
func TestScreenUsmanov(t *testing.T) {
	ix := mustDefault(t)
	for _, name := range []string{"Алишер Усманов", "Alisher Usmonov", "USMANOV Alisher Burkhanovich"} {
		t.Run(name, func(t *testing.T) {
			ms := ix.Screen(sanctions.Query{Name: name})
			m, ok := findMatch(ms, sanctions.ListOFAC, "35283")
			if !ok {
				t.Fatalf("no OFAC 35283 in %+v", ms)
			}
			if m.Score < 0.9 {
				t.Errorf("score %.3f, want >= 0.9 (%+v)", m.Score, m)
			}
			if m.Query != name || m.Name == "" || m.Via == "" || m.EntryHash == "" || m.QueryKey == "" {
				t.Errorf("match does not explain itself: %+v", m)
			}
		})
	}
	t.Run("AlisherKarimov", func(t *testing.T) {
		for _, m := range ix.ScreenAt(sanctions.Query{Name: "Alisher Karimov"}, sanctions.DefaultReviewThreshold) {
			if m.EntryID == "35283" {
				t.Errorf("Alisher Karimov hits 35283 at %.3f", m.Score)
			}
		}
	})
}

func TestViaNamesTheTransliteration(t *testing.T) {
	ix := mustDefault(t)
	m, ok := findMatch(ix.Screen(sanctions.Query{Name: "Алишер Усманов"}), sanctions.ListOFAC, "35283")
	if !ok || !strings.Contains(m.Via, "translit:") || !strings.Contains(m.Via, "усманов→usmanov") {
		t.Errorf("via = %q, want the transliteration of усманов", m.Via)
	}
	m, ok = findMatch(ix.Screen(sanctions.Query{Name: "Alexander Yaroshuk"}), sanctions.ListOFAC, "36887")
	if !ok {
		t.Fatal("Alexander Yaroshuk does not hit 36887 (YAROSHUK, Alexander Georgievich)")
	}
	for _, name := range []string{"Aleksandr Yaroshuk", "Iskandar Yaroshuk"} {
		m, ok = findMatch(ix.Screen(sanctions.Query{Name: name}), sanctions.ListOFAC, "36887")
		if !ok || !strings.Contains(m.Via, "equiv:") {
			t.Errorf("%s → %+v, want an equiv: explanation", name, m)
		}
	}
}

// An exact listed name scores >= 0.95 with no other data.
func TestExactNamesScoreHigh(t *testing.T) {
	ix := mustDefault(t)
	checked := 0
	for i, e := range ix.Entities() {
		if i%97 != 0 || e.Type != sanctions.TypeIndividual {
			continue
		}
		name := e.Primary()
		m, ok := findMatch(ix.Screen(sanctions.Query{Name: name}), e.List, e.ID)
		if !ok || m.Score < 0.95 {
			t.Errorf("%s %s %q: match %+v (found %v), want score >= 0.95", e.List, e.ID, name, m, ok)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("checked only %d names", checked)
	}
}

func TestDateOfBirthAndNationalityMoveTheScore(t *testing.T) {
	ix := mustDefault(t)
	score := func(q sanctions.Query) float64 {
		m, _ := findMatch(ix.ScreenAt(q, 0.5), sanctions.ListOFAC, "35283")
		return m.Score
	}
	base := score(sanctions.Query{Name: "Alisher Usmanov"})
	same := score(sanctions.Query{Name: "Alisher Usmanov", DOB: "1953-09-09", Nationality: "RU"})
	other := score(sanctions.Query{Name: "Alisher Usmanov", DOB: "1990-01-01", Nationality: "UZ"})
	if !(same > base && other < base) {
		t.Errorf("scores: name only %.3f, same DOB/nationality %.3f, other %.3f", base, same, other)
	}
	year := score(sanctions.Query{Name: "Alisher Usmanov", DOB: "1953"})
	if year <= base {
		t.Errorf("birth year 1953 gives %.3f, name only %.3f", year, base)
	}
}

func TestCommonNamesDoNotAlertAlone(t *testing.T) {
	ix := mustDefault(t)
	for _, name := range []string{"Muhammad Toshmatov", "Alisher Karimov", "Karimov Jamshid",
		"Mukhammad Yusupov Rustamovich", "Sergei Usmanov", "Pavel Kuzmenko", "Muhammad Aliyev"} {
		if ms := ix.Screen(sanctions.Query{Name: name}); len(ms) > 0 {
			t.Errorf("%q hits %+v", name, ms[0])
		}
	}
}

// Everyday names that are nobody's listed name must not alert now that every payment is
// screened (each cause has its case in TestScoreNames); the exact listed names do.
func TestEverydayNames(t *testing.T) {
	ix := mustDefault(t)
	for _, name := range []string{"John Smith", "Sarah Lee", "Michael Williams", "Michael Johnson",
		"Alexey Kuznetsov", "Алексей Кузнецов", "David Mitchell", "Ben Stone", "Emma Wilson"} {
		if ms := ix.Screen(sanctions.Query{Name: name}); len(ms) > 0 {
			t.Errorf("%q hits %s %s %q %.3f (%s)", name, ms[0].List, ms[0].EntryID, ms[0].Name, ms[0].Score, ms[0].Via)
		}
	}
	for name, id := range map[string]string{"Muhammad Ali": "22113", "Ahmed Hassan": "22060", "Mark Taylor": "21730"} {
		m, ok := findMatch(ix.Screen(sanctions.Query{Name: name}), sanctions.ListOFAC, id)
		if !ok || m.Score < 0.95 {
			t.Errorf("%q: OFAC %s %+v (found %v), want >= 0.95", name, id, m, ok)
		}
	}
}

// The CSL's copies of SDN entries are dropped at load: a listed person comes back once.
func TestSDNPersonComesBackOnce(t *testing.T) {
	ix := mustDefault(t)
	ms := ix.Screen(sanctions.Query{Name: "Alisher Usmanov"})
	n := 0
	for _, m := range ms {
		if m.EntryID == "35283" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("35283 comes back %d times: %+v", n, ms)
	}
}

func TestWordOrderAndPatronymic(t *testing.T) {
	ix := mustDefault(t)
	a, _ := findMatch(ix.Screen(sanctions.Query{Name: "Alisher Usmanov"}), sanctions.ListOFAC, "35283")
	b, _ := findMatch(ix.Screen(sanctions.Query{Name: "Usmanov Alisher"}), sanctions.ListOFAC, "35283")
	if a.Score != b.Score || a.Score < 0.9 {
		t.Errorf("word order changes the score: %.3f vs %.3f", a.Score, b.Score)
	}
	// a patronymic that differs costs less than a surname that differs
	pat, _ := findMatch(ix.ScreenAt(sanctions.Query{Name: "Alisher Rustamovich Usmanov"}, 0.5), sanctions.ListOFAC, "35283")
	sur, _ := findMatch(ix.ScreenAt(sanctions.Query{Name: "Alisher Burkhanovich Rustamov"}, 0.5), sanctions.ListOFAC, "35283")
	if pat.Score <= sur.Score {
		t.Errorf("other patronymic %.3f <= other surname %.3f", pat.Score, sur.Score)
	}
}

func TestFingerprints(t *testing.T) {
	ix := mustDefault(t)
	a := ix.Screen(sanctions.Query{Name: "USMANOV, Alisher"})
	b := ix.Screen(sanctions.Query{Name: "Алишер Усманов"})
	ma, _ := findMatch(a, sanctions.ListOFAC, "35283")
	mb, _ := findMatch(b, sanctions.ListOFAC, "35283")
	if ma.EntryHash == "" || ma.EntryHash != mb.EntryHash {
		t.Errorf("entry hash differs between queries: %q %q", ma.EntryHash, mb.EntryHash)
	}
	if ma.QueryKey != mb.QueryKey {
		t.Errorf("query keys %q %q, want equal for spellings of one name", ma.QueryKey, mb.QueryKey)
	}
	e, _ := ix.Entity(sanctions.ListOFAC, "35283")
	h := e.Hash()
	if h != ma.EntryHash {
		t.Errorf("match hash %q, entity hash %q", ma.EntryHash, h)
	}
	other := e
	other.List = sanctions.ListCSL
	if other.Hash() == h {
		t.Error("the same entry on two lists shares a hash")
	}
	e.DOBs = append([]string{"1953-09-10"}, e.DOBs...)
	if e.Hash() == h {
		t.Error("hash ignores a changed date of birth")
	}
}

func TestResultsSortedBestFirst(t *testing.T) {
	ix := mustDefault(t)
	ms := ix.ScreenAt(sanctions.Query{Name: "Vladimir Putin"}, 0.5)
	if len(ms) < 2 {
		t.Fatalf("%d matches", len(ms))
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Score > ms[i-1].Score {
			t.Fatalf("not sorted: %v then %v", ms[i-1].Score, ms[i].Score)
		}
	}
	for _, m := range ms {
		if m.Score < 0.5 || m.Score > 1 {
			t.Fatalf("score %v outside [0.5, 1]", m.Score)
		}
	}
}

func TestScreenIsConcurrentSafe(t *testing.T) {
	ix := mustDefault(t)
	names := []string{"Алишер Усманов", "Vladimir Putin", "Osama bin Laden", "Jamshid Toshmatov", "Gulnara Karimova"}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = fmt.Sprint(ix.Screen(sanctions.Query{Name: n}))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				i := (g + k) % len(names)
				if got := fmt.Sprint(ix.Screen(sanctions.Query{Name: names[i]})); got != want[i] {
					errs <- names[i]
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for n := range errs {
		t.Errorf("concurrent Screen(%q) differs from sequential", n)
	}
}

func TestScreenAllocatesLittle(t *testing.T) {
	ix := mustDefault(t)
	q := sanctions.Query{Name: "Jamshid Toshmatov", DOB: "1985-03-01", Nationality: "UZ"}
	ix.Screen(q)
	if allocs := testing.AllocsPerRun(50, func() { ix.Screen(q) }); allocs > 20 {
		t.Errorf("Screen of an unlisted name allocates %v times, want <= 20", allocs)
	}
}

func TestEmptyAndOddQueries(t *testing.T) {
	ix := mustDefault(t)
	for _, name := range []string{"", "   ", "!!!", "V.", "al bin", strings.Repeat("Karimov ", 40)} {
		for _, m := range ix.Screen(sanctions.Query{Name: name}) {
			if m.Score < sanctions.DefaultReviewThreshold {
				t.Errorf("%q: match below threshold %+v", name, m)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	ix := mustDefault(t)
	got := ix.Suggest("usmanov alisher", 5)
	found := false
	for _, s := range got {
		if s.EntryID == "35283" {
			found = true
		}
	}
	if !found || len(got) > 5 {
		t.Errorf("Suggest = %+v, want 35283 within 5", got)
	}
	if ix.Suggest("", 5) != nil || ix.Suggest("usmanov", 0) != nil {
		t.Error("empty prefix or n=0 suggests something")
	}
}

func TestScreenerReload(t *testing.T) {
	first := mustDefault(t)
	s := sanctions.NewScreener(first)
	err := s.Reload(func() (*sanctions.Index, error) { return nil, fmt.Errorf("read sdn.csv: line 3: broken") })
	if err == nil || s.Index() != first {
		t.Fatalf("failed reload: err %v, index swapped %v", err, s.Index() != first)
	}
	small, err := sanctions.NewIndex([]sanctions.Entity{{List: "test", ID: "1", Type: sanctions.TypeIndividual,
		Names: []sanctions.Name{{Full: "Jamshid Toshmatov"}}}}, "sha256:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(func() (*sanctions.Index, error) { return small, nil }); err != nil || s.Index() != small {
		t.Fatalf("reload: err %v", err)
	}
	if ms := s.Index().Screen(sanctions.Query{Name: "Жамшид Тошматов"}); len(ms) != 1 || ms[0].EntryID != "1" {
		t.Errorf("new index screens %+v", ms)
	}
}

func TestScoreNames(t *testing.T) {
	ix := mustDefault(t)
	cases := []struct {
		a, b  string
		match bool
	}{
		{"Vladimir Putin", "PUTIN, Vladimir Vladimirovich", true},
		{"Sergi Lavrov", "Sergei Lavrov", true},
		{"SergeiLavrov", "Sergei Lavrov", true},
		{"Gulnora Karimova", "KARIMOVA, Gulnara", true},
		{"Муҳаммад Раҳимов", "Mukhammad Rakhimov", true},
		{"Jamshid Toshmatov", "TOSHMATOV, Jamshid Burxon o'g'li", true},
		{"Muhammad Aliyev", "ALI, Muhammad", false},
		{"Olga Barynova", "Oleg BARANOV", false},
		// a hyphenated surname matches whole, not by one of its parts
		{"John Smith", "JOHN B. PRIDMORE-SMITH", false},
		{"John Pridmore Smith", "JOHN B. PRIDMORE-SMITH", true},
		{"Juan Lopez", "Juan Lopez-Hernandez", false},
		{"Kim Jong Un", "KIM JONG-UN", true},
		// a listed given name or surname the query lacks costs more than a middle name
		{"William Johnson", "WILLIAM MICHAEL JOHNSON", true},
		{"Ahmed Hassan", "HASSAN, Ahmed Mahmoud", true},
		{"Michael Johnson", "WILLIAM MICHAEL JOHNSON", false},
		{"Michael Williams", "WILLIAM MICHAEL JOHNSON", false},
		{"Alisher Usmanov", "USMANOV, Alisher Burhanovich", true},
		{"Burhan Usmanov", "USMANOV, Alisher Burhanovich", false},
		// a query part left unmatched costs however common it is; Lee is not the particle le
		{"Sarah Lee", "SARA", false},
		{"Sara", "SARA", true},
		// different given names of similar spelling, a name and a patronymic made of it
		{"Alexey Kuznetsov", "Aleksander Kuznetsov", false},
		{"Alexey Kuznetsov", "Aleksei Kuznetsov", true},
		{"David Mitchell", "Mikhail Davidovich", false},
		{"Ekaterina Pavlova", "PAWLOWSKA, Katerina", false},
		{"Ekaterina Pavlovskaya", "PAWLOWSKA, Katerina", true},
		// exact listed names stay matches
		{"Muhammad Ali", "'ALI, Muhammad", true},
		{"Ahmed Hassan", "AHMAD, Hasan", true},
	}
	for _, c := range cases {
		s, via := ix.ScoreNames(c.a, c.b)
		if (s >= sanctions.DefaultReviewThreshold) != c.match {
			t.Errorf("ScoreNames(%q, %q) = %.3f (%s), want match %v", c.a, c.b, s, via, c.match)
		}
	}
}

// An index copied with its own parameters screens exactly as the original.
func TestWithParamsScreensAlike(t *testing.T) {
	ix := mustDefault(t)
	cp := ix.WithParams(ix.Params())
	checked := 0
	for i, e := range ix.Entities() {
		if i%211 != 0 {
			continue
		}
		for _, n := range e.Names {
			q := sanctions.Query{Name: n.Full, DOB: "1970"}
			if want, got := ix.ScreenAt(q, 0.5), cp.ScreenAt(q, 0.5); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: the copy gives %+v, the index %+v", n.Full, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d names", checked)
	}
}

// The index keeps entities in a compact form; what it gives back is what it
// was given.
func TestEntitiesRoundTrip(t *testing.T) {
	in := []sanctions.Entity{
		{List: sanctions.ListOFAC, ID: "1", Type: sanctions.TypeIndividual,
			Names:         []sanctions.Name{{Full: "Alisher Usmanov", Kind: sanctions.NamePrimary}, {Full: "Алишер Усманов", Kind: sanctions.NameAlias, Original: true}},
			DOBs:          []string{"1953-09-09", "1953"},
			Nationalities: []string{"RU", "UZ"},
			Programs:      []string{"RUSSIA-EO14024"}},
		{List: sanctions.ListUN, ID: "QDi.1", Type: sanctions.TypeOrganization,
			Names: []sanctions.Name{{Full: "Example Trading LLC", Kind: sanctions.NameAlias}, {Full: "Example Trading", Kind: sanctions.NameWeak}}},
		{List: sanctions.ListCSL, ID: "x", Type: "something new"},
	}
	ix, err := sanctions.NewIndex(in, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := ix.Entities(); !reflect.DeepEqual(got, in) {
		t.Errorf("Entities() = %+v\nwant %+v", got, in)
	}
	for _, e := range in {
		if got, ok := ix.Entity(e.List, e.ID); !ok || !reflect.DeepEqual(got, e) {
			t.Errorf("Entity(%s, %s) = %+v, %v; want %+v", e.List, e.ID, got, ok, e)
		}
	}
	if got := ix.Suggest("example", 5); len(got) != 1 || got[0].EntryID != "QDi.1" || got[0].Name != "Example Trading LLC" || got[0].Type != sanctions.TypeOrganization {
		t.Errorf("Suggest(example) = %+v", got)
	}

	// The real lists survive a second trip.
	real := mustDefault(t).Entities()
	again, err := sanctions.NewIndex(real, "again")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Entities(), real) {
		t.Error("the shipped lists' entities changed on a second trip through an index")
	}
}

func TestTooManyEntityTypes(t *testing.T) {
	es := make([]sanctions.Entity, 300)
	for i := range es {
		es[i] = sanctions.Entity{List: sanctions.ListCSL, ID: fmt.Sprint(i), Type: sanctions.EntityType(fmt.Sprintf("type %d", i)),
			Names: []sanctions.Name{{Full: "Some Name", Kind: sanctions.NamePrimary}}}
	}
	if _, err := sanctions.NewIndex(es, "test"); err == nil || !strings.Contains(err.Error(), "entity types") {
		t.Errorf("NewIndex with 300 entity types: %v, want an error about entity types", err)
	}
	if _, err := sanctions.NewIndex(es[:256], "test"); err != nil {
		t.Errorf("NewIndex with 256 entity types: %v", err)
	}
}
