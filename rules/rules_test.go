package rules_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/rules"
)

func TestRegoUnitTests(t *testing.T) {
	var out strings.Builder
	passed, failed, err := rules.RunTests(context.Background(), rules.DefaultFS(), &out)
	if err != nil {
		t.Fatalf("RunTests: %v", err)
	}
	if failed > 0 || passed == 0 {
		t.Fatalf("rego tests: %d passed, %d failed\n%s", passed, failed, out.String())
	}
	t.Logf("rego tests: %d passed\n%s", passed, out.String())
}
