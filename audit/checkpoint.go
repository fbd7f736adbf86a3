package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// checkpointDomain prefixes the signed bytes so a checkpoint signature can
// never be mistaken for a signature over anything else.
const checkpointDomain = "qorovul-checkpoint-v1\n"

// Checkpoint is the signed statement that ends a signed export: these
// entries of this ledger, ending in this hash, exported at this time.
type Checkpoint struct {
	Ledger   string    `json:"ledger"`
	FirstSeq uint64    `json:"first_seq"`
	Seq      uint64    `json:"seq"`
	Hash     string    `json:"hash"`
	Entries  uint64    `json:"entries"`
	From     time.Time `json:"from"` // zero when the export had no lower bound
	To       time.Time `json:"to"`   // zero when the export had no upper bound
	Time     time.Time `json:"time"`
	KeyID    string    `json:"key_id"`
}

// canonical returns the checkpoint body B defined in the package documentation.
func (c *Checkpoint) canonical(dst []byte) []byte {
	dst = append(dst, `{"ledger":`...)
	dst = appendString(dst, c.Ledger)
	dst = append(dst, `,"first_seq":`...)
	dst = strconv.AppendUint(dst, c.FirstSeq, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, c.Seq, 10)
	dst = append(dst, `,"hash":`...)
	dst = appendString(dst, c.Hash)
	dst = append(dst, `,"entries":`...)
	dst = strconv.AppendUint(dst, c.Entries, 10)
	if !c.From.IsZero() {
		dst = append(dst, `,"from":"`...)
		dst = c.From.UTC().AppendFormat(dst, TimeLayout)
		dst = append(dst, '"')
	}
	if !c.To.IsZero() {
		dst = append(dst, `,"to":"`...)
		dst = c.To.UTC().AppendFormat(dst, TimeLayout)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"time":"`...)
	dst = c.Time.UTC().AppendFormat(dst, TimeLayout)
	dst = append(dst, `","key_id":`...)
	dst = appendString(dst, c.KeyID)
	return append(dst, '}')
}

// signedBytes returns what the signature covers.
func signedBytes(body []byte) []byte {
	return append([]byte(checkpointDomain), body...)
}

// sign returns the checkpoint body and its signature, filling KeyID.
func (c *Checkpoint) sign(key ed25519.PrivateKey) (body []byte, sig string) {
	c.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	body = c.canonical(nil)
	return body, base64.StdEncoding.EncodeToString(ed25519.Sign(key, signedBytes(body)))
}

// checkpointLine is the JSONL form of a signed checkpoint.
func checkpointLine(body []byte, sig string) []byte {
	line := append([]byte(`{"checkpoint":`), body...)
	line = append(line, `,"signature":`...)
	line = appendString(line, sig)
	return append(line, '}')
}

// verifySignature checks sig (standard base64) over body with pub.
func verifySignature(pub ed25519.PublicKey, body []byte, sig string) error {
	raw, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return errors.New("checkpoint signature is not a base64 Ed25519 signature")
	}
	if !ed25519.Verify(pub, signedBytes(body), raw) {
		return errors.New("checkpoint signature does not verify with the given public key")
	}
	return nil
}

// wireCheckpoint parses a checkpoint body; pointers tell missing members.
type wireCheckpoint struct {
	Ledger   *string `json:"ledger"`
	FirstSeq *uint64 `json:"first_seq"`
	Seq      *uint64 `json:"seq"`
	Hash     *string `json:"hash"`
	Entries  *uint64 `json:"entries"`
	From     *string `json:"from"`
	To       *string `json:"to"`
	Time     *string `json:"time"`
	KeyID    *string `json:"key_id"`
}

// parseCheckpoint parses a checkpoint body strictly: it must be canonical.
func parseCheckpoint(body []byte) (Checkpoint, error) {
	var w wireCheckpoint
	if err := strictUnmarshal(body, &w); err != nil {
		return Checkpoint{}, fmt.Errorf("parse checkpoint: %w", err)
	}
	if w.Ledger == nil || w.FirstSeq == nil || w.Seq == nil || w.Hash == nil || w.Entries == nil || w.Time == nil || w.KeyID == nil {
		return Checkpoint{}, errors.New("checkpoint lacks a member")
	}
	c := Checkpoint{Ledger: *w.Ledger, FirstSeq: *w.FirstSeq, Seq: *w.Seq, Hash: *w.Hash, Entries: *w.Entries, KeyID: *w.KeyID}
	var err error
	for _, f := range []struct {
		s *string
		t *time.Time
	}{{w.From, &c.From}, {w.To, &c.To}, {w.Time, &c.Time}} {
		if f.s == nil {
			continue
		}
		if *f.t, err = time.Parse(TimeLayout, *f.s); err != nil {
			return Checkpoint{}, fmt.Errorf("checkpoint time: %w", err)
		}
	}
	if !bytes.Equal(c.canonical(nil), body) {
		return Checkpoint{}, errors.New("checkpoint is not in canonical form")
	}
	return c, nil
}

// strictUnmarshal decodes exactly one JSON value into v. It does not refuse
// unknown or duplicate members: every caller compares the re-encoded value
// with the input bytes, which refuses those and any other non-canonical form.
func strictUnmarshal(b []byte, v any) error {
	return json.Unmarshal(b, v)
}

// KeyID names a public key: the first 16 hex digits of SHA-256 of its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}
