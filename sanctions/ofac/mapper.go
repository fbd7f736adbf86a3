package ofac

import (
	"regexp"
	"strings"
	"time"

	"github.com/qorovul/qorovul/sanctions"
)

// Map joins the four files on ent_num into entities, in sdn.csv order. Alternate names,
// addresses and comments of entries missing from sdns are ignored.
func Map(sdns []SDN, alts []Alt, addrs []Address, comments []Comment) []sanctions.Entity {
	byNum := make(map[string]int, len(sdns))
	out := make([]sanctions.Entity, 0, len(sdns))
	remarks := make([]string, 0, len(sdns))
	for _, s := range sdns {
		if i, dup := byNum[s.EntNum]; dup {
			out[i].AddName(s.Name, sanctions.NameAlias, false)
			continue
		}
		byNum[s.EntNum] = len(out)
		e := sanctions.Entity{List: sanctions.ListOFAC, ID: s.EntNum, Type: entityType(s.Type)}
		e.AddName(s.Name, sanctions.NamePrimary, false)
		for _, p := range strings.Split(s.Programs, "] [") {
			if p = strings.Trim(p, "[] "); p != "" {
				e.Programs = append(e.Programs, p)
			}
		}
		out = append(out, e)
		remarks = append(remarks, s.Remarks)
	}
	for _, a := range alts {
		if i, ok := byNum[a.EntNum]; ok {
			out[i].AddName(a.Name, sanctions.NameAlias, false)
		}
	}
	for _, c := range comments {
		if i, ok := byNum[c.EntNum]; ok {
			remarks[i] += " " + c.Remarks
		}
	}
	for i := range out {
		mapRemarks(&out[i], remarks[i])
	}
	_ = addrs // addresses carry no name, date or nationality; read for completeness
	return out
}

func entityType(t string) sanctions.EntityType {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "individual":
		return sanctions.TypeIndividual
	case "vessel":
		return sanctions.TypeVessel
	case "aircraft":
		return sanctions.TypeAircraft
	case "":
		return sanctions.TypeOrganization
	}
	return sanctions.TypeUnknown
}

var (
	weakAKA     = regexp.MustCompile(`[af]\.k\.a\.,? '([^']+)'`)
	dobRe       = regexp.MustCompile(`\bDOB ([^;]+)`)
	nationalRe  = regexp.MustCompile(`\b(?:nationality|citizen) ([^;.]+)`)
	yearRangeRe = regexp.MustCompile(`^(?:circa )?(?:\d{1,2} )?(?:[A-Z][a-z]{2} )?(\d{4}) to (?:\d{1,2} )?(?:[A-Z][a-z]{2} )?(\d{4})$`)
)

// mapRemarks takes weak aliases, dates of birth and nationalities out of the remarks.
func mapRemarks(e *sanctions.Entity, remarks string) {
	for _, m := range weakAKA.FindAllStringSubmatch(remarks, -1) {
		e.AddName(m[1], sanctions.NameWeak, false)
	}
	for _, m := range dobRe.FindAllStringSubmatch(remarks, -1) {
		if d := parseDOB(strings.TrimSpace(m[1])); d != "" {
			e.DOBs = append(e.DOBs, d)
		}
	}
	for _, m := range nationalRe.FindAllStringSubmatch(remarks, -1) {
		n := strings.TrimSpace(m[1])
		if n != "" && !has(e.Nationalities, n) {
			e.Nationalities = append(e.Nationalities, n)
		}
	}
}

func has(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// parseDOB reads "09 Sep 1953", "Sep 1953", "1953", "circa 1953", "1963 to 1965" and
// "01 Jan 1960 to 31 Dec 1962" into the forms sanctions.Entity.DOBs takes.
func parseDOB(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if m := yearRangeRe.FindStringSubmatch(s); m != nil {
		return m[1] + "/" + m[2]
	}
	s = strings.TrimPrefix(s, "circa ")
	for _, layout := range []struct{ in, out string }{
		{"02 Jan 2006", "2006-01-02"}, {"2 Jan 2006", "2006-01-02"}, {"Jan 2006", "2006-01"}, {"2006", "2006"},
	} {
		if t, err := time.Parse(layout.in, s); err == nil {
			return t.Format(layout.out)
		}
	}
	return ""
}
