package fold

import (
	"strings"
	"unicode"
)

// Scheme is a Cyrillic to Latin transliteration scheme.
type Scheme uint8

// The schemes a Cyrillic token is transliterated under, all at once.
const (
	SchemeICAO  Scheme = iota // Russian passports since 2013 (ICAO Doc 9303)
	SchemeBGN                 // BGN/PCGN 1947 romanisation of Russian
	SchemeGOST                // GOST 7.79-2000 system B
	SchemeUzbek               // Uzbek Cyrillic to the 1995 Uzbek Latin alphabet
	SchemeTajik               // Tajik Cyrillic (ҷ ӯ ӣ ҳ қ ғ) as Tajik passports romanise it
	numSchemes
)

var schemeNames = [numSchemes]string{"ru-icao", "ru-bgn", "ru-gost", "uz", "tj"}

// String names the scheme as match explanations show it.
func (s Scheme) String() string {
	if s < numSchemes {
		return schemeNames[s]
	}
	return "unknown"
}

// base is the part every scheme agrees on, and the letters of neighbouring alphabets
// (Ukrainian, Belarusian, Kazakh, Kyrgyz, Mongolian) that no scheme above covers.
var base = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'з': "z", 'и': "i", 'к': "k", 'л': "l",
	'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f",
	'ч': "ch", 'ш': "sh", 'ь': "", 'э': "e",
	'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u", 'ұ': "u", 'ү': "u", 'ө': "o", 'ә': "a",
	'ң': "ng", 'һ': "h", 'қ': "k", 'ғ': "g", 'ҳ': "h", 'ҷ': "j", 'ӯ': "u", 'ӣ': "i", 'ҫ': "s",
}

// per-scheme differences from base. "ye" entries get the positional rule in translit.
var schemes = [numSchemes]map[rune]string{
	SchemeICAO: {'е': "e", 'ё': "e", 'ж': "zh", 'й': "i", 'х': "kh", 'ц': "ts", 'щ': "shch",
		'ъ': "ie", 'ы': "y", 'ю': "iu", 'я': "ia"},
	SchemeBGN: {'е': "ye", 'ё': "yo", 'ж': "zh", 'й': "y", 'х': "kh", 'ц': "ts", 'щ': "shch",
		'ъ': "", 'ы': "y", 'ю': "yu", 'я': "ya"},
	SchemeGOST: {'е': "e", 'ё': "yo", 'ж': "zh", 'й': "j", 'х': "x", 'ц': "cz", 'щ': "shh",
		'ъ': "", 'ы': "y", 'ю': "yu", 'я': "ya"},
	SchemeUzbek: {'е': "ye", 'ё': "yo", 'ж': "j", 'й': "y", 'х': "x", 'ц': "s", 'щ': "sh",
		'ъ': "'", 'ы': "i", 'ю': "yu", 'я': "ya", 'ў': "o'", 'қ': "q", 'ғ': "g'", 'ҳ': "h"},
	SchemeTajik: {'е': "ye", 'ё': "yo", 'ж': "zh", 'й': "y", 'х': "kh", 'ц': "ts", 'щ': "sh",
		'ъ': "", 'ы': "y", 'ю': "yu", 'я': "ya", 'ҷ': "j", 'ӯ': "u", 'ӣ': "i", 'қ': "q", 'ғ': "gh",
		'ҳ': "h"},
}

func isCyrillic(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }

func hasCyrillic(s string) bool {
	for _, r := range s {
		if r >= 0x400 && isCyrillic(r) {
			return true
		}
	}
	return false
}

func isCyrVowel(r rune) bool {
	switch r {
	case 'а', 'е', 'ё', 'и', 'о', 'у', 'ы', 'э', 'ю', 'я', 'ў', 'ӯ', 'ӣ', 'і', 'є', 'ї', 'ъ', 'ь':
		return true
	}
	return false
}

// Translit writes the lower-case Cyrillic token s in Latin letters under scheme sc.
// Runes that are not Cyrillic pass through unchanged.
func Translit(s string, sc Scheme) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	table := schemes[sc]
	prev := rune(-1)
	for _, r := range s {
		out, ok := table[r]
		if !ok {
			out, ok = base[r]
		}
		if !ok {
			b.WriteRune(r)
			prev = r
			continue
		}
		// "ye" only at the start of a word or after a vowel or a sign; "e" elsewhere.
		if r == 'е' && out == "ye" && prev != -1 && !isCyrVowel(prev) {
			out = "e"
		}
		b.WriteString(out)
		prev = r
	}
	return b.String()
}
