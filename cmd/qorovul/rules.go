package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/qorovul/qorovul/rules"
)

// runRules: qorovul rules test [--policy DIR] runs the policy's _test.rego files.
func runRules(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		return usageError("usage: qorovul rules test [--policy DIR]")
	}
	fset := newFlagSet("rules test", stderr)
	dir := fset.String("policy", "", "policy directory (default: the shipped policy)")
	if err := parseFlags(fset, args[1:], getenv); err != nil {
		return err
	}
	var fsys fs.FS = rules.DefaultFS()
	if *dir != "" {
		fsys = os.DirFS(*dir)
	}
	passed, failed, err := rules.RunTests(ctx, fsys, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return fmt.Errorf("%d policy tests failed", failed)
	}
	return nil
}
