package ofac

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SDN is one row of sdn.csv.
type SDN struct {
	EntNum, Name, Type, Programs, Title, CallSign, VesselType, Tonnage, GRT, VesselFlag,
	VesselOwner, Remarks string
}

// Alt is one row of alt.csv: another name of an SDN entry.
type Alt struct {
	EntNum, AltNum, Type, Name, Remarks string
}

// Address is one row of add.csv.
type Address struct {
	EntNum, AddNum, Street, CityStateZip, Country, Remarks string
}

// Comment is one row of sdn_comments.csv: the continuation of an entry's remarks.
type Comment struct {
	EntNum, Remarks string
}

// ReadSDN reads sdn.csv.
func ReadSDN(r io.Reader) ([]SDN, error) {
	var out []SDN
	err := readRows(r, 12, func(f []string) {
		out = append(out, SDN{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]})
	})
	return out, err
}

// ReadAlt reads alt.csv.
func ReadAlt(r io.Reader) ([]Alt, error) {
	var out []Alt
	err := readRows(r, 5, func(f []string) {
		out = append(out, Alt{f[0], f[1], f[2], f[3], f[4]})
	})
	return out, err
}

// ReadAddresses reads add.csv.
func ReadAddresses(r io.Reader) ([]Address, error) {
	var out []Address
	err := readRows(r, 6, func(f []string) {
		out = append(out, Address{f[0], f[1], f[2], f[3], f[4], f[5]})
	})
	return out, err
}

// ReadComments reads sdn_comments.csv.
func ReadComments(r io.Reader) ([]Comment, error) {
	var out []Comment
	err := readRows(r, 2, func(f []string) {
		out = append(out, Comment{f[0], f[1]})
	})
	return out, err
}

// LineError is a malformed row; Line counts from 1.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// readRows reads headerless rows of exactly n fields, "-0-" read as empty. The DOS
// end-of-file byte (0x1A) OFAC ends its files with is skipped.
func readRows(r io.Reader, n int, row func([]string)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &LineError{Line: pe.Line, Err: pe.Err}
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \t") == "" {
			continue
		}
		if len(rec) != n {
			return &LineError{Line: line, Err: fmt.Errorf("%d fields, want %d", len(rec), n)}
		}
		fields := make([]string, n)
		for i, f := range rec {
			f = strings.TrimSpace(f)
			if f == "-0-" {
				f = ""
			}
			fields[i] = f
		}
		if fields[0] == "" || strings.Trim(fields[0], "0123456789") != "" {
			return &LineError{Line: line, Err: fmt.Errorf("ent_num %q is not a number", fields[0])}
		}
		row(fields)
	}
}
