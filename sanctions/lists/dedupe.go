package lists

import (
	"strings"

	"github.com/qorovul/qorovul/sanctions"
)

// cslSourceSDN is the program code the CSL mapper gives rows whose source is OFAC's SDN list.
const cslSourceSDN = "SDN"

// dropCSLCopies removes the CSL entries that only repeat an OFAC SDN entry loaded alongside:
// the CSL republishes the SDN list under the same entry ids, so without this one person comes
// back twice, once per list. A CSL entry is dropped only when it adds nothing: its source is
// SDN, an OFAC entry has its id and type, and each of its names, programs (besides the SDN
// source) and dates of birth is on that OFAC entry. A CSL entry that differs in any of these
// (a newer alias, a changed name) stays. Nationalities are not compared: the CSL writes ISO
// codes where OFAC writes country names, and the OFAC entry's are the ones the lists publish.
func dropCSLCopies(entities []sanctions.Entity) []sanctions.Entity {
	ofac := map[string]int{}
	for i := range entities {
		if entities[i].List == sanctions.ListOFAC {
			ofac[entities[i].ID] = i
		}
	}
	if len(ofac) == 0 {
		return entities
	}
	out := entities[:0]
	for _, e := range entities {
		if e.List == sanctions.ListCSL && containsFold(e.Programs, cslSourceSDN) {
			if i, ok := ofac[e.ID]; ok && repeats(&e, &entities[i]) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// repeats tells whether the CSL entry c holds nothing the OFAC entry o does not.
func repeats(c, o *sanctions.Entity) bool {
	if c.Type != o.Type {
		return false
	}
	for _, n := range c.Names {
		found := false
		for _, m := range o.Names {
			if strings.EqualFold(strings.TrimSpace(n.Full), strings.TrimSpace(m.Full)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, p := range c.Programs {
		if !strings.EqualFold(p, cslSourceSDN) && !containsFold(o.Programs, p) {
			return false
		}
	}
	for _, d := range c.DOBs {
		if !containsFold(o.DOBs, d) {
			return false
		}
	}
	return true
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
