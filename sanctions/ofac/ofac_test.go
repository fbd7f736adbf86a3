package ofac_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/ofac"
)

func mustRead[T any](t *testing.T, name string, read func(r *os.File) ([]T, error)) []T {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := read(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return out
}

func mustMap(t *testing.T) []sanctions.Entity {
	t.Helper()
	sdns := mustRead(t, "sdn.csv", func(f *os.File) ([]ofac.SDN, error) { return ofac.ReadSDN(f) })
	alts := mustRead(t, "alt.csv", func(f *os.File) ([]ofac.Alt, error) { return ofac.ReadAlt(f) })
	adds := mustRead(t, "add.csv", func(f *os.File) ([]ofac.Address, error) { return ofac.ReadAddresses(f) })
	return ofac.Map(sdns, alts, adds, nil)
}

func find(t *testing.T, es []sanctions.Entity, id string) sanctions.Entity {
	t.Helper()
	for _, e := range es {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("entry %s not mapped", id)
	return sanctions.Entity{}
}

func TestReadSDN(t *testing.T) {
	sdns := mustRead(t, "sdn.csv", func(f *os.File) ([]ofac.SDN, error) { return ofac.ReadSDN(f) })
	if len(sdns) != 8 {
		t.Fatalf("read %d rows, want 8", len(sdns))
	}
	u := sdns[len(sdns)-2]
	if u.EntNum != "35283" || u.Name != "USMANOV, Alisher Burhanovich" || u.Type != "individual" || u.Programs != "RUSSIA-EO14024" {
		t.Errorf("row = %+v", u)
	}
	if u.Title != "" || u.CallSign != "" {
		t.Errorf("-0- not read as empty: %+v", u)
	}
}

func TestMap(t *testing.T) {
	es := mustMap(t)
	t.Run("Usmanov", func(t *testing.T) {
		e := find(t, es, "35283")
		if e.List != sanctions.ListOFAC || e.Type != sanctions.TypeIndividual {
			t.Errorf("list/type = %s/%s", e.List, e.Type)
		}
		want := []sanctions.Name{
			{Full: "USMANOV, Alisher Burhanovich", Kind: sanctions.NamePrimary},
			{Full: "USMONOV, Alisher", Kind: sanctions.NameAlias},
			{Full: "USMANOV, Alisher Burkhanovich", Kind: sanctions.NameAlias},
		}
		if !slices.Equal(e.Names, want) {
			t.Errorf("names = %+v, want %+v", e.Names, want)
		}
		if !slices.Equal(e.DOBs, []string{"1953-09-09"}) {
			t.Errorf("DOBs = %v", e.DOBs)
		}
		if !slices.Equal(e.Nationalities, []string{"Russia"}) {
			t.Errorf("nationalities = %v", e.Nationalities)
		}
		if !slices.Equal(e.Programs, []string{"RUSSIA-EO14024"}) {
			t.Errorf("programs = %v", e.Programs)
		}
	})
	t.Run("WeakAliasFromRemarks", func(t *testing.T) {
		e := find(t, es, "306")
		var weak []string
		for _, n := range e.Names {
			if n.Kind == sanctions.NameWeak {
				weak = append(weak, n.Full)
			}
		}
		if !slices.Equal(weak, []string{"BNC"}) {
			t.Errorf("weak names = %v, want [BNC]", weak)
		}
		if e.Type != sanctions.TypeOrganization {
			t.Errorf("type = %s", e.Type)
		}
	})
	t.Run("DOBRangeAndAlternates", func(t *testing.T) {
		if got := find(t, es, "16540").DOBs; !slices.Equal(got, []string{"1977/1985"}) {
			t.Errorf("16540 DOBs = %v, want [1977/1985]", got)
		}
		if got := find(t, es, "8279").DOBs; !slices.Equal(got, []string{"1967-01-13", "1970-01-13"}) {
			t.Errorf("8279 DOBs = %v", got)
		}
	})
	t.Run("Vessel", func(t *testing.T) {
		if e := find(t, es, "15036"); e.Type != sanctions.TypeVessel {
			t.Errorf("type = %s", e.Type)
		}
	})
}

func TestReadErrorsNameTheLine(t *testing.T) {
	in := "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n" +
		"173,\"ANGLO-CARIBBEAN CO., LTD.\",-0- ,\"CUBA\"\r\n"
	_, err := ofac.ReadSDN(strings.NewReader(in))
	var le *ofac.LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("err = %v, want a LineError on line 2", err)
	}
	_, err = ofac.ReadAlt(strings.NewReader("x36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n"))
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "ent_num") {
		t.Fatalf("err = %v, want a LineError on line 1 about ent_num", err)
	}
	_, err = ofac.ReadSDN(strings.NewReader("1,\"unterminated\r\n"))
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a LineError", err)
	}
}

func TestEOFByteIgnored(t *testing.T) {
	rows, err := ofac.ReadAlt(strings.NewReader("36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n\x1a"))
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %v, err %v", rows, err)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"sdn.csv", "alt.csv", "add.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("1,\"a\"\"b\",-0-\r\n\x1a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sdns, err1 := ofac.ReadSDN(bytes.NewReader(b))
		alts, err2 := ofac.ReadAlt(bytes.NewReader(b))
		adds, err3 := ofac.ReadAddresses(bytes.NewReader(b))
		comments, err4 := ofac.ReadComments(bytes.NewReader(b))
		for _, err := range []error{err1, err2, err3, err4} {
			var le *ofac.LineError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("error without a line: %v", err)
			}
		}
		for _, e := range ofac.Map(sdns, alts, adds, comments) {
			if e.ID == "" || e.List != sanctions.ListOFAC {
				t.Fatalf("bad entity %+v", e)
			}
		}
	})
}
