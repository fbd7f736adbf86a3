package un_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/un"
)

func mustRead(t *testing.T) *un.List {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "consolidated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := un.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRead(t *testing.T) {
	l := mustRead(t)
	if l.DateGenerated != "2026-02-27T00:00:09.554Z" {
		t.Errorf("dateGenerated = %q", l.DateGenerated)
	}
	if len(l.Individuals) != 4 || len(l.Entities) != 1 {
		t.Fatalf("%d individuals, %d entities; want 4, 1", len(l.Individuals), len(l.Entities))
	}
	if l.Individuals[0].Line < 2 {
		t.Errorf("individual line = %d", l.Individuals[0].Line)
	}
}

func TestMap(t *testing.T) {
	es := un.Map(mustRead(t))
	byID := map[string]sanctions.Entity{}
	for _, e := range es {
		byID[e.ID] = e
	}
	t.Run("OriginalScriptAndWeakAliases", func(t *testing.T) {
		e, ok := byID["QDi.363"]
		if !ok {
			t.Fatal("QDi.363 missing")
		}
		var original, weak int
		for _, n := range e.Names {
			if n.Original {
				original++
				if n.Full != "Абдурахманов Магомед Магомедзакирович" {
					t.Errorf("original-script name = %q", n.Full)
				}
			}
			if n.Kind == sanctions.NameWeak {
				weak++
			}
		}
		if original != 1 || weak == 0 {
			t.Errorf("original %d, weak %d in %+v", original, weak, e.Names)
		}
		if e.Names[0].Kind != sanctions.NamePrimary || e.Type != sanctions.TypeIndividual {
			t.Errorf("first name %+v, type %s", e.Names[0], e.Type)
		}
		if !slices.Contains(e.Nationalities, "Russian Federation") {
			t.Errorf("nationalities = %v", e.Nationalities)
		}
	})
	t.Run("DatesOfBirth", func(t *testing.T) {
		if got := byID["CDi.001"].DOBs; !slices.Equal(got, []string{"1971"}) {
			t.Errorf("CDi.001 DOBs = %v", got)
		}
		ranged := false
		for _, e := range es {
			for _, d := range e.DOBs {
				if strings.Contains(d, "/") {
					ranged = true
				}
			}
		}
		if !ranged {
			t.Error("no BETWEEN date mapped to a YYYY/YYYY range")
		}
	})
	t.Run("Entity", func(t *testing.T) {
		e := byID["CDe.001"]
		if e.Type != sanctions.TypeOrganization || e.Primary() != "ADF" || len(e.Names) != 5 {
			t.Errorf("entity = %+v", e)
		}
	})
}

func TestReadErrorsNameTheLine(t *testing.T) {
	in := "<?xml version=\"1.0\"?>\n<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL>\n<DATAID>1</DATAID>\n<FIRST_NAME>A</FIRST\n</INDIVIDUAL>"
	_, err := un.Read(strings.NewReader(in))
	var le *un.LineError
	if !errors.As(err, &le) || le.Line < 6 {
		t.Fatalf("err = %v, want a LineError at line 6 or after", err)
	}
	_, err = un.Read(strings.NewReader("<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"))
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "DATAID") {
		t.Fatalf("err = %v, want line 2 without DATAID", err)
	}
	_, err = un.Read(strings.NewReader("<OTHER/>"))
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a LineError for a foreign document", err)
	}
}

func FuzzRead(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "consolidated.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("<CONSOLIDATED_LIST><ENTITIES><ENTITY><DATAID>1</DATAID></ENTITY></ENTITIES></CONSOLIDATED_LIST>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := un.Read(bytes.NewReader(b))
		if err != nil {
			var le *un.LineError
			if !errors.As(err, &le) {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, e := range un.Map(l) {
			if e.ID == "" || e.List != sanctions.ListUN {
				t.Fatalf("bad entity %+v", e)
			}
		}
	})
}
