package engine

import (
	"encoding/binary"
	"hash/fnv"
	"strings"
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
// the next is not taken for another payment.
func printOf(ev *Event) paymentPrint {
	var amount string
	if ev.Amount.Currency != "" {
		amount = ev.Amount.Currency + " " + ev.Amount.Value.String()
	}
	return paymentPrint{printHash(ev.Payer.ID), printHash(nameKey(ev.Payer.Name)), printHash(ev.Beneficiary.MSISDN),
		printHash(nameKey(ev.Beneficiary.Name)), printHash(amount)}
}

func nameKey(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

func printHash(s string) uint64 {
	if s == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
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
