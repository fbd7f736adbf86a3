package rules_test

import (
	"go/build"
	"strings"
	"testing"
)

// rules is a leaf: it imports none of Qorovul's packages (engine composes it).
func TestLeafPackage(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Doc == "" {
		t.Error("package rules has no doc comment")
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/qorovul/qorovul/") {
			t.Errorf("rules imports %s; it must stay a leaf package", imp)
		}
	}
}
