package fold

import (
	"bufio"
	"embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:embed data/*.txt
var dataFS embed.FS

// Role is what a token is in a name, as far as spelling tells.
type Role uint8

// Roles, from most to least telling.
const (
	RoleName       Role = iota // a given name or surname
	RolePatronymic             // -ovich/-ovna/-evich/-evna, or the word before o'g'li/qizi
	RoleInitial                // a single letter
	RoleLegal                  // an organisation form: LLC, AG, OOO…
	RoleParticle               // bin, al, de, van, o'g'li, qizi, titles, "and", "the"
)

func (r Role) String() string {
	switch r {
	case RoleName:
		return "name"
	case RolePatronymic:
		return "patronymic"
	case RoleInitial:
		return "initial"
	case RoleLegal:
		return "legal"
	case RoleParticle:
		return "particle"
	}
	return "unknown"
}

// Variant is another key a token folds to, and how ("translit:ru-bgn", "x=kh", "suffix:-zoda").
type Variant struct {
	Key, Via string
}

// Token is one folded word of a name.
type Token struct {
	Raw    string    // the word as written, lower case
	Key    string    // primary folded key
	Via    string    // how Key was reached when not by plain folding, e.g. "translit:ru-icao"
	Alts   []Variant // other keys the same word folds to
	Role   Role
	Group  string // given-name equivalence group, "" if none
	Common bool   // a corridor-common name part (weight lowered)
	Sep    Sep    // what separated the word from the one before it
}

// Sep is how a word was separated from the word before it in the written name.
type Sep uint8

// Separators, as far as they tell the structure of a name.
const (
	SepSpace  Sep = iota // a space or other punctuation, or the first word
	SepHyphen            // a hyphen and nothing else: one compound (Pridmore-Smith, Jong-un)
	SepComma             // a comma: "SURNAME, Given" puts the surname before it
)

// Folder normalises names into tokens. It holds the embedded data (given-name equivalents,
// organisation forms, common name parts, countries) and is safe for concurrent use.
type Folder struct {
	given      map[string]string     // key → group
	legal      map[string]string     // single-word key → canonical form
	legalPlain map[string]string     // single word in plain Latin before folding ("ooo") → canonical
	phrases    map[string][][]string // first key of a multi-word form → forms (keys), canonical last
	common     map[string]bool
	countries  map[string]string // folded name or code → ISO alpha-2
}

// New loads the embedded data.
func New() (*Folder, error) {
	f := &Folder{
		given:      map[string]string{},
		legal:      map[string]string{},
		legalPlain: map[string]string{},
		phrases:    map[string][][]string{},
		common:     map[string]bool{},
		countries:  map[string]string{},
	}
	if err := eachLine("data/given_names.txt", func(line string) error {
		words := strings.Fields(line)
		group := words[0]
		for _, w := range words {
			for _, k := range f.plainKeys(w) {
				if _, dup := f.given[k]; !dup {
					f.given[k] = group
				}
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachLine("data/legal_forms.txt", func(line string) error {
		forms := strings.Split(line, "|")
		canon := forms[0]
		for _, form := range forms {
			var keys []string
			for _, w := range strings.Fields(form) {
				keys = append(keys, f.plainKeys(w)[0])
			}
			if len(keys) == 1 {
				f.legal[keys[0]] = canon
				f.legalPlain[plainLatin(lower(strings.TrimSpace(form)))] = canon
				continue
			}
			f.phrases[keys[0]] = append(f.phrases[keys[0]], append(keys, canon))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachLine("data/common_tokens.txt", func(line string) error {
		for _, w := range strings.Fields(line) {
			for _, k := range f.plainKeys(w) {
				f.common[k] = true
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachLine("data/countries.txt", func(line string) error {
		parts := strings.Split(line, "|")
		if len(parts) < 2 || len(parts[0]) != 2 {
			return fmt.Errorf("bad country line %q", line)
		}
		code := parts[0]
		f.countries[strings.ToLower(code)] = code
		for _, p := range parts[1:] {
			f.countries[f.countryKey(p)] = code
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return f, nil
}

func eachLine(name string, fn func(string) error) error {
	file, err := dataFS.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// plainKeys folds one data-file word to all its keys.
func (f *Folder) plainKeys(w string) []string {
	words := f.split(nil, lower(w))
	if len(words) == 0 {
		return nil
	}
	var raw strings.Builder
	for _, w := range words {
		raw.WriteString(w.text)
	}
	t := f.token(raw.String())
	keys := []string{t.Key}
	for _, a := range t.Alts {
		keys = append(keys, a.Key)
	}
	return keys
}

func (f *Folder) countryKey(s string) string {
	words := f.split(nil, lower(s))
	keys := make([]string, 0, len(words))
	for _, w := range words {
		keys = append(keys, f.token(w.text).Key)
	}
	return strings.Join(keys, " ")
}

// Country maps a country name or ISO code, in any of the spellings the lists use, to its
// ISO 3166-1 alpha-2 code; "" when unknown.
func (f *Folder) Country(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if c, ok := f.countries[strings.ToLower(s)]; ok {
		return c
	}
	return f.countries[f.countryKey(s)]
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(norm.NFKC.String(s))
		}
	}
	return strings.ToLower(s)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʻ', 'ʼ', '`', '´', 'ʹ':
		return true
	}
	return false
}

// word is one written word of a name and its separator from the word before.
type word struct {
	text string
	sep  Sep
}

// split cuts a lower-case string into words: letters, digits and marks; an apostrophe
// inside a word stays (as ') so that Uzbek o' and g' survive. Each word records its
// separator from the previous one: a comma anywhere between them wins, then a run of dashes
// alone (a compound), else a space.
func (f *Folder) split(dst []word, s string) []word {
	start := -1
	var b strings.Builder
	needCopy := false // the word holds a non-ASCII apostrophe that must be rewritten
	sep, dashes, other := SepSpace, false, false
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := s[start:end]
		if needCopy {
			b.Reset()
			for _, r := range w {
				if isApostrophe(r) {
					b.WriteByte('\'')
				} else {
					b.WriteRune(r)
				}
			}
			w = b.String()
		}
		w = strings.TrimRight(w, "'")
		if w != "" {
			dst = append(dst, word{text: w, sep: sep})
			sep, dashes, other = SepSpace, false, false
		}
		start, needCopy = -1, false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
				if sep != SepComma && dashes && !other {
					sep = SepHyphen
				}
			}
		case isApostrophe(r) && start >= 0:
			if r != '\'' {
				needCopy = true
			}
		default:
			flush(i)
			switch {
			case r == ',' || r == '،' || r == '，':
				sep = SepComma
			case unicode.Is(unicode.Pd, r):
				dashes = true
			default:
				other = true
			}
		}
	}
	flush(len(s))
	return dst
}

// latin strips diacritics from a non-Cyrillic word and spells the few Latin letters that do
// not decompose (ø, ł, ß, æ…) in ASCII. Words of other scripts keep their letters.
func latin(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return w
	}
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ø':
			b.WriteByte('o')
		case 'ł':
			b.WriteByte('l')
		case 'đ', 'ð':
			b.WriteByte('d')
		case 'ß':
			b.WriteString("ss")
		case 'æ':
			b.WriteString("ae")
		case 'œ':
			b.WriteString("oe")
		case 'ı':
			b.WriteByte('i')
		case 'þ':
			b.WriteString("th")
		case 'ʻ', 'ʼ':
			b.WriteByte('\'')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var particles = map[string]bool{
	"bin": true, "ibn": true, "ben": true, "bint": true, "binti": true, "al": true, "el": true,
	"ul": true, "ad": true, "ud": true, "as": true, "ash": true, "ar": true, "an": true, "at": true,
	"de": true, "da": true, "di": true, "del": true, "dos": true, "das": true, "du": true, "la": true,
	"le": true, "van": true, "von": true, "der": true, "den": true, "ter": true, "mr": true,
	"mrs": true, "ms": true, "dr": true, "sheih": true, "shaih": true, "haji": true, "hadji": true,
	"the": true, "of": true, "and": true, "und": true, "et": true, "i": true, "y": true,
	"ugli": true, "ogli": true, "oglu": true, "uli": true, "kizi": true, "gizi": true,
	// titles, in the spellings keys fold them to
	"president": true, "prezident": true, "presidente": true, "presiden": true, "prasident": true,
	"predsjednik": true, "presedintele": true, "kolonel": true, "minister": true, "ministr": true,
	"prof": true, "profesor": true, "sir": true, "mula": true, "mulah": true, "maulavi": true,
	"mavlavi": true,
}

// patronymic markers that follow the father's name (Uzbek o'g'li/qizi, Azeri/Tajik oglu/kizi).
var patronymMarkers = map[string]bool{"ugli": true, "ogli": true, "oglu": true, "kizi": true, "gizi": true, "uli": true}

// surnameSuffixes make a surname of a name: Tajik -zoda/-zade and Russian -ov/-ev. Their stems
// are variants with Via "suffix:-…", compared only with other stems (Rahmonzoda ~ Rahmonov),
// never with a bare name (Karimov is not Karim).
var surnameSuffixes = []string{"zoda", "zade", "zod", "iev", "ov", "ev"}

// derivedSuffixes make another name of a surname or a name: Slavic -ski (Pavlov, Pavlovski;
// keys fold -sky, -ska and -skaya to -ski) and the patronymic endings (David, Davidovich).
// Unlike surnameSuffixes they give no stem variants here; they only keep the two apart.
var derivedSuffixes = []string{"ski", "ovich", "evich", "ovna", "evna", "ich", "ichna"}

// SurnameSuffix returns the suffix that long adds to short to make another name ("ov" for
// karim, karimov; "ski" for pavlov, pavlovski; "ovich" for david, davidovich), or "" when
// long is not short plus one of them.
func SurnameSuffix(short, long string) string {
	if len(long) <= len(short) || long[:len(short)] != short {
		return ""
	}
	rest := long[len(short):]
	for _, suf := range surnameSuffixes {
		if rest == suf || rest == suf+"a" || rest == "i"+suf {
			return suf
		}
	}
	for _, suf := range derivedSuffixes {
		if rest == suf {
			return suf
		}
	}
	return ""
}

var patronymSuffixes = []string{"ovich", "evich", "ovna", "evna", "ichna", "ovic", "evic"}

// token folds one lower-case word.
func (f *Folder) token(raw string) Token {
	t := Token{Raw: raw}
	if hasCyrillic(raw) {
		raw = stripMarks(raw) // stress accents (и́); й and ё are single letters after NFKC
		seen := [numSchemes]string{}
		for sc := Scheme(0); sc < numSchemes; sc++ {
			lat := Translit(raw, sc)
			k := Key(lat)
			seen[sc] = k
			if sc == SchemeICAO {
				t.Key, t.Via = k, "translit:"+sc.String()
				continue
			}
			if k == t.Key || containsAlt(t.Alts, k) {
				continue
			}
			t.Alts = append(t.Alts, Variant{Key: k, Via: "translit:" + sc.String()})
		}
		for sc := Scheme(0); sc < numSchemes; sc++ {
			if x := XAlt(Translit(raw, sc)); x != "" && x != t.Key && !containsAlt(t.Alts, x) {
				t.Alts = append(t.Alts, Variant{Key: x, Via: "translit:" + sc.String()})
			}
		}
	} else {
		lat := latin(raw)
		t.Key = Key(lat)
		if x := XAlt(lat); x != "" && x != t.Key {
			t.Alts = append(t.Alts, Variant{Key: x, Via: "variant:x=kh"})
		}
	}
	for _, suf := range surnameSuffixes {
		if len(t.Key) > len(suf)+3 && strings.HasSuffix(t.Key, suf) {
			t.Alts = append(t.Alts, Variant{Key: t.Key[:len(t.Key)-len(suf)], Via: "suffix:-" + suf})
			break
		}
	}
	switch {
	case f.legalPlain[plainLatin(raw)] != "":
		t.Role, t.Group = RoleLegal, f.legalPlain[plainLatin(raw)]
	case isParticle(raw, t.Key):
		t.Role = RoleParticle
	case utf8.RuneCountInString(t.Key) == 1:
		t.Role = RoleInitial
	default:
		if c, ok := f.legal[t.Key]; ok {
			t.Role, t.Group = RoleLegal, c
		}
	}
	if t.Role == RoleName {
		for _, suf := range patronymSuffixes {
			if len(t.Key) > len(suf)+2 && strings.HasSuffix(t.Key, suf) {
				t.Role = RolePatronymic
				t.Alts = append(t.Alts, Variant{Key: t.Key[:len(t.Key)-len(suf)], Via: "patronymic:-" + suf})
				break
			}
		}
		if t.Role != RoleName {
			// a patronymic is the father's name, not an equivalent of the person's own
		} else if g, ok := f.given[t.Key]; ok {
			t.Group = g
		} else {
			for _, a := range t.Alts {
				if strings.HasPrefix(a.Via, "suffix:") {
					continue
				}
				if g, ok := f.given[a.Key]; ok {
					t.Group = g
					break
				}
			}
		}
		t.Common = f.common[t.Key]
	}
	return t
}

// stripMarks drops combining marks (stress accents) from a word.
func stripMarks(w string) string {
	for _, r := range w {
		if unicode.Is(unicode.Mn, r) {
			var b strings.Builder
			for _, r := range w {
				if !unicode.Is(unicode.Mn, r) {
					b.WriteRune(r)
				}
			}
			return b.String()
		}
	}
	return w
}

// isParticle tells whether a word is a particle. A short particle must be written as one,
// letter for letter: Lee, Ann and Dee fold to the keys of le, an and de but are names, and
// "the" folds to te.
func isParticle(raw, key string) bool {
	if len(key) > 3 {
		return particles[key]
	}
	return particles[strings.ReplaceAll(plainLatin(raw), "'", "")]
}

// plainLatin is a word in Latin letters before folding (Cyrillic by ICAO).
func plainLatin(w string) string {
	if hasCyrillic(w) {
		return Translit(w, SchemeICAO)
	}
	return latin(w)
}

func containsAlt(alts []Variant, k string) bool {
	for _, a := range alts {
		if a.Key == k {
			return true
		}
	}
	return false
}

// Tokens folds a name into tokens, appending to dst. Organisation forms written out in words
// ("limited liability company", "ООО") become one legal token; the word before o'g'li/qizi
// becomes a patronymic.
func (f *Folder) Tokens(dst []Token, name string) []Token {
	var wordsBuf [16]word
	words := f.split(wordsBuf[:0], lower(name))
	start := len(dst)
	pending := SepSpace // the separator of a word that folded to nothing passes on
	for _, w := range words {
		t := f.token(w.text)
		if t.Key == "" { // a lone soft sign or apostrophe folds to nothing
			pending = max(pending, w.sep)
			continue
		}
		t.Sep = max(pending, w.sep)
		if len(dst) == start {
			t.Sep = SepSpace
		}
		pending = SepSpace
		dst = append(dst, t)
	}
	toks := dst[start:]
	// multi-word organisation forms
	for i := 0; i < len(toks); i++ {
		forms := f.phrases[toks[i].Key]
		for _, form := range forms {
			keys, canon := form[:len(form)-1], form[len(form)-1]
			if i+len(keys) > len(toks) {
				continue
			}
			ok := true
			for j, k := range keys {
				if toks[i+j].Key != k {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			raw := make([]string, len(keys))
			for j := range keys {
				raw[j] = toks[i+j].Raw
			}
			toks[i] = Token{Raw: strings.Join(raw, " "), Key: canon, Role: RoleLegal, Group: canon, Sep: toks[i].Sep}
			toks = append(toks[:i+1], toks[i+len(keys):]...)
			break
		}
	}
	for i := range toks {
		if patronymMarkers[toks[i].Key] && i > 0 && toks[i-1].Role == RoleName {
			toks[i-1].Role = RolePatronymic
		}
	}
	return dst[:start+len(toks)]
}

// QueryKey is the normalised form of a name used to remember cleared matches: the primary keys
// of its tokens, sorted, space-separated, so that word order and spelling variants that fold
// alike give the same key.
func QueryKey(toks []Token) string {
	var buf [16]string
	keys := buf[:0]
	for _, t := range toks {
		keys = append(keys, t.Key)
	}
	// insertion sort: names are short
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return strings.Join(keys, " ")
}
