package engine

import (
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
)

// paymentPrint identifies the payment an event id was decided for: hashes
// of its payer's id and name, its beneficiary's number and name, and its
// amount with currency (0 where the record has none). A later record of the
// same id whose print differs from the stored one is another payment
// reusing the id, not a retry or a status change of the first: returning
// the first's decision for it would answer for a payment that was never
// scored, or for names that were never screened.
type paymentPrint [5]uint64

// printParts names the print's parts, in order.
var printParts = [...]string{"payer", "payer name", "beneficiary msisdn", "beneficiary name", "amount"}

// printLen is the print's size where it is stored, after the audit
// sequence number in the decision record.
const printLen = len(printParts) * 8

// printOf returns ev's print. Names are compared by their words, case
// folded, so that a source that capitalises them in one record and not in
// the next is not taken for another payment. It runs once per event, so
// it hashes as it reads, without building the strings it hashes.
func printOf(ev *Event) paymentPrint {
	var amount uint64
	if ev.Amount.Currency != "" {
		h := fnvAdd(fnvAdd(fnvOffset, ev.Amount.Currency), " ")
		amount = nonZero(fnvAdd(h, ev.Amount.Value.String()))
	}
	return paymentPrint{printHash(ev.Payer.ID), nameHash(ev.Payer.Name), printHash(ev.Beneficiary.MSISDN),
		nameHash(ev.Beneficiary.Name), amount}
}

// FNV-1a, 64 bits (as hash/fnv's New64a computes it).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// nonZero keeps 0 for a part the record lacks.
func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func printHash(s string) uint64 {
	if s == "" {
		return 0
	}
	return nonZero(fnvAdd(fnvOffset, s))
}

// nameHash is printHash of the name's words, lower-cased and joined by
// single spaces (strings.Join(strings.Fields(strings.ToLower(name)), " ")).
func nameHash(name string) uint64 {
	h, words, inWord := uint64(fnvOffset), 0, false
	var buf [utf8.UTFMax]byte
	for _, r := range name {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			if words > 0 {
				h = fnvAdd(h, " ")
			}
			words++
			inWord = true
		}
		for _, b := range utf8.AppendRune(buf[:0], unicode.ToLower(r)) {
			h ^= uint64(b)
			h *= fnvPrime
		}
	}
	if words == 0 {
		return 0
	}
	return nonZero(h)
}

// differs names the parts that both prints have and that differ (nil if
// none): a part one record lacks is not compared.
func (a paymentPrint) differs(b paymentPrint) []string {
	var out []string
	for i, name := range printParts {
		if a[i] != 0 && b[i] != 0 && a[i] != b[i] {
			out = append(out, name)
		}
	}
	return out
}

func (a paymentPrint) append(b []byte) []byte {
	for _, v := range a {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func decodePrint(b []byte) (p paymentPrint) {
	for i := range p {
		p[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return p
}

// reusedIDError is the error for a record that reuses an event id decided
// for another payment; it names the parts that differ, not their values.
func reusedIDError(id string, parts []string) error {
	return Errorf(ECONFLICT, "event id %s was decided for another payment (what differs: %s); a new payment needs a new id",
		id, strings.Join(parts, ", "))
}
