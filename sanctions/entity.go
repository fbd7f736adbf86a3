package sanctions

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// List names as they appear in Match.List and Entity.List.
const (
	ListOFAC = "ofac_sdn" // OFAC Specially Designated Nationals
	ListUN   = "un_sc"    // UN Security Council consolidated list
	ListCSL  = "us_csl"   // US Consolidated Screening List (trade.gov)
)

// EntityType is what a listed entry is.
type EntityType string

// Entity types.
const (
	TypeIndividual   EntityType = "individual"
	TypeOrganization EntityType = "organization"
	TypeVessel       EntityType = "vessel"
	TypeAircraft     EntityType = "aircraft"
	TypeUnknown      EntityType = "unknown"
)

// NameKind is how strongly a list stands behind a name.
type NameKind uint8

// Name kinds.
const (
	NamePrimary NameKind = iota // the entry's main name
	NameAlias                   // a.k.a., f.k.a., n.k.a., good-quality alias
	NameWeak                    // low-quality alias (OFAC remarks "a.k.a. '…'", UN quality Low)
)

func (k NameKind) String() string {
	switch k {
	case NamePrimary:
		return "primary"
	case NameAlias:
		return "alias"
	case NameWeak:
		return "weak"
	}
	return "unknown"
}

// Name is one name of an entry.
type Name struct {
	Full     string
	Kind     NameKind
	Original bool // written in the original script (UN NAME_ORIGINAL_SCRIPT)
}

// Entity is one listed entry, whatever list it came from.
type Entity struct {
	List, ID      string
	Type          EntityType
	Names         []Name   // primary first
	DOBs          []string // "YYYY-MM-DD", "YYYY-MM", "YYYY" or a range "YYYY/YYYY"
	Nationalities []string // as the list writes them (country names or ISO codes)
	Programs      []string
}

// Primary is the entity's primary name, or its first name.
func (e *Entity) Primary() string {
	for _, n := range e.Names {
		if n.Kind == NamePrimary {
			return n.Full
		}
	}
	if len(e.Names) > 0 {
		return e.Names[0].Full
	}
	return ""
}

// Hash is a stable fingerprint of the entry's content: it changes when any name, date of
// birth, nationality, program or the type changes, and not otherwise.
func (e *Entity) Hash() string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	field(e.List)
	field(e.ID)
	field(string(e.Type))
	for _, n := range e.Names {
		field(n.Kind.String())
		if n.Original {
			field("original")
		}
		field(n.Full)
	}
	h.Write([]byte{1})
	for _, group := range [][]string{e.DOBs, e.Nationalities, e.Programs} {
		for _, s := range group {
			field(s)
		}
		h.Write([]byte{1})
	}
	sum := h.Sum(nil)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// AddName appends a name unless the entity already has it (case-insensitively), keeping
// the stronger kind.
func (e *Entity) AddName(full string, kind NameKind, original bool) {
	full = strings.TrimSpace(full)
	if full == "" {
		return
	}
	for i, n := range e.Names {
		if strings.EqualFold(n.Full, full) {
			if kind < n.Kind {
				e.Names[i].Kind = kind
			}
			return
		}
	}
	e.Names = append(e.Names, Name{Full: full, Kind: kind, Original: original})
}
