package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
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

// TokenInfo is what may be shown of a token: who it speaks for, when and
// by whom it was created and, once revoked, revoked. Never its secret nor
// the secret's hash.
type TokenInfo struct {
	Principal
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    string     `json:"created_by,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokedBy    string     `json:"revoked_by,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
}

// tokenRecord is what is stored of a token: never the secret, only its hash.
type tokenRecord struct {
	TokenInfo
	SecretSHA256 string `json:"secret_sha256"`
}

// tokenPrefix starts every token: "qv_<16 hex id>_<64 hex secret>".
const tokenPrefix = "qv_"

// Record commits a on a store that no pipeline writes to (the command-line
// tools' way of writing, on a stopped instance); while a pipeline runs,
// actions go through it (Pipeline.Record) and this refuses.
func (s *Store) Record(_ context.Context, a Action) error {
	if s.piped.Load() {
		return Errorf(ECONFLICT, "a pipeline is writing to this store; go through the running instance's API")
	}
	txn := s.newTxn(nil)
	defer txn.Discard()
	ab := s.audit.Begin()
	if err := writeAction(txn, ab, &a); err != nil {
		return err
	}
	if err := s.commit(txn); err != nil {
		return fmt.Errorf("write %s: %w", a.Kind, err)
	}
	if err := s.audit.Commit(ab); err != nil {
		return fmt.Errorf("write %s: %w", a.Kind, err)
	}
	if a.Applied != nil {
		a.Applied()
	}
	return nil
}

// CreateToken makes a new token for role and name on a stopped instance
// (the command-line tool's way) and returns it; see IssueToken.
func (s *Store) CreateToken(role, name string) (string, Principal, error) {
	token, info, err := s.IssueToken(context.Background(), s, role, name, "cli")
	return token, info.Principal, err
}

// IssueToken makes a new token for role and name, records it through rec
// (the running pipeline, or the store itself when stopped) with an audit
// entry naming actor, and returns it. Only the secret's hash is stored, so
// the token can be shown once.
func (s *Store) IssueToken(ctx context.Context, rec Recorder, role, name, actor string) (string, TokenInfo, error) {
	var fe fieldErrors
	if !ValidRole(role) {
		fe.add("role", "must be one of payment, officer, auditor, admin")
	}
	if name == "" || len(name) > maxShortLen || !printableSpaced(name) {
		fe.add("name", "must be 1 to 128 printable characters")
	}
	if len(fe) > 0 {
		return "", TokenInfo{}, &Error{Code: EINVALID, Message: "invalid token", Fields: fe}
	}
	var id [8]byte
	var secret [32]byte
	rand.Read(id[:])
	rand.Read(secret[:])
	sum := sha256.Sum256(secret[:])
	info := TokenInfo{Principal: Principal{TokenID: hex.EncodeToString(id[:]), Name: name, Role: role}, CreatedAt: s.clock.Now().UTC(), CreatedBy: actor}
	b, err := json.Marshal(tokenRecord{TokenInfo: info, SecretSHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return "", info, fmt.Errorf("encode token: %w", err)
	}
	payload, err := json.Marshal(info.Principal)
	if err != nil {
		return "", info, fmt.Errorf("encode token: %w", err)
	}
	err = rec.Record(ctx, Action{
		Kind: "token.create", Subject: info.TokenID, Actor: actor, Payload: payload,
		Set: map[string][]byte{prefixToken + info.TokenID: b},
	})
	if err != nil {
		return "", info, err
	}
	return tokenPrefix + info.TokenID + "_" + hex.EncodeToString(secret[:]), info, nil
}

// RevokeToken revokes the token with id, through rec, with an audit entry
// naming actor and reason. From the moment it returns, this instance
// refuses the token. Revoking a revoked token changes nothing and returns
// it as it is. The last admin token that is not revoked cannot be revoked:
// without one, tokens could only be managed on a stopped instance.
func (s *Store) RevokeToken(ctx context.Context, rec Recorder, id, reason, actor string) (TokenInfo, error) {
	var fe fieldErrors
	if !validTokenID(id) {
		fe.add("id", "must be a token id: 16 hexadecimal digits")
	}
	checkText(&fe, "reason", reason, 512, true)
	if len(fe) > 0 {
		return TokenInfo{}, &Error{Code: EINVALID, Message: "invalid revocation", Fields: fe}
	}
	// One revocation at a time, so that two of them cannot both find
	// another admin token left.
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	all, err := s.tokenRecords()
	if err != nil {
		return TokenInfo{}, err
	}
	var r *tokenRecord
	admins := 0
	for i := range all {
		if all[i].TokenID == id {
			r = &all[i]
		}
		if all[i].Role == RoleAdmin && all[i].RevokedAt == nil {
			admins++
		}
	}
	switch {
	case r == nil:
		return TokenInfo{}, Errorf(ENOTFOUND, "no token %s", id)
	case r.RevokedAt != nil:
		return r.TokenInfo, nil
	case r.Role == RoleAdmin && admins == 1:
		return r.TokenInfo, Errorf(ECONFLICT, "token %s is the last admin token; create another admin token first", id)
	}
	now := s.clock.Now().UTC()
	r.RevokedAt, r.RevokedBy, r.RevokeReason = &now, actor, reason
	b, err := json.Marshal(r)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("encode token: %w", err)
	}
	payload, err := json.Marshal(struct {
		Principal
		Reason string `json:"reason"`
	}{r.Principal, reason})
	if err != nil {
		return TokenInfo{}, fmt.Errorf("encode token: %w", err)
	}
	err = rec.Record(ctx, Action{
		Kind: "token.revoke", Subject: id, Actor: actor, Payload: payload,
		Set:     map[string][]byte{prefixToken + id: b},
		Applied: func() { s.revoked.Store(id, struct{}{}) },
	})
	if err != nil {
		return TokenInfo{}, err
	}
	return r.TokenInfo, nil
}

// Tokens lists every token ever created, revoked ones included, oldest
// first.
func (s *Store) Tokens() ([]TokenInfo, error) {
	all, err := s.tokenRecords()
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, len(all))
	for i := range all {
		out[i] = all[i].TokenInfo
	}
	return out, nil
}

// tokenRecords reads every token's record from the database, oldest first.
func (s *Store) tokenRecords() ([]tokenRecord, error) {
	var all []tokenRecord
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixToken), PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r tokenRecord
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("token %q: %w", it.Item().Key(), err)
			}
			all = append(all, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	slices.SortFunc(all, func(a, b tokenRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.TokenID, b.TokenID)
	})
	return all, nil
}

func validTokenID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Authenticate returns the principal of a bearer token. The secret's hash is
// compared in constant time; every failure is the same EUNAUTHORIZED error.
func (s *Store) Authenticate(token string) (Principal, error) {
	denied := Errorf(EUNAUTHORIZED, "a valid bearer token is required")
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	id, secretHex, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || !validTokenID(id) || len(secretHex) != 64 {
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
	// A token revoked by this instance is refused at once, whatever an
	// earlier read left in the cache; one revoked before it started, by
	// its record.
	if _, gone := s.revoked.Load(id); gone || rec.RevokedAt != nil {
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
