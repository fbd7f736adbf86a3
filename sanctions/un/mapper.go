package un

import (
	"strings"

	"github.com/qorovul/qorovul/sanctions"
)

// Map turns the list into entities: individuals first, then entities, in file order.
func Map(l *List) []sanctions.Entity {
	out := make([]sanctions.Entity, 0, len(l.Individuals)+len(l.Entities))
	for _, ind := range l.Individuals {
		e := sanctions.Entity{List: sanctions.ListUN, ID: id(ind.ReferenceNumber, ind.DataID),
			Type: sanctions.TypeIndividual}
		e.AddName(joinName(ind.FirstName, ind.SecondName, ind.ThirdName, ind.FourthName), sanctions.NamePrimary, false)
		addAliases(&e, ind.Aliases)
		e.AddName(ind.NameOriginalScript, sanctions.NameAlias, true)
		for _, d := range ind.DatesOfBirth {
			if s := d.String(); s != "" {
				e.DOBs = append(e.DOBs, s)
			}
		}
		for _, n := range ind.Nationalities {
			if n = strings.TrimSpace(n); n != "" {
				e.Nationalities = append(e.Nationalities, n)
			}
		}
		if lt := strings.TrimSpace(ind.ListType); lt != "" {
			e.Programs = []string{lt}
		}
		out = append(out, e)
	}
	for _, ent := range l.Entities {
		e := sanctions.Entity{List: sanctions.ListUN, ID: id(ent.ReferenceNumber, ent.DataID),
			Type: sanctions.TypeOrganization}
		e.AddName(ent.FirstName, sanctions.NamePrimary, false)
		addAliases(&e, ent.Aliases)
		e.AddName(ent.NameOriginalScript, sanctions.NameAlias, true)
		if lt := strings.TrimSpace(ent.ListType); lt != "" {
			e.Programs = []string{lt}
		}
		out = append(out, e)
	}
	return out
}

func id(ref, dataID string) string {
	if ref = strings.TrimSpace(ref); ref != "" {
		return ref
	}
	return strings.TrimSpace(dataID)
}

func joinName(parts ...string) string {
	var words []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			words = append(words, p)
		}
	}
	return strings.Join(words, " ")
}

func addAliases(e *sanctions.Entity, aliases []Alias) {
	for _, a := range aliases {
		kind := sanctions.NameAlias
		if strings.EqualFold(strings.TrimSpace(a.Quality), "low") {
			kind = sanctions.NameWeak
		}
		e.AddName(a.Name, kind, false)
	}
}

// String is the date in sanctions.Entity.DOBs form, "" when it holds none.
func (d DOB) String() string {
	if from, to := strings.TrimSpace(d.FromYear), strings.TrimSpace(d.ToYear); from != "" && to != "" {
		return from + "/" + to
	}
	if s := strings.TrimSpace(d.Date); s != "" {
		return s
	}
	return strings.TrimSpace(d.Year)
}
