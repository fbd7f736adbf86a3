package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/qorovul/qorovul/audit"
)

// Roles a bearer token can have.
const (
	RolePayment = "payment" // preauth and ingest
	RoleOfficer = "officer" // holds and sanctions search
	RoleAuditor = "auditor" // read-only exports
	RoleAdmin   = "admin"   // everything
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool {
	switch r {
	case RolePayment, RoleOfficer, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// Principal is who a bearer token speaks for.
type Principal struct {
	TokenID string `json:"token_id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
}

// tokenRecord is what is stored of a token: never the secret, only its hash.
type tokenRecord struct {
	Principal
	SecretSHA256 string    `json:"secret_sha256"`
	CreatedAt    time.Time `json:"created_at"`
}

// tokenPrefix starts every token: "qv_<16 hex id>_<64 hex secret>".
const tokenPrefix = "qv_"

// CreateToken makes a new token for role and name and returns it; only its
// hash is stored, so it can be shown once. It records the creation in the
// audit ledger. It must not run while a pipeline writes to this store (the
// command-line tool uses it on a stopped instance).
func (s *Store) CreateToken(role, name string) (string, Principal, error) {
	if s.piped.Load() {
		return "", Principal{}, Errorf(ECONFLICT, "a pipeline is writing to this store; create tokens on a stopped instance")
	}
	if !ValidRole(role) {
		return "", Principal{}, &Error{Code: EINVALID, Message: "invalid token", Fields: []FieldError{{Field: "role", Problem: "must be one of payment, officer, auditor, admin"}}}
	}
	if name == "" || len(name) > maxShortLen || !printableSpaced(name) {
		return "", Principal{}, &Error{Code: EINVALID, Message: "invalid token", Fields: []FieldError{{Field: "name", Problem: "must be 1 to 128 printable characters"}}}
	}
	var id [8]byte
	var secret [32]byte
	rand.Read(id[:])
	rand.Read(secret[:])
	sum := sha256.Sum256(secret[:])
	p := Principal{TokenID: hex.EncodeToString(id[:]), Name: name, Role: role}
	rec := tokenRecord{Principal: p, SecretSHA256: hex.EncodeToString(sum[:]), CreatedAt: s.clock.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", p, fmt.Errorf("encode token: %w", err)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", p, fmt.Errorf("encode token: %w", err)
	}
	txn := s.newTxn(nil)
	defer txn.Discard()
	if err := txn.Set([]byte(prefixToken+p.TokenID), b); err != nil {
		return "", p, fmt.Errorf("store token: %w", err)
	}
	ab := s.audit.Begin()
	if _, err := ab.Append(txn, audit.Entry{Kind: "token.create", Subject: p.TokenID, Actor: "cli", Payload: payload}); err != nil {
		return "", p, fmt.Errorf("store token: %w", err)
	}
	if err := s.commit(txn); err != nil {
		return "", p, fmt.Errorf("store token: %w", err)
	}
	if err := s.audit.Commit(ab); err != nil {
		return "", p, fmt.Errorf("store token: %w", err)
	}
	return tokenPrefix + p.TokenID + "_" + hex.EncodeToString(secret[:]), p, nil
}

// Authenticate returns the principal of a bearer token. The secret's hash is
// compared in constant time; every failure is the same EUNAUTHORIZED error.
func (s *Store) Authenticate(token string) (Principal, error) {
	denied := Errorf(EUNAUTHORIZED, "a valid bearer token is required")
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	id, secretHex, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 || len(secretHex) != 64 {
		return Principal{}, denied
	}
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		return Principal{}, denied
	}
	rec, err := s.tokenRecord(id)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Principal{}, denied
	} else if err != nil {
		return Principal{}, fmt.Errorf("read token: %w", err)
	}
	sum := sha256.Sum256(secret)
	want, err := hex.DecodeString(rec.SecretSHA256)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return Principal{}, denied
	}
	return rec.Principal, nil
}

// tokenCacheTTL is how long a token record read from the store is reused.
const tokenCacheTTL = time.Minute

type cachedToken struct {
	rec     tokenRecord
	expires time.Time
}

// tokenRecord reads a token's record, through a short-lived cache: only
// the hash of the secret is cached, as it is stored.
func (s *Store) tokenRecord(id string) (tokenRecord, error) {
	now := s.clock.Now()
	if c, ok := s.tokens.Load(id); ok && now.Before(c.(cachedToken).expires) {
		return c.(cachedToken).rec, nil
	}
	var rec tokenRecord
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(prefixToken + id))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) })
	})
	if err == nil {
		s.tokens.Store(id, cachedToken{rec: rec, expires: now.Add(tokenCacheTTL)})
	}
	return rec, err
}

func printableSpaced(s string) bool {
	return printable(strings.ReplaceAll(s, " ", "_"))
}
