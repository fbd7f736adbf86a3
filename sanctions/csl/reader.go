package csl

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Row is one row of consolidated.csv, by its header.
type Row struct {
	ID, Source, EntityNumber, Type, Programs, Name, AltNames, Citizenships, DatesOfBirth,
	Nationalities, PlacesOfBirth string
}

// LineError is a malformed row; Line counts from 1 (of the decompressed file).
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

var columns = []string{"_id", "source", "entity_number", "type", "programs", "name", "alt_names",
	"citizenships", "dates_of_birth", "nationalities", "places_of_birth"}

// Read reads consolidated.csv; gzip input is recognised by its magic bytes.
func Read(r io.Reader) ([]Row, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		defer zr.Close()
		return read(zr)
	}
	return read(br)
}

func read(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &LineError{Line: 1, Err: errors.New("empty file, want a header")}
	}
	if err != nil {
		return nil, lineErr(err, 1)
	}
	pos := make([]int, len(columns))
	for i, c := range columns {
		pos[i] = -1
		for j, h := range header {
			if strings.TrimPrefix(strings.TrimSpace(h), "\ufeff") == c {
				pos[i] = j
			}
		}
		if pos[i] < 0 && (c == "_id" || c == "name") {
			return nil, &LineError{Line: 1, Err: fmt.Errorf("header lacks column %q", c)}
		}
	}
	get := func(rec []string, i int) string {
		if pos[i] < 0 {
			return ""
		}
		return strings.TrimSpace(rec[pos[i]])
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, lineErr(err, 0)
		}
		line, _ := cr.FieldPos(0)
		row := Row{
			ID: get(rec, 0), Source: get(rec, 1), EntityNumber: get(rec, 2), Type: get(rec, 3),
			Programs: get(rec, 4), Name: get(rec, 5), AltNames: get(rec, 6), Citizenships: get(rec, 7),
			DatesOfBirth: get(rec, 8), Nationalities: get(rec, 9), PlacesOfBirth: get(rec, 10),
		}
		if row.ID == "" {
			return nil, &LineError{Line: line, Err: errors.New("empty _id")}
		}
		rows = append(rows, row)
	}
}

func lineErr(err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{Line: pe.Line, Err: pe.Err}
	}
	return &LineError{Line: line, Err: err}
}
