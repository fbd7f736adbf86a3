// Package sanctions screens names against sanctions lists.
//
// It owns the common entity that every list package maps to (Entity: list, id, type, names
// of kind primary/alias/weak, original-script names, dates of birth, nationalities,
// programs), the in-memory Index built from those entities, and Screen, which finds the
// listed entries a queried name (optionally with a date of birth and nationality) matches.
//
// Candidate retrieval goes through a trigram index over the folded name parts (package
// fold), never a scan of the lists. Scoring aligns name parts in any order with a
// letter-level similarity, weights rare parts over common ones and surnames over
// patronymics, and explains every match (the listed name hit, the transliteration or variant
// that made the hit). Screener holds an Index for atomic reloads.
//
// Screening runs on every payment, so everyday names must not alert on a listed name that
// merely shares a part with them. Hence: a part left unmatched costs its miss cost, which
// corridor commonness does not lower as it lowers a match's credit, and Lee is a name, not
// the particle le (Sarah Lee is not the vessel SARA); a listed person's given name or surname that the query does not match costs more than a
// middle name (Michael Williams is not William Michael Johnson, William Johnson may be); a
// hyphenated compound matches whole or earns only its matched share (John Smith is not John
// B. Pridmore-Smith); two known given names of different groups, a name and the surname or
// patronymic made of it, are different names (Aleksei/Aleksandr, Pavlov/Pavlovski,
// David/Davidovich).
//
// The list readers live in sanctions/ofac, sanctions/un and sanctions/csl; sanctions/lists
// loads a folder of list files or the embedded snapshot (sanctions/snapshot).
package sanctions
