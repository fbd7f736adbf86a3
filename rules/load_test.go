package rules_test

import (
	"context"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/rules"
)

// copyDefault writes the embedded default policy (tests included) to a new
// temporary directory and returns it.
func copyDefault(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(rules.DefaultFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(rules.DefaultFS(), path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy default policy: %v", err)
	}
	return dir
}

func mustLoad(t *testing.T, dir string) *rules.Policy {
	t.Helper()
	p, err := rules.Load(os.DirFS(dir))
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return p
}

// writePolicy writes files (name -> contents) to a new temporary directory.
func writePolicy(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	def := mustDefault(t)
	v := def.Version()
	sum, ok := strings.CutPrefix(v, "sha256:")
	if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != 32 {
		t.Fatalf("Version() = %q, want sha256:<64 hex>", v)
	}
	if again := mustDefault(t).Version(); again != v {
		t.Fatalf("Version not stable: %s then %s", v, again)
	}

	dir := copyDefault(t)
	if got := mustLoad(t, dir).Version(); got != v {
		t.Fatalf("copy of the default policy has version %s, want %s", got, v)
	}

	t.Run("TestFileDoesNotCount", func(t *testing.T) {
		editFile(t, filepath.Join(dir, "qorovul_test.rego"), "package qorovul_test", "package qorovul_test\n")
		if got := mustLoad(t, dir).Version(); got != v {
			t.Fatalf("editing a _test.rego changed the version to %s", got)
		}
	})
	t.Run("OneByteOfData", func(t *testing.T) {
		dir := copyDefault(t)
		editFile(t, filepath.Join(dir, "data.json"), `"limit": 5,`, `"limit": 4,`)
		p := mustLoad(t, dir)
		if p.Version() == v {
			t.Fatal("changing one byte of data.json kept the version")
		}
		// And the loaded data is what decides: 5 distinct numbers is now too many.
		res, err := p.Eval(context.Background(), input(func(in *rules.Input) { in.Features.PayerDistinctMSISDN24h = 5 }))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != rules.OutcomeReview {
			t.Fatalf("outcome %s with limit 4 and 5 numbers, want review", res.Outcome)
		}
	})
	t.Run("OneByteOfPolicy", func(t *testing.T) {
		dir := copyDefault(t)
		editFile(t, filepath.Join(dir, "qorovul.rego"), "lower bounds", "lower bound!")
		if mustLoad(t, dir).Version() == v {
			t.Fatal("changing one byte of qorovul.rego kept the version")
		}
	})
	t.Run("FileName", func(t *testing.T) {
		dir := copyDefault(t)
		if err := os.Rename(filepath.Join(dir, "prefixes.json"), filepath.Join(dir, "operators.json")); err != nil {
			t.Fatal(err)
		}
		if mustLoad(t, dir).Version() == v {
			t.Fatal("renaming a data file kept the version")
		}
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"Empty", map[string]string{"README.md": "no policy here"}},
		{"OnlyTests", map[string]string{"a_test.rego": "package qorovul_test\ntest_x if true\n"}},
		{"SyntaxError", map[string]string{"p.rego": "package qorovul\ndecision := {\n"}},
		{"CompileError", map[string]string{"p.rego": "package qorovul\ndecision := x if { y := 1 }\n"}},
		{"UnknownBuiltin", map[string]string{"p.rego": "package qorovul\ndecision := no_such_builtin(1)\n"}},
		{"DataNotJSON", map[string]string{"p.rego": "package qorovul\ndecision := 1\n", "data.json": "{"}},
		{"DataNotObject", map[string]string{"p.rego": "package qorovul\ndecision := 1\n", "data.json": "[1]"}},
		{"DataConflict", map[string]string{
			"p.rego": "package qorovul\ndecision := 1\n",
			"a.json": `{"config": {"x": 1}}`,
			"b.json": `{"config": {"x": 2}}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := rules.Load(os.DirFS(writePolicy(t, tt.files))); err == nil {
				t.Fatalf("Load succeeded (version %s), want an error", p.Version())
			}
		})
	}
}

// Policies that compile but give no usable decision: Eval must fail, never
// allow.
func TestEvalPolicyErrors(t *testing.T) {
	const header = "package qorovul\n"
	tests := []struct {
		name   string
		policy string
		want   string // in the error
	}{
		{"Undefined", `decision := {"outcome": "allow", "score": 0, "reasons": []} if input.event.id == "never"`, "undefined"},
		{"NoDecisionRule", `other := 1`, "undefined"},
		{"BuiltinError", `decision := {"outcome": "allow", "score": to_number(input.event.id), "reasons": []}`, "to_number"},
		{"Conflict", `
decision := {"outcome": "allow", "score": 0, "reasons": []} if input.event.kind == "recharge"
decision := {"outcome": "review", "score": 0, "reasons": []} if input.event.source == "upay"`, "conflict"},
		{"NotAnObject", `decision := "allow"`, "want an object"},
		{"UnknownOutcome", `decision := {"outcome": "maybe", "score": 0, "reasons": []}`, "outcome"},
		{"OutcomeMissing", `decision := {"score": 0, "reasons": []}`, "outcome missing"},
		{"ScoreTooHigh", `decision := {"outcome": "review", "score": 101, "reasons": []}`, "score"},
		{"ScoreNotInteger", `decision := {"outcome": "review", "score": 1.5, "reasons": []}`, "score"},
		{"ReasonsNotCollection", `decision := {"outcome": "review", "score": 1, "reasons": "x"}`, "reasons"},
		{"ReasonWithoutSeverity", `decision := {"outcome": "review", "score": 1, "reasons": [{"code": "x", "message": "m", "weight": 1}]}`, "severity"},
		{"ReasonUnknownSeverity", `decision := {"outcome": "review", "score": 1, "reasons": [{"code": "x", "message": "m", "severity": "unconfigured", "weight": 1}]}`, "severity"},
		{"AllowWithReviewReason", `decision := {"outcome": "allow", "score": 1, "reasons": [{"code": "x", "message": "m", "severity": "review", "weight": 1}]}`, "outcome allow"},
		{"ReviewWithDenyReason", `decision := {"outcome": "review", "score": 1, "reasons": {{"code": "x", "message": "m", "severity": "deny", "weight": 1}}}`, "outcome review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writePolicy(t, map[string]string{"p.rego": header + tt.policy + "\n"}))
			res, err := p.Eval(context.Background(), typicalInput())
			if err == nil {
				t.Fatalf("Eval = %+v, want an error", res)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Eval error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// The default policy fails closed when data lacks the settings of a reason
// it raises.
func TestEvalUnconfiguredReason(t *testing.T) {
	dir := copyDefault(t)
	editFile(t, filepath.Join(dir, "data.json"), `"msisdn_spread_24h":         {"severity": "review", "weight": 40},`, "")
	p := mustLoad(t, dir)
	if _, err := p.Eval(context.Background(), typicalInput()); err != nil {
		t.Fatalf("Eval of an event without reasons: %v", err)
	}
	res, err := p.Eval(context.Background(), input(func(in *rules.Input) { in.Features.PayerDistinctMSISDN24h = 9 }))
	if err == nil {
		t.Fatalf("Eval = %+v, want an error for an unconfigured reason", res)
	}
}

// A policy from another directory with its own package layout still only
// has to answer data.qorovul.decision.
func TestLoadCustomPolicy(t *testing.T) {
	dir := writePolicy(t, map[string]string{
		"strict.rego": `package qorovul

decision := {"outcome": "review", "score": 5, "reasons": [{"code": "first_seen", "message": msg, "severity": "review", "weight": 5}]} if {
	input.features.payer_count_7d <= data.strict.new_payer_events
	msg := sprintf("payer %s is new", [input.event.payer_id])
} else := {"outcome": "allow", "score": 0, "reasons": []}
`,
		"strict.json":      `{"strict": {"new_payer_events": 1}}`,
		"strict_test.rego": "package qorovul_test\n\ntest_ok if true\n",
		"notes.txt":        "ignored",
	})
	p := mustLoad(t, dir)
	res, err := p.Eval(context.Background(), input(func(in *rules.Input) { in.Features.PayerCount7d = 1 }))
	if err != nil {
		t.Fatal(err)
	}
	want := rules.Result{Outcome: "review", Score: 5, Reasons: []rules.Reason{{Code: "first_seen", Message: "payer usr_18429 is new"}}}
	if res.Outcome != want.Outcome || res.Score != want.Score || len(res.Reasons) != 1 || res.Reasons[0] != want.Reasons[0] {
		t.Fatalf("Eval = %+v, want %+v", res, want)
	}
}

func TestRunTestsReportsFailures(t *testing.T) {
	dir := copyDefault(t)
	editFile(t, filepath.Join(dir, "qorovul_test.rego"),
		`"payer topped up 6 distinct numbers in 24h (limit 5)"`,
		`"payer topped up 6 distinct numbers in 24h (limit 6)"`)
	var out strings.Builder
	passed, failed, err := rules.RunTests(context.Background(), os.DirFS(dir), &out)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if failed != 1 || passed == 0 {
		t.Fatalf("RunTests = %d passed, %d failed, want 1 failure\n%s", passed, failed, out.String())
	}
	if !strings.Contains(out.String(), "test_msisdn_spread_sixth_number_is_reviewed") {
		t.Fatalf("report does not name the failing test:\n%s", out.String())
	}
}

func TestRunTestsCompileError(t *testing.T) {
	dir := writePolicy(t, map[string]string{"p_test.rego": "package qorovul_test\ntest_x if { y }\n"})
	if _, _, err := rules.RunTests(context.Background(), os.DirFS(dir), &strings.Builder{}); err == nil {
		t.Fatal("RunTests of a policy that does not compile succeeded")
	}
}
