package sanctions_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The sanctions packages are a leaf: they never import engine or the other leaves.
func TestLeafDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/engine", "/rules", "/consent", "/audit"} {
			if strings.HasPrefix(dep, "github.com/qorovul/qorovul"+banned) {
				t.Errorf("sanctions depends on %s", dep)
			}
		}
	}
}
