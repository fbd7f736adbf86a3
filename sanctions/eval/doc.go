// Package eval measures screening accuracy: precision, recall and F1 on the public
// evaluation sets in ../shared/data/eval (relative to the repository root) and on the
// corridor set in testdata/. It holds only tests (go test ./sanctions/eval -v), which print
// the table and fail when a target is missed.
package eval
