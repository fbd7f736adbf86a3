package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// TimeLayout is the canonical layout of every time in entries and checkpoints.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ZeroHash is the previous hash of the first entry of every chain.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// MaxKindLen bounds Entry.Kind.
const MaxKindLen = 64

// Entry is one link of a ledger. Callers fill Kind, Subject, Actor and
// Payload; the ledger fills Seq, Time, PrevHash and Hash.
type Entry struct {
	Seq      uint64          `json:"seq"`
	Time     time.Time       `json:"time"`
	Kind     string          `json:"kind"`
	Subject  string          `json:"subject"`
	Actor    string          `json:"actor,omitempty"`
	Payload  json.RawMessage `json:"payload"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Head is the last committed link of a ledger: Seq 0 and ZeroHash when empty.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// MarshalJSON writes the entry in its stored, canonical form (see the package
// documentation): one JSONL export line. Note that json.Marshal and a default
// json.Encoder then escape <, > and & (still the same JSON value, no longer
// the canonical bytes); an Encoder with SetEscapeHTML(false) keeps them.
func (e Entry) MarshalJSON() ([]byte, error) {
	return appendStored(nil, &e, e.Hash), nil
}

// canonical returns C(e): the canonical bytes without the hash.
func canonical(dst []byte, e *Entry) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, TimeLayout)
	dst = append(dst, `","kind":`...)
	dst = appendString(dst, e.Kind)
	dst = append(dst, `,"subject":`...)
	dst = appendString(dst, e.Subject)
	if e.Actor != "" {
		dst = append(dst, `,"actor":`...)
		dst = appendString(dst, e.Actor)
	}
	dst = append(dst, `,"payload":`...)
	if len(e.Payload) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, e.Payload...)
	}
	dst = append(dst, `,"prev_hash":`...)
	dst = appendString(dst, e.PrevHash)
	return append(dst, '}')
}

// appendStored appends C(e) with the hash member before the closing brace.
func appendStored(dst []byte, e *Entry, hash string) []byte {
	dst = canonical(dst, e)
	dst = dst[:len(dst)-1]
	dst = append(dst, `,"hash":`...)
	dst = appendString(dst, hash)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string under the package's minimal escaping
// rule: '"', '\' and bytes below 0x20 are escaped, nothing else.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// hashMemberLen is the length of `,"hash":"<64 hex>"}` minus the `}` it replaces.
const hashMemberLen = len(`,"hash":""`) + 64

// seal computes e's hash. It returns a buffer holding the 32 raw bytes of
// e.PrevHash followed by C(e), with spare capacity for the hash member, and
// the hex hash of that buffer. Callers check e.PrevHash is 64 lowercase hex.
func seal(e *Entry) (buf []byte, hash string) {
	n := sha256.Size + 160 + len(e.Kind) + len(e.Subject) + len(e.Actor) + len(e.Payload) + len(e.PrevHash) + hashMemberLen
	buf = make([]byte, sha256.Size, n)
	hex.Decode(buf[:sha256.Size], []byte(e.PrevHash))
	buf = canonical(buf, e)
	sum := sha256.Sum256(buf)
	return buf, hex.EncodeToString(sum[:])
}

// withHash turns seal's buffer into the stored value: C(e) with the hash
// member before the closing brace. It reuses buf's memory.
func withHash(buf []byte, hash string) []byte {
	v := append(buf[sha256.Size:len(buf)-1], `,"hash":"`...)
	v = append(v, hash...)
	return append(v, `"}`...)
}

// isLowerHex reports whether s is 64 lowercase hex digits.
func isLowerHex(s string) bool {
	if len(s) != len(ZeroHash) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// storedEntry is the wire shape used to parse a stored value or JSONL line.
// Pointers tell a missing member from a zero one.
type storedEntry struct {
	Seq      *uint64         `json:"seq"`
	Time     *string         `json:"time"`
	Kind     *string         `json:"kind"`
	Subject  *string         `json:"subject"`
	Actor    *string         `json:"actor"`
	Payload  json.RawMessage `json:"payload"` // a JSON null arrives as "null"
	PrevHash *string         `json:"prev_hash"`
	Hash     *string         `json:"hash"`
}

// decodeStored parses one stored value or JSONL line strictly: every member
// present, the hash recomputed, and re-encoding must give back the same bytes.
// It does not check the link to the previous entry.
func decodeStored(b []byte) (Entry, error) {
	var w storedEntry
	if err := strictUnmarshal(b, &w); err != nil {
		return Entry{}, fmt.Errorf("parse entry: %w", err)
	}
	switch {
	case w.Seq == nil:
		return Entry{}, errors.New("entry has no seq")
	case w.Time == nil:
		return Entry{}, errors.New("entry has no time")
	case w.Kind == nil:
		return Entry{}, errors.New("entry has no kind")
	case w.Subject == nil:
		return Entry{}, errors.New("entry has no subject")
	case len(w.Payload) == 0:
		return Entry{}, errors.New("entry has no payload")
	case w.PrevHash == nil:
		return Entry{}, errors.New("entry has no prev_hash")
	case w.Hash == nil:
		return Entry{}, errors.New("entry has no hash")
	}
	t, err := time.Parse(TimeLayout, *w.Time)
	if err != nil {
		return Entry{}, fmt.Errorf("entry time: %w", err)
	}
	e := Entry{
		Seq:      *w.Seq,
		Time:     t,
		Kind:     *w.Kind,
		Subject:  *w.Subject,
		Payload:  w.Payload,
		PrevHash: *w.PrevHash,
		Hash:     *w.Hash,
	}
	if w.Actor != nil {
		e.Actor = *w.Actor
	}
	if err := checkEntry(&e, b); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// checkEntry checks a parsed entry against the bytes it came from and
// recomputes its hash. b is nil for an entry read from CSV cells, whose
// payload has not been parsed yet.
func checkEntry(e *Entry, b []byte) error {
	if e.Seq == 0 {
		return errors.New("entry seq is 0")
	}
	if !isLowerHex(e.PrevHash) {
		return errors.New("entry prev_hash is not 64 lowercase hex digits")
	}
	if !isLowerHex(e.Hash) {
		return errors.New("entry hash is not 64 lowercase hex digits")
	}
	for _, s := range [...]string{e.Kind, e.Subject, e.Actor} {
		if !utf8.ValidString(s) {
			return errors.New("entry has a string that is not valid UTF-8")
		}
	}
	if b == nil && !json.Valid(e.Payload) { // b != nil: the parser checked it
		return errors.New("entry payload is not valid JSON")
	}
	if !isCompactJSON(e.Payload) {
		return errors.New("entry payload is not compact JSON")
	}
	buf, sum := seal(e)
	if sum != e.Hash {
		return fmt.Errorf("entry hash %.12s… does not match its content (recomputed %.12s…)", e.Hash, sum)
	}
	if b != nil && !bytes.Equal(withHash(buf, e.Hash), b) {
		return errors.New("entry is not in canonical form")
	}
	return nil
}

// validKind reports whether k is a usable entry kind: 1–64 of a-z 0-9 . _ -
func validKind(k string) bool {
	if k == "" || len(k) > MaxKindLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// compactPayload validates p as one JSON value and returns it without
// insignificant whitespace; empty becomes null.
func compactPayload(p []byte) (json.RawMessage, error) {
	if len(p) == 0 {
		return json.RawMessage("null"), nil
	}
	if json.Valid(p) && isCompactJSON(p) {
		return p, nil // already canonical: no copy
	}
	var buf bytes.Buffer
	buf.Grow(len(p))
	if err := json.Compact(&buf, p); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// isCompactJSON reports whether p, already known to be one valid JSON value,
// has no whitespace outside its strings.
func isCompactJSON(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	inString, escaped := false, false
	for _, c := range p {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}
