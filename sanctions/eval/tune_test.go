package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qorovul/qorovul/sanctions"
)

// TestTune is a calibration aid, run only on request: SANCTIONS_TUNE=1 go test
// ./sanctions/eval -run TestTune -v, with GRID="jw=0.6,slope=1.5;pat=0.4" to try parameter
// sets, NEG=1 to add the 50,000 negatives and BENCHFAIL=1 to list name_bench misses.
func TestTune(t *testing.T) {
	if os.Getenv("SANCTIONS_TUNE") == "" {
		t.Skip("calibration aid; set SANCTIONS_TUNE=1 to run")
	}
	data := dataDir(t)
	ix0 := loadIndex(t)
	th := sanctions.DefaultReviewThreshold
	grid := []sanctions.Params{ix0.Params()}
	if g := os.Getenv("GRID"); g != "" {
		grid = nil
		for _, spec := range strings.Split(g, ";") {
			p := ix0.Params()
			for _, kv := range strings.Split(spec, ",") {
				k, v, _ := strings.Cut(kv, "=")
				f, _ := strconv.ParseFloat(v, 64)
				switch k {
				case "jw":
					p.JWShare = f
				case "min":
					p.MinPartSimilarity = f
				case "slope":
					p.Slope = f
				case "qe":
					p.QueryExp = f
				case "le":
					p.ListedExp = f
				case "gram":
					p.MinGramShare = f
				case "mpf":
					p.MissingPatronymicFactor = f
				case "pat":
					p.WeightPatronymic = f
				case "rf":
					p.RarityFloor = f
				case "cf":
					p.CommonFactor = f
				case "mrf":
					p.MissRarityFloor = f
				case "edge":
					p.EdgeFactor = f
				}
			}
			grid = append(grid, p)
		}
	}
	for _, p := range grid {
		ix := ix0.WithParams(p)
		fmt.Printf("== %+v\n", p)
		b := nameBench(t, ix, filepath.Join(data, "eval", "nomenklatura_name_bench_cases.csv"), th)
		fmt.Printf("bench P %.3f R %.3f F1 %.3f |", b.precision(), b.recall(), b.f1())
		for _, d := range []float64{-0.05, -0.03, 0.03, 0.05} {
			b := nameBench(t, ix, filepath.Join(data, "eval", "nomenklatura_name_bench_cases.csv"), th+d)
			fmt.Printf("  @%.2f %.3f", th+d, b.f1())
		}
		fmt.Println()
		u, missed := unPositives(t, ix, filepath.Join(data, "eval", "yente_positives_un_untreated.csv"), th)
		fmt.Printf("UN R %.3f missed %v\n", u.recall(), first(missed, 5))
		c, _, wrong := corridor(t, ix, filepath.Join("testdata", "corridor.csv"), th)
		fmt.Printf("corridor P %.3f R %.3f wrong %v\n", c.precision(), c.recall(), wrong)
		if os.Getenv("NEG") != "" {
			n, hits := negatives(t, ix, filepath.Join(data, "eval", "yente_negatives_global.csv"), th)
			fmt.Printf("neg rate %.4f %v\n", ratio(n.fp, n.fp+n.tn), first(hits, 40))
		}
		if os.Getenv("BENCHFAIL") != "" {
			for _, r := range readCSV(t, filepath.Join(data, "eval", "nomenklatura_name_bench_cases.csv")) {
				s, via := ix.ScoreNames(r["name1"], r["name2"])
				if (s >= th) != (r["is_match"] == "true") {
					fmt.Printf("%v %.2f | %s | %s | %s | %s\n", r["is_match"], s, r["name1"], r["name2"], via, r["notes"])
				}
			}
		}
	}
}
