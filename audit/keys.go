package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PEM block types of checkpoint keys (PKCS #8 and PKIX, as openssl writes them).
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// LoadOrCreateKey returns the Ed25519 checkpoint signing key stored at path
// as a PKCS #8 PEM file, creating it (mode 0600, written in full before it
// appears under its name) if there is none. It refuses a key file that group
// or others may read or write.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	key, err := loadPrivateKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate checkpoint key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint key: %w", err)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der})); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			return loadPrivateKey(path)
		}
		return nil, fmt.Errorf("write checkpoint key: %w", err)
	}
	return key, nil
}

func loadPrivateKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat checkpoint key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("checkpoint key %s: mode %v lets others read it; want 0600", path, st.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read checkpoint key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemPrivate {
		return nil, fmt.Errorf("checkpoint key %s: no %q PEM block", path, pemPrivate)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("checkpoint key %s: %T is not Ed25519", path, k)
	}
	return key, nil
}

// writeNew writes data to a temporary file beside path, syncs it and links
// it to path, failing with fs.ErrExist if path exists.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the new name durable
		d.Close()
	}
	return nil
}

// MarshalPublicKey returns pub as a PKIX "PUBLIC KEY" PEM block, the form an
// auditor is given.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// ParsePublicKey reads an Ed25519 public key given as a PKIX PEM block, or as
// the raw 32 bytes in standard base64 or hex.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != pemPublic {
			return nil, fmt.Errorf("parse public key: PEM block %q, want %q", block.Type, pemPublic)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("parse public key: %T is not Ed25519", k)
		}
		return pub, nil
	}
	s := strings.TrimSpace(string(data))
	if raw, err := hex.DecodeString(s); err == nil && len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	if raw, err := base64.StdEncoding.DecodeString(s); err == nil && len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return nil, errors.New("parse public key: want a PUBLIC KEY PEM block or 32 bytes in base64 or hex")
}

// LoadPublicKey reads a public key file in any form ParsePublicKey accepts.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	return ParsePublicKey(data)
}
