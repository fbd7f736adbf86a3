// Package ofac reads the OFAC Specially Designated Nationals list in its legacy CSV form
// (sdn.csv, alt.csv, add.csv and sdn_comments.csv; no header, "-0-" for empty) and maps it
// to sanctions.Entity: the SDN name as primary, alt.csv names as aliases, the "a.k.a. '…'"
// of the remarks as weak aliases, dates of birth and nationalities from the remarks.
package ofac
