package audit_test

import (
	"encoding/base64"
	"io/fs"
	"os"
	"testing"
)

func mustStat(tb testing.TB, path string) fs.FileInfo {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func mustChmod(tb testing.TB, path string, mode fs.FileMode) {
	tb.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
}

func mustWriteFile(tb testing.TB, path string, data []byte, mode fs.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		tb.Fatal(err)
	}
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
