package sanctions_test

import (
	"testing"

	"github.com/qorovul/qorovul/sanctions"
)

func FuzzScreen(f *testing.F) {
	ix, err := sanctions.NewIndex([]sanctions.Entity{
		{List: "t", ID: "1", Type: sanctions.TypeIndividual, DOBs: []string{"1953-09-09", "1960/1962"},
			Nationalities: []string{"Russia"},
			Names: []sanctions.Name{{Full: "USMANOV, Alisher Burhanovich"}, {Full: "USMONOV, Alisher", Kind: sanctions.NameAlias},
				{Full: "Усманов Алишер", Kind: sanctions.NameAlias, Original: true}}},
		{List: "t", ID: "2", Type: sanctions.TypeOrganization, Names: []sanctions.Name{{Full: "OOO Bank Rossiya"}, {Full: "B.R.", Kind: sanctions.NameWeak}}},
		{List: "t", ID: "3", Type: sanctions.TypeVessel, Names: []sanctions.Name{{Full: "IVAN SIDORENKO"}}},
		{List: "t", ID: "4", Type: sanctions.TypeUnknown, Names: []sanctions.Name{{Full: "JOHN B. PRIDMORE-SMITH"},
			{Full: "ABD-AL-RAHMAN, Kim Jong-un", Kind: sanctions.NameAlias}}},
	}, "sha256:fuzz")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Алишер Усманов", "Alisher Usmonov o'g'li", "V.", "al bin de", "ООО Банк Россия", "Xolmatov", ""} {
		f.Add(s, "1953-09-09", "RU")
	}
	f.Add("Usmanov", "19", "??")
	f.Add("Smith-Pridmore, John-B", "", "")
	f.Add("-, ,- Abd-al-", "", "")
	f.Fuzz(func(t *testing.T, name, dob, nat string) {
		ms := ix.ScreenAt(sanctions.Query{Name: name, DOB: dob, Nationality: nat}, 0.3)
		for i, m := range ms {
			if m.Score < 0.3 || m.Score > 1 || m.EntryHash == "" || m.Name == "" {
				t.Fatalf("bad match %+v for %q", m, name)
			}
			if i > 0 && m.Score > ms[i-1].Score {
				t.Fatalf("not sorted for %q: %+v", name, ms)
			}
		}
		if s, _ := ix.ScoreNames(name, "USMANOV, Alisher Burhanovich"); s < 0 || s > 1 {
			t.Fatalf("ScoreNames(%q) = %v", name, s)
		}
	})
}
