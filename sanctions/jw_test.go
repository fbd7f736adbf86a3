package sanctions

import (
	"math"
	"testing"

	"github.com/adrg/strutil"
	"github.com/adrg/strutil/metrics"
)

func TestJaroWinklerAgreesWithStrutil(t *testing.T) {
	pairs := [][2]string{
		{"usmanov", "usmonov"}, {"alisher", "alisher"}, {"karimov", "usmanov"},
		{"martha", "marhta"}, {"dixon", "dicksonx"}, {"jellyfish", "smellyfish"},
		{"abdulaev", "abdulozoda"}, {"", "a"}, {"a", ""}, {"", ""},
		{"муҳаммад", "мухаммад"}, {"ivan", "ivanov"}, {"sergei", "sergeilavrov"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "aaab"},
	}
	m := metrics.NewJaroWinkler()
	for _, p := range pairs {
		want := strutil.Similarity(p[0], p[1], m)
		got := jaroWinkler(p[0], p[1])
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("jaroWinkler(%q, %q) = %v, strutil says %v", p[0], p[1], got, want)
		}
	}
}

func TestJaroWinklerAllocatesNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { jaroWinkler("usmanov", "usmonov") })
	if allocs != 0 {
		t.Fatalf("jaroWinkler allocates %v times a call, want 0", allocs)
	}
}
