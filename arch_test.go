// Package qorovul_test holds the rules of the layout that every package must
// keep: the dependency direction of DESIGN.md and a doc comment per package.
package qorovul_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/qorovul/qorovul"

type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	Deps       []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// top returns the first path element of a package inside the module.
func top(path string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// TestDependencyDirection: rules, sanctions, consent and audit are leaves
// (they never import engine or each other); only cmd imports cmd; engine's
// adapters import engine, never the other way round.
func TestDependencyDirection(t *testing.T) {
	leaves := map[string]bool{"rules": true, "sanctions": true, "consent": true, "audit": true}
	for _, p := range listPackages(t) {
		from := top(p.ImportPath)
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, module+"/") {
				continue
			}
			to := top(d)
			switch {
			case leaves[from] && to != from:
				t.Errorf("%s is a leaf but depends on %s", p.ImportPath, d)
			case to == "cmd" && from != "cmd":
				t.Errorf("%s depends on the command %s", p.ImportPath, d)
			case p.ImportPath == module+"/engine" && strings.HasPrefix(d, module+"/engine/"):
				t.Errorf("engine depends on its adapter %s", d)
			}
		}
	}
}

// TestPackageDocs: every package says what it owns.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue // only tests, like this one
		}
		if p.Name != "main" && strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment (add a doc.go)", p.ImportPath)
		}
		for _, bad := range []string{"util", "utils", "common", "helpers", "models"} {
			if p.Name == bad {
				t.Errorf("package %s: no %s packages", p.ImportPath, bad)
			}
		}
	}
}
