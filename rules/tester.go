package rules

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// RunTests runs the Rego unit tests (test_* rules, usually in *_test.rego)
// of the policy in the top level of fsys, with its data, through OPA's
// tester, and writes a report to w (failures in detail, then a summary).
// Built-in errors fail a test. A test that errors counts as failed.
func RunTests(ctx context.Context, fsys fs.FS, w io.Writer) (passed, failed int, err error) {
	files, err := readPolicyFiles(fsys, true)
	if err != nil {
		return 0, 0, err
	}
	modules, store, err := compileInputs(files)
	if err != nil {
		return 0, 0, err
	}
	mods := make(map[string]*ast.Module, len(modules))
	for _, m := range modules {
		mods[m.Package.Location.File] = m
	}
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("run policy tests: %w", err)
	}
	defer store.Abort(ctx, txn)

	ch, err := tester.NewRunner().
		SetStore(store).
		SetModules(mods).
		RaiseBuiltinErrors(true).
		EnableTracing(true).
		RunTests(ctx, txn)
	if err != nil {
		return 0, 0, fmt.Errorf("run policy tests: %w", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
		if r.Skip {
			continue
		}
		if r.Pass() {
			passed++
		} else {
			failed++
		}
	}
	report := make(chan *tester.Result, len(results))
	for _, r := range results {
		report <- r
	}
	close(report)
	if err := (tester.PrettyReporter{Output: w, FailureLine: true}).Report(report); err != nil {
		return passed, failed, fmt.Errorf("report policy tests: %w", err)
	}
	return passed, failed, nil
}
