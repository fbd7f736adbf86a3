package csl

import (
	"regexp"
	"strings"

	"github.com/qorovul/qorovul/sanctions"
)

// Map turns rows into entities; rows sharing an _id become one entity.
func Map(rows []Row) []sanctions.Entity {
	out := make([]sanctions.Entity, 0, len(rows))
	byID := make(map[string]int, len(rows))
	for _, r := range rows {
		i, ok := byID[r.ID]
		if !ok {
			i = len(out)
			byID[r.ID] = i
			out = append(out, sanctions.Entity{List: sanctions.ListCSL, ID: r.ID, Type: entityType(r.Type)})
			out[i].AddName(r.Name, sanctions.NamePrimary, false)
		} else {
			out[i].AddName(r.Name, sanctions.NameAlias, false)
		}
		e := &out[i]
		for _, a := range split(r.AltNames) {
			e.AddName(a, sanctions.NameAlias, false)
		}
		for _, d := range split(r.DatesOfBirth) {
			if s := parseDOB(d); s != "" && !has(e.DOBs, s) {
				e.DOBs = append(e.DOBs, s)
			}
		}
		for _, n := range append(split(r.Nationalities), split(r.Citizenships)...) {
			if !has(e.Nationalities, n) {
				e.Nationalities = append(e.Nationalities, n)
			}
		}
		for _, p := range append([]string{sourceCode(r.Source)}, split(r.Programs)...) {
			if p != "" && !has(e.Programs, p) {
				e.Programs = append(e.Programs, p)
			}
		}
	}
	return out
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func has(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func entityType(t string) sanctions.EntityType {
	switch strings.ToLower(t) {
	case "individual":
		return sanctions.TypeIndividual
	case "entity":
		return sanctions.TypeOrganization
	case "vessel":
		return sanctions.TypeVessel
	case "aircraft":
		return sanctions.TypeAircraft
	}
	return sanctions.TypeUnknown
}

var (
	sourceRe = regexp.MustCompile(`\(([A-Z][A-Za-z -]*)\)`)
	rangeRe  = regexp.MustCompile(`^(?:circa )?(\d{4}) to (\d{4})$`)
	dateRe   = regexp.MustCompile(`^(?:circa )?(\d{4}(?:-\d{2}(?:-\d{2})?)?)$`)
)

// sourceCode is the short code of a source ("Specially Designated Nationals (SDN) - …" → SDN).
func sourceCode(s string) string {
	if m := sourceRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return strings.TrimSpace(s)
}

func parseDOB(s string) string {
	if m := rangeRe.FindStringSubmatch(s); m != nil {
		return m[1] + "/" + m[2]
	}
	if m := dateRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
