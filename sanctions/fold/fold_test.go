package fold_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qorovul/qorovul/sanctions/fold"
)

func mustFolder(t testing.TB) *fold.Folder {
	t.Helper()
	f, err := fold.New()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// keys returns every key each word of name folds to, primary first.
func keys(f *fold.Folder, name string) [][]string {
	var out [][]string
	for _, t := range f.Tokens(nil, name) {
		ks := []string{t.Key}
		for _, a := range t.Alts {
			ks = append(ks, a.Key)
		}
		out = append(out, ks)
	}
	return out
}

func shareKey(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// Spellings of one name that must fold to a shared key, word by word.
func TestSpellingsShareKeys(t *testing.T) {
	f := mustFolder(t)
	cases := []struct{ name, a, b string }{
		{"CyrillicICAO", "Алишер Усманов", "Alisher Usmanov"},
		{"KhH", "Rakhimov", "Rahimov"},
		{"UzbekX", "Xolmatov", "Kholmatov"},
		{"UzbekXCyrillic", "Холматов", "Xolmatov"},
		{"YIJ", "Sergey", "Sergej"},
		{"YaIa", "Mariya", "Mariia"},
		{"YuIu", "Yuldashev", "Iuldashev"},
		{"DzhJ", "Dzhamshid", "Jamshid"},
		{"UzbekOApostrophe", "O'tkir", "Utkir"},
		{"UzbekTurnedComma", "Oʻtkir Jo‘rayev", "Utkir Juraev"},
		{"BGNYe", "Yevgeniy Abdullayev", "Evgenii Abdullaev"},
		{"Feminine", "Karimova", "Karimov"},
		{"FeminineSkaya", "Kovalevskaya", "Kovalevsky"},
		{"FeminineSka", "Pawlowska", "Pavlovsky"},
		{"TajikLetters", "Ҷамшед Раҳимов", "Jamshed Rahimov"},
		{"TajikQ", "Қодиров", "Kodirov"},
		{"UzbekCyrillicU", "Ўткир", "Utkir"},
		{"GOSTX", "Хасанов", "Hasanov"},
		{"Diacritics", "Gülnara Sánchez", "Gulnara Sanchez"},
		{"NFKC", "ＵＳＭＡＮＯＶ", "usmanov"},
		{"DoubledLetters", "Hassan Mohammed", "Hasan Mohamed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ka, kb := keys(f, c.a), keys(f, c.b)
			if len(ka) != len(kb) {
				t.Fatalf("%q → %v, %q → %v: word counts differ", c.a, ka, c.b, kb)
			}
			for i := range ka {
				if !shareKey(ka[i], kb[i]) {
					t.Errorf("word %d: %q → %v, %q → %v share no key", i, c.a, ka[i], c.b, kb[i])
				}
			}
		})
	}
}

func TestDifferentNamesStayApart(t *testing.T) {
	f := mustFolder(t)
	for _, c := range [][2]string{{"Karimov", "Rahimov"}, {"Alisher", "Ali"}, {"Usmanov", "Rusanov"}} {
		if shareKey(keys(f, c[0])[0], keys(f, c[1])[0]) {
			t.Errorf("%q and %q share a key", c[0], c[1])
		}
	}
}

func TestTranslitSchemes(t *testing.T) {
	cases := []struct {
		in   string
		sc   fold.Scheme
		want string
	}{
		{"усманов", fold.SchemeICAO, "usmanov"},
		{"евгений", fold.SchemeICAO, "evgenii"},
		{"евгений", fold.SchemeBGN, "yevgeniy"},
		{"хабибуллаев", fold.SchemeGOST, "xabibullaev"},
		{"юлдашев", fold.SchemeUzbek, "yuldashev"},
		{"ўткир", fold.SchemeUzbek, "o'tkir"},
		{"ғулом", fold.SchemeUzbek, "g'ulom"},
		{"ҷамшед", fold.SchemeTajik, "jamshed"},
		{"ғафуров", fold.SchemeTajik, "ghafurov"},
		{"щукин", fold.SchemeICAO, "shchukin"},
		{"щукин", fold.SchemeGOST, "shhukin"},
	}
	for _, c := range cases {
		if got := fold.Translit(c.in, c.sc); got != c.want {
			t.Errorf("Translit(%q, %s) = %q, want %q", c.in, c.sc, got, c.want)
		}
	}
}

func TestTransliterationIsExplained(t *testing.T) {
	f := mustFolder(t)
	toks := f.Tokens(nil, "Тоҷиддин")
	if len(toks) != 1 || !strings.HasPrefix(toks[0].Via, "translit:") {
		t.Fatalf("tokens = %+v, want one with a translit via", toks)
	}
}

func TestRoles(t *testing.T) {
	f := mustFolder(t)
	cases := []struct {
		name  string
		roles []fold.Role
	}{
		{"USMANOV, Alisher Burkhanovich", []fold.Role{fold.RoleName, fold.RoleName, fold.RolePatronymic}},
		{"Нарзиева Насиба Эркиновна", []fold.Role{fold.RoleName, fold.RoleName, fold.RolePatronymic}},
		{"Jamshid Burxon o'g'li Xolmatov", []fold.Role{fold.RoleName, fold.RolePatronymic, fold.RoleParticle, fold.RoleName}},
		{"Malika Anvar qizi", []fold.Role{fold.RoleName, fold.RolePatronymic, fold.RoleParticle}},
		{"Osama bin Laden", []fold.Role{fold.RoleName, fold.RoleParticle, fold.RoleName}},
		{"Abd al-Rahman", []fold.Role{fold.RoleName, fold.RoleParticle, fold.RoleName}},
		{"Аль-Багдади", []fold.Role{fold.RoleParticle, fold.RoleName}},
		{"Sarah Lee", []fold.Role{fold.RoleName, fold.RoleName}}, // lee folds to the key of le
		{"Ann Dee", []fold.Role{fold.RoleName, fold.RoleName}},
		{"The World Bank", []fold.Role{fold.RoleParticle, fold.RoleName, fold.RoleName}},
		{"V. Putin", []fold.Role{fold.RoleInitial, fold.RoleName}},
		{"Gazprom Limited Liability Company", []fold.Role{fold.RoleName, fold.RoleLegal}},
		{"ООО Газпром", []fold.Role{fold.RoleLegal, fold.RoleName}},
	}
	for _, c := range cases {
		toks := f.Tokens(nil, c.name)
		var got []fold.Role
		for _, t := range toks {
			got = append(got, t.Role)
		}
		if len(got) != len(c.roles) {
			t.Errorf("%q roles = %v, want %v", c.name, got, c.roles)
			continue
		}
		for i := range got {
			if got[i] != c.roles[i] {
				t.Errorf("%q roles = %v, want %v", c.name, got, c.roles)
				break
			}
		}
	}
}

func TestSeparators(t *testing.T) {
	f := mustFolder(t)
	const sp, hy, co = fold.SepSpace, fold.SepHyphen, fold.SepComma
	cases := []struct {
		name string
		seps []fold.Sep
	}{
		{"JOHN B. PRIDMORE-SMITH", []fold.Sep{sp, sp, sp, hy}},
		{"PRIDMORE–SMITH, John", []fold.Sep{sp, hy, co}}, // en dash
		{"USMANOV, Alisher Burhanovich", []fold.Sep{sp, co, sp}},
		{"Usmanov ,Alisher", []fold.Sep{sp, co}},
		{"Kim Jong - un", []fold.Sep{sp, sp, sp}}, // a spaced dash is not a compound
		{"Abd al-Rahman", []fold.Sep{sp, sp, hy}},
		{"-Smith", []fold.Sep{sp}},
		{"Ivanov, -Petr", []fold.Sep{sp, co}},
		{"Ivanov ь, Petr", []fold.Sep{sp, co}}, // a word folding to nothing passes its comma on
	}
	for _, c := range cases {
		toks := f.Tokens(nil, c.name)
		var got []fold.Sep
		for _, t := range toks {
			got = append(got, t.Sep)
		}
		if !slices.Equal(got, c.seps) {
			t.Errorf("%q separators = %v, want %v", c.name, got, c.seps)
		}
	}
}

func TestPatronymicStem(t *testing.T) {
	f := mustFolder(t)
	a := f.Tokens(nil, "Burkhanovich")[0]
	b := f.Tokens(nil, "Burxon o'g'li")[0]
	if a.Role != fold.RolePatronymic || b.Role != fold.RolePatronymic {
		t.Fatalf("roles %s, %s", a.Role, b.Role)
	}
	var stem string
	for _, v := range a.Alts {
		if strings.HasPrefix(v.Via, "patronymic:") {
			stem = v.Key
		}
	}
	if stem != "burhan" {
		t.Errorf("stem of Burkhanovich = %q, want burhan", stem)
	}
}

func TestZodaStem(t *testing.T) {
	f := mustFolder(t)
	tok := f.Tokens(nil, "Раҳмонзода")[0]
	found := false
	for _, v := range tok.Alts {
		if v.Key == "rahmon" && v.Via == "suffix:-zoda" {
			found = true
		}
	}
	if !found {
		t.Errorf("alts of Раҳмонзода = %+v, want rahmon via suffix:-zoda", tok.Alts)
	}
	if got := fold.SurnameSuffix("karim", "karimov"); got != "ov" {
		t.Errorf("SurnameSuffix(karim, karimov) = %q", got)
	}
	if got := fold.SurnameSuffix("karim", "karimi"); got != "" {
		t.Errorf("SurnameSuffix(karim, karimi) = %q", got)
	}
	if got := fold.SurnameSuffix("pavlov", "pavlovski"); got != "ski" {
		t.Errorf("SurnameSuffix(pavlov, pavlovski) = %q", got)
	}
	if got := fold.SurnameSuffix("david", "davidovich"); got != "ovich" {
		t.Errorf("SurnameSuffix(david, davidovich) = %q", got)
	}
}

func TestGivenNameEquivalents(t *testing.T) {
	f := mustFolder(t)
	groups := [][]string{
		{"Aleksandr", "Alexander", "Iskandar", "Александр"},
		{"Muhammad", "Mukhammad", "Magomed", "Mohammed", "Мухаммад"},
		{"Yusuf", "Iosif", "Юсуф"},
	}
	for _, g := range groups {
		want := f.Tokens(nil, g[0])[0].Group
		if want == "" {
			t.Fatalf("%s has no group", g[0])
		}
		for _, n := range g[1:] {
			if got := f.Tokens(nil, n)[0].Group; got != want {
				t.Errorf("%s group %q, want %q", n, got, want)
			}
		}
	}
	if g := f.Tokens(nil, "Yusufov")[0].Group; g != "" {
		t.Errorf("surname Yusufov has given-name group %q", g)
	}
}

func TestCommon(t *testing.T) {
	f := mustFolder(t)
	toks := f.Tokens(nil, "Muhammad Karimov Usmonjonovich")
	if !toks[0].Common || !toks[1].Common {
		t.Errorf("Muhammad, Karimov not common: %+v", toks)
	}
}

func TestCountry(t *testing.T) {
	f := mustFolder(t)
	for in, want := range map[string]string{
		"Russia": "RU", "Russian Federation": "RU", "ru": "RU", "RUS": "RU",
		"Iran (Islamic Republic of)": "IR", "Korea, North": "KP", "Democratic People's Republic of Korea": "KP",
		"Узбекистан": "UZ", "O'zbekiston": "UZ", "Türkiye": "TR", "nowhere": "",
	} {
		if got := f.Country(in); got != want {
			t.Errorf("Country(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryKeyIgnoresOrderAndSpelling(t *testing.T) {
	f := mustFolder(t)
	a := fold.QueryKey(f.Tokens(nil, "USMANOV, Alisher"))
	b := fold.QueryKey(f.Tokens(nil, "Алишер Усманов"))
	if a != b || a == "" {
		t.Errorf("QueryKey %q vs %q", a, b)
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Алишер Усманов", "Jo‘rayev o'g'li", "ＵＳＭＡＮＯＶ", "ООО «Газпром»", "Ҷ", "x'"} {
		f.Add(s)
	}
	fl := mustFolder(f)
	f.Add("Pridmore-Smith, John")
	f.Fuzz(func(t *testing.T, s string) {
		toks := fl.Tokens(nil, s)
		if len(toks) > 0 && toks[0].Sep != fold.SepSpace {
			t.Fatalf("first token of %q has separator %d", s, toks[0].Sep)
		}
		for _, tok := range toks {
			if tok.Key == "" && tok.Role != fold.RoleLegal {
				t.Fatalf("empty key for %q in %q", tok.Raw, s)
			}
			if utf8.ValidString(s) && !utf8.ValidString(tok.Key) {
				t.Fatalf("invalid UTF-8 key %q from %q", tok.Key, s)
			}
		}
	})
}
