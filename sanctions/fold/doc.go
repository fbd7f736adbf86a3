// Package fold normalises personal and organisation names for sanctions screening.
//
// It works on letters, never bytes: NFKC, case folding and diacritic removal first; then
// Cyrillic words are transliterated under several schemes at once (Russian ICAO passport,
// BGN/PCGN, GOST 7.79, Uzbek Cyrillic to Latin, Tajik) and every Latin spelling is folded
// into a key that the usual variants share (kh/h/x, y/i/j, ya/ia, yu/iu, dzh/j, o'/u,
// doubled letters, -ova/-ov). Tokens carry their role (name, patronymic, initial,
// organisation form, particle), their given-name equivalence group (Aleksandr, Alexander
// and Iskandar share one) and whether they are corridor-common. The equivalents, forms,
// common names and countries are embedded data files under data/, not code.
package fold
