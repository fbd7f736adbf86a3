package engine

import (
	"encoding/binary"
	"hash/fnv"
	"strings"
)

// paymentPrint identifies the payment an event id was decided for: hashes
// of its payer id, its beneficiary's number and its amount with currency
// (0 where the record has none). A later record of the same id whose print
// differs from the stored one is another payment reusing the id, not a
// retry or a status change of the first: returning the first's decision
// for it would answer for a payment that was never scored.
type paymentPrint [3]uint64

// printLen is the print's size where it is stored, after the audit
// sequence number in the decision record.
const printLen = 3 * 8

// printOf returns ev's print.
func printOf(ev *Event) paymentPrint {
	var amount string
	if ev.Amount.Currency != "" {
		amount = ev.Amount.Currency + " " + ev.Amount.Value.String()
	}
	return paymentPrint{printHash(ev.Payer.ID), printHash(ev.Beneficiary.MSISDN), printHash(amount)}
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
	for i, name := range [...]string{"payer", "beneficiary msisdn", "amount"} {
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
