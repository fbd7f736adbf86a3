package rules

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
)

// DecisionQuery is the query every policy must answer.
const DecisionQuery = "data.qorovul.decision"

//go:embed policy
var embedded embed.FS

// Policy is a compiled, prepared policy. It is safe for concurrent use.
type Policy struct {
	version string
	query   rego.PreparedEvalQuery
	keys    *keyTerms
}

// Default returns the policy embedded from rules/policy.
func Default() (*Policy, error) {
	p, err := Load(DefaultFS())
	if err != nil {
		return nil, fmt.Errorf("load embedded policy: %w", err)
	}
	return p, nil
}

// DefaultFS returns the embedded default policy directory (rules/policy),
// including its _test.rego files, e.g. for RunTests.
func DefaultFS() fs.FS {
	sub, err := fs.Sub(embedded, "policy")
	if err != nil {
		// fs.Sub only fails on an invalid path; "policy" is valid.
		panic(err)
	}
	return sub
}

// Load compiles the policy in the top level of fsys: every *.rego file except
// *_test.rego, and every *.json file as data merged at the root of data. It
// fails unless there is at least one module.
func Load(fsys fs.FS) (*Policy, error) {
	files, err := readPolicyFiles(fsys, false)
	if err != nil {
		return nil, err
	}
	modules, store, err := compileInputs(files)
	if err != nil {
		return nil, err
	}
	if len(modules) == 0 {
		return nil, errors.New("load policy: no .rego modules")
	}
	opts := []func(*rego.Rego){
		rego.Query(DecisionQuery),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
		// Keep results as AST terms: decoding reads them directly instead of
		// converting them to map[string]any first.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	}
	for _, m := range modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		return nil, fmt.Errorf("compile policy: %w", err)
	}
	return &Policy{version: version(files), query: pq, keys: newKeyTerms()}, nil
}

// Version is "sha256:<hex>" over the policy's files (*.rego without tests and
// *.json), in name order: for each file its name, a NUL, its length in
// decimal, a NUL and its contents.
func (p *Policy) Version() string { return p.version }

// Eval scores one input. An evaluation error, an undefined decision or one of
// the wrong shape is an error: callers must never treat it as allow.
func (p *Policy) Eval(ctx context.Context, in *Input) (Result, error) {
	if in == nil {
		return Result{}, errors.New("eval policy: nil input")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("eval policy: %w", err)
	}
	input, err := p.keys.build(in)
	if err != nil {
		return Result{}, fmt.Errorf("eval policy: %w", err)
	}
	// Cancel through a context callback instead of the goroutine OPA would
	// otherwise start for every evaluation.
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	rs, err := p.query.Eval(ctx,
		rego.EvalParsedInput(input),
		rego.EvalExternalCancel(cancel),
		rego.EvalMetrics(metrics.NoOp()))
	if err != nil {
		return Result{}, fmt.Errorf("eval policy: %w", err)
	}
	if len(rs) == 0 {
		return Result{}, fmt.Errorf("eval policy: %s is undefined", DecisionQuery)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Result{}, fmt.Errorf("eval policy: %d results, want 1", len(rs))
	}
	term, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return Result{}, fmt.Errorf("eval policy: result is %T, want a term", rs[0].Expressions[0].Value)
	}
	res, err := p.keys.decodeResult(term)
	if err != nil {
		return Result{}, fmt.Errorf("eval policy: %w", err)
	}
	return res, nil
}

// policyFile is one file of a policy directory.
type policyFile struct {
	name string
	data []byte
}

// readPolicyFiles reads the top-level .rego and .json files of fsys, sorted
// by name; _test.rego files only when withTests is set.
func readPolicyFiles(fsys fs.FS, withTests bool) ([]policyFile, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read policy dir: %w", err)
	}
	var files []policyFile
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !isPolicyFile(name, withTests) {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		files = append(files, policyFile{name: name, data: b})
	}
	slices.SortFunc(files, func(a, b policyFile) int { return strings.Compare(a.name, b.name) })
	return files, nil
}

func isPolicyFile(name string, withTests bool) bool {
	switch path.Ext(name) {
	case ".json":
		return true
	case ".rego":
		return withTests || !strings.HasSuffix(name, "_test.rego")
	}
	return false
}

// compileInputs parses the modules and builds the data store of files.
func compileInputs(files []policyFile) ([]*ast.Module, storage.Store, error) {
	var modules []*ast.Module
	data := map[string]any{}
	for _, f := range files {
		switch path.Ext(f.name) {
		case ".rego":
			m, err := ast.ParseModuleWithOpts(f.name, string(f.data), ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				return nil, nil, fmt.Errorf("parse %s: %w", f.name, err)
			}
			modules = append(modules, m)
		case ".json":
			var doc map[string]any
			if err := util.Unmarshal(f.data, &doc); err != nil {
				return nil, nil, fmt.Errorf("parse %s: %w", f.name, err)
			}
			if doc == nil {
				return nil, nil, fmt.Errorf("parse %s: want a JSON object", f.name)
			}
			if err := mergeData(data, doc, f.name); err != nil {
				return nil, nil, err
			}
		}
	}
	store := inmem.NewFromObjectWithOpts(data,
		inmem.OptRoundTripOnWrite(false),
		inmem.OptReturnASTValuesOnRead(true))
	return modules, store, nil
}

// mergeData merges src into dst; objects merge key by key, anything else
// defined twice is an error.
func mergeData(dst, src map[string]any, file string) error {
	for k, v := range src {
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		oldObj, ok1 := old.(map[string]any)
		newObj, ok2 := v.(map[string]any)
		if !ok1 || !ok2 {
			return fmt.Errorf("merge %s: data key %q defined twice", file, k)
		}
		if err := mergeData(oldObj, newObj, file); err != nil {
			return err
		}
	}
	return nil
}

func version(files []policyFile) string {
	h := sha256.New()
	for _, f := range files {
		if strings.HasSuffix(f.name, "_test.rego") {
			continue
		}
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(f.data))))
		h.Write([]byte{0})
		h.Write(f.data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
