package csl_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
	"github.com/qorovul/qorovul/sanctions/csl"
)

func mustRead(t *testing.T, name string) []csl.Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csl.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReadPlainAndGzip(t *testing.T) {
	plain := mustRead(t, "consolidated.csv")
	gz := mustRead(t, "consolidated.csv.gz")
	if len(plain) != 5 || !slices.Equal(plain, gz) {
		t.Fatalf("plain %d rows, gzip %d rows; want 5 equal rows", len(plain), len(gz))
	}
}

func TestMap(t *testing.T) {
	es := csl.Map(mustRead(t, "consolidated.csv"))
	var u sanctions.Entity
	for _, e := range es {
		if e.ID == "35283" {
			u = e
		}
		if e.List != sanctions.ListCSL {
			t.Errorf("list = %s", e.List)
		}
	}
	if u.Primary() != "USMANOV, Alisher Burhanovich" || len(u.Names) != 3 || u.Names[1].Kind != sanctions.NameAlias {
		t.Errorf("names = %+v", u.Names)
	}
	if !slices.Equal(u.DOBs, []string{"1953-09-09"}) || !slices.Equal(u.Nationalities, []string{"RU"}) {
		t.Errorf("DOBs %v nationalities %v", u.DOBs, u.Nationalities)
	}
	if !slices.Equal(u.Programs, []string{"SDN", "RUSSIA-EO14024"}) || u.Type != sanctions.TypeIndividual {
		t.Errorf("programs %v type %s", u.Programs, u.Type)
	}
	for _, e := range es {
		if e.ID == "8183" && !slices.Equal(e.DOBs, []string{"1967"}) {
			t.Errorf("circa DOB mapped to %v", e.DOBs)
		}
	}
}

func TestReadErrorsNameTheLine(t *testing.T) {
	var le *csl.LineError
	_, err := csl.Read(strings.NewReader("_id,name\n1,A\n2,\"B\n"))
	if !errors.As(err, &le) || le.Line < 3 {
		t.Fatalf("err = %v, want a LineError at line 3", err)
	}
	_, err = csl.Read(strings.NewReader("id,title\n1,A\n"))
	if !errors.As(err, &le) || le.Line != 1 {
		t.Fatalf("err = %v, want a header LineError", err)
	}
	_, err = csl.Read(strings.NewReader("_id,name\n1,A\n,B\n"))
	if !errors.As(err, &le) || le.Line != 3 {
		t.Fatalf("err = %v, want line 3 (empty _id)", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"consolidated.csv", "consolidated.csv.gz"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := csl.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, e := range csl.Map(rows) {
			if e.ID == "" || e.List != sanctions.ListCSL {
				t.Fatalf("bad entity %+v", e)
			}
		}
	})
}
