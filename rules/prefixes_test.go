package rules_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/qorovul/qorovul/rules"
)

type prefixTable struct {
	OperatorPrefixes struct {
		Version   string `json:"version"`
		Source    string `json:"source"`
		Countries map[string]struct {
			Country       string            `json:"country"`
			PrefixLengths []int             `json:"prefix_lengths"`
			Operators     map[string]string `json:"operators"`
		} `json:"countries"`
		Aliases map[string]string `json:"aliases"`
	} `json:"operator_prefixes"`
}

// libphonenumber's carrier names (en) and the operator ids of the table.
var carrierIDs = map[string]string{
	"Beeline":      "beeline",
	"Ucell":        "ucell",
	"MobiUZ":       "mobiuz",
	"Uzbektelecom": "uzmobile", // Uzmobile is Uzbektelecom's mobile brand
	"HUMANS":       "humans",
	"Perfectum":    "perfectum",
	"Tcell":        "tcell",
	"Megafon":      "megafon",
	"Babilon-M":    "babilon",
	"ZET-MOBILE":   "zet",
	"O-Mobile":     "omobile",
	"Anor":         "anor",
}

func readPrefixTable(t *testing.T) prefixTable {
	t.Helper()
	b, err := fs.ReadFile(rules.DefaultFS(), "prefixes.json")
	if err != nil {
		t.Fatal(err)
	}
	var pt prefixTable
	if err := json.Unmarshal(b, &pt); err != nil {
		t.Fatalf("parse prefixes.json: %v", err)
	}
	return pt
}

// lookup finds the operator the table gives a national number.
func lookup(ops map[string]string, lengths []int, national string) (prefix, op string) {
	for _, n := range lengths {
		if n <= len(national) {
			if op, ok := ops[national[:n]]; ok {
				return national[:n], op
			}
		}
	}
	return "", ""
}

// The table agrees with libphonenumber's carrier data wherever that data
// names a carrier for a valid mobile number, and covers every such range.
func TestPrefixTableAgreesWithLibphonenumber(t *testing.T) {
	pt := readPrefixTable(t).OperatorPrefixes
	if pt.Version == "" || pt.Source == "" {
		t.Fatalf("prefixes.json needs a version and a source, got %q, %q", pt.Version, pt.Source)
	}
	wantCountries := map[string]string{"998": "UZ", "992": "TJ"}
	for code, country := range wantCountries {
		if got := pt.Countries[code].Country; got != country {
			t.Errorf("calling code %s is %q in the table, want %s", code, got, country)
		}
	}
	for code, plan := range pt.Countries {
		region := phonenumbers.GetRegionCodeForCountryCode(atoi(t, code))
		if region != plan.Country {
			t.Errorf("calling code %s: libphonenumber region %s, table country %s", code, region, plan.Country)
		}
		checked, reported := 0, map[string]bool{}
		// Every four-digit start of a nine-digit national number.
		for i := range 10000 {
			national := fmt.Sprintf("%04d56789", i)
			num, err := phonenumbers.Parse("+"+code+national, "")
			if err != nil || !phonenumbers.IsValidNumber(num) || phonenumbers.GetNumberType(num) != phonenumbers.MOBILE {
				continue
			}
			carrier, err := phonenumbers.GetCarrierForNumber(num, "en")
			if err != nil {
				t.Fatal(err)
			}
			if carrier == "" {
				continue
			}
			want, known := carrierIDs[carrier]
			if !known {
				t.Errorf("+%s %s: libphonenumber carrier %q has no operator id", code, national, carrier)
				continue
			}
			prefix, got := lookup(plan.Operators, plan.PrefixLengths, national)
			if got != want && !reported[national[:2]] {
				reported[national[:2]] = true // one error per range is enough
				t.Errorf("+%s %s: table says %q (prefix %q), libphonenumber says %s (%s)", code, national, got, prefix, carrier, want)
			}
			checked++
		}
		if checked < 10 {
			t.Errorf("calling code %s: only %d mobile ranges checked", code, checked)
		}
		// Every table entry holds valid mobile numbers that libphonenumber
		// gives the same operator, or no carrier at all.
		for prefix, op := range plan.Operators {
			found := false
			for k := 0; k < 1000 && !found; k++ {
				national := (prefix + fmt.Sprintf("%03d", k) + "456789")[:9]
				num, err := phonenumbers.Parse("+"+code+national, "")
				if err != nil || !phonenumbers.IsValidNumber(num) || phonenumbers.GetNumberType(num) != phonenumbers.MOBILE {
					continue
				}
				found = true
				if carrier, _ := phonenumbers.GetCarrierForNumber(num, "en"); carrier != "" && carrierIDs[carrier] != op {
					t.Errorf("+%s prefix %s: table says %s, libphonenumber says %s", code, prefix, op, carrier)
				}
			}
			if !found {
				t.Errorf("+%s prefix %s: no valid mobile number for libphonenumber", code, prefix)
			}
		}
	}
}

// The brief's corridor facts hold: the well-known ranges map to the expected
// operators.
func TestPrefixTableCorridorFacts(t *testing.T) {
	pt := readPrefixTable(t).OperatorPrefixes
	facts := map[string]string{
		"+998 90": "beeline", "+998 91": "beeline",
		"+998 93": "ucell", "+998 94": "ucell",
		"+998 97": "mobiuz", "+998 88": "mobiuz",
		"+998 95": "uzmobile", "+998 99": "uzmobile", "+998 77": "uzmobile",
		"+998 33": "humans",
		"+992 92": "tcell", "+992 93": "tcell",
		"+992 90": "megafon", "+992 98": "babilon", "+992 91": "zet",
	}
	for number, want := range facts {
		code, national, _ := strings.Cut(strings.TrimPrefix(number, "+"), " ")
		plan := pt.Countries[code]
		if _, got := lookup(plan.Operators, plan.PrefixLengths, national+"1234567"); got != want {
			t.Errorf("%s: table says %q, want %s", number, got, want)
		}
	}
	for alias, id := range pt.Aliases {
		if alias != strings.ToLower(alias) {
			t.Errorf("alias %q must be lower case (the input operator is lower-cased)", alias)
		}
		if _, ok := pt.Aliases[id]; ok {
			t.Errorf("alias %q points to another alias %q", alias, id)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
