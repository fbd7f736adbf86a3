package ingest

import (
	"strconv"
	"strings"
)

// A masked card number may show at most the first six digits (the BIN) and
// the last four; anything more is treated as a leaked card number.
const (
	maxShownLead = 6
	minCardLen   = 13
	maxCardLen   = 19
)

// mask is what a masked card number shows.
type mask struct {
	lead   string // leading digits shown, at most six
	hidden int    // digits hidden
	last4  string
}

// bin returns the BIN when the mask shows six leading digits.
func (m mask) bin() string {
	if len(m.lead) == maxShownLead {
		return m.lead
	}
	return ""
}

// String is the canonical form: shown digits, one '*' per hidden digit, no
// grouping, e.g. "8600********1234".
func (m mask) String() string {
	return m.lead + strings.Repeat("*", m.hidden) + m.last4
}

func isMaskChar(r rune) bool {
	return r == '*' || r == 'x' || r == 'X' || r == '•' || r == '#'
}

// readMask reads leading digits, a run of mask characters and trailing
// digits; spaces and dashes only group. It returns a problem when the form is
// not that or when it shows more than the BIN and the last four digits.
func readMask(s string) (mask, string) {
	var m mask
	var tail strings.Builder
	stage := 0 // 0 leading digits, 1 masked middle, 2 trailing digits
	for _, r := range s {
		switch {
		case r == ' ' || r == '-':
		case r >= '0' && r <= '9':
			if stage == 0 {
				if len(m.lead) == maxShownLead {
					return mask{}, "must show at most the first 6 and the last 4 digits"
				}
				m.lead += string(r)
			} else {
				stage = 2
				if tail.Len() == 4 {
					return mask{}, "must show at most the first 6 and the last 4 digits"
				}
				tail.WriteRune(r)
			}
		case isMaskChar(r):
			if stage == 2 {
				return mask{}, "must be leading digits, masked digits, then the last 4 digits"
			}
			stage = 1
			m.hidden++
			if m.hidden > maxCardLen {
				return mask{}, "is too long for a card number"
			}
		default:
			return mask{}, "must be digits and '*' only, e.g. \"8600 **** **** 1234\""
		}
	}
	if m.hidden == 0 {
		return mask{}, "must mask the middle digits; a full card number is never accepted"
	}
	if tail.Len() != 4 {
		return mask{}, "must end with the last 4 digits"
	}
	m.last4 = tail.String()
	return m, ""
}

// readCardMask reads a masked card number of a real card's length.
func readCardMask(s string) (mask, string) {
	m, problem := readMask(s)
	if problem != "" {
		return m, problem
	}
	if n := len(m.lead) + m.hidden + 4; n < minCardLen || n > maxCardLen {
		return mask{}, "must stand for 13 to 19 digits"
	}
	return m, ""
}

// brandOf names the card scheme of the leading digits of a card, or "".
func brandOf(lead string) string {
	prefix := func(n int) int {
		if len(lead) < n {
			return -1
		}
		v, _ := strconv.Atoi(lead[:n])
		return v
	}
	switch p4 := prefix(4); {
	case p4 == 8600:
		return "uzcard"
	case p4 == 9860:
		return "humo"
	case p4 >= 2200 && p4 <= 2204:
		return "mir"
	case p4 >= 2221 && p4 <= 2720:
		return "mastercard"
	}
	switch p2 := prefix(2); {
	case p2 >= 51 && p2 <= 55:
		return "mastercard"
	case p2 == 34 || p2 == 37:
		return "amex"
	case p2 == 62:
		return "unionpay"
	case p2 == 35:
		return "jcb"
	}
	if prefix(1) == 4 {
		return "visa"
	}
	return ""
}
