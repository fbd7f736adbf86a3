package un

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// List is the whole consolidated list.
type List struct {
	DateGenerated string // the dateGenerated attribute: the publication date
	Individuals   []Individual
	Entities      []EntityRecord
}

// Individual is an INDIVIDUAL element.
type Individual struct {
	DataID             string   `xml:"DATAID"`
	FirstName          string   `xml:"FIRST_NAME"`
	SecondName         string   `xml:"SECOND_NAME"`
	ThirdName          string   `xml:"THIRD_NAME"`
	FourthName         string   `xml:"FOURTH_NAME"`
	ListType           string   `xml:"UN_LIST_TYPE"`
	ReferenceNumber    string   `xml:"REFERENCE_NUMBER"`
	ListedOn           string   `xml:"LISTED_ON"`
	NameOriginalScript string   `xml:"NAME_ORIGINAL_SCRIPT"`
	Gender             string   `xml:"GENDER"`
	Nationalities      []string `xml:"NATIONALITY>VALUE"`
	Aliases            []Alias  `xml:"INDIVIDUAL_ALIAS"`
	DatesOfBirth       []DOB    `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
	Line               int      `xml:"-"` // where the element starts in the file
}

// EntityRecord is an ENTITY element.
type EntityRecord struct {
	DataID             string  `xml:"DATAID"`
	FirstName          string  `xml:"FIRST_NAME"`
	ListType           string  `xml:"UN_LIST_TYPE"`
	ReferenceNumber    string  `xml:"REFERENCE_NUMBER"`
	ListedOn           string  `xml:"LISTED_ON"`
	NameOriginalScript string  `xml:"NAME_ORIGINAL_SCRIPT"`
	Aliases            []Alias `xml:"ENTITY_ALIAS"`
	Line               int     `xml:"-"`
}

// Alias is an INDIVIDUAL_ALIAS or ENTITY_ALIAS.
type Alias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

// DOB is an INDIVIDUAL_DATE_OF_BIRTH.
type DOB struct {
	Type     string `xml:"TYPE_OF_DATE"`
	Date     string `xml:"DATE"`
	Year     string `xml:"YEAR"`
	FromYear string `xml:"FROM_YEAR"`
	ToYear   string `xml:"TO_YEAR"`
}

// LineError is a malformed part of the file; Line counts from 1.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Read reads the consolidated list, element by element.
func Read(r io.Reader) (*List, error) {
	d := xml.NewDecoder(r)
	list := &List{}
	root := false
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, lineErr(err, line)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "CONSOLIDATED_LIST":
			root = true
			for _, a := range start.Attr {
				if a.Name.Local == "dateGenerated" {
					list.DateGenerated = a.Value
				}
			}
		case "INDIVIDUAL":
			line, _ := d.InputPos()
			var ind Individual
			if err := d.DecodeElement(&ind, &start); err != nil {
				return nil, lineErr(err, line)
			}
			if strings.TrimSpace(ind.DataID) == "" {
				return nil, &LineError{Line: line, Err: errors.New("INDIVIDUAL without DATAID")}
			}
			ind.Line = line
			list.Individuals = append(list.Individuals, ind)
		case "ENTITY":
			line, _ := d.InputPos()
			var ent EntityRecord
			if err := d.DecodeElement(&ent, &start); err != nil {
				return nil, lineErr(err, line)
			}
			if strings.TrimSpace(ent.DataID) == "" {
				return nil, &LineError{Line: line, Err: errors.New("ENTITY without DATAID")}
			}
			ent.Line = line
			list.Entities = append(list.Entities, ent)
		}
	}
	if !root {
		return nil, &LineError{Line: 1, Err: errors.New("no CONSOLIDATED_LIST element")}
	}
	return list, nil
}

// lineErr places err on the line of an XML syntax error, else on line.
func lineErr(err error, line int) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &LineError{Line: se.Line, Err: errors.New(se.Msg)}
	}
	return &LineError{Line: line, Err: err}
}
