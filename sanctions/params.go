package sanctions

import (
	"slices"
	"sync"
)

// Thresholds a caller applies to Match.Score.
const (
	// DefaultReviewThreshold marks a possible match: hold for an officer.
	DefaultReviewThreshold = 0.80
	// DefaultMatchThreshold marks a match.
	DefaultMatchThreshold = 0.92
)

// Params tune scoring. DefaultParams is what the evaluation harness (sanctions/eval) was
// calibrated with; change them only with that harness at hand.
type Params struct {
	// Weights of a name part by role, relative to a given name or surname (1).
	WeightPatronymic, WeightInitial, WeightLegal, WeightParticle float64
	// MissingPatronymicFactor is the share of a listed patronymic's weight that still counts
	// against a query that gives no patronymic at all.
	MissingPatronymicFactor float64
	// RarityFloor is the weight share a part keeps however frequent it is on the lists.
	RarityFloor float64
	// MissRarityFloor is the same floor for a part's miss cost: what leaving it unmatched
	// costs, which CommonFactor does not lower (a common part proves little when it matches,
	// its absence is no cheaper for that). Raising it above RarityFloor charges omitted
	// middle names more (Ahmed Hassan / HASSAN, Ahmed Mahmoud falls below review at 0.5).
	MissRarityFloor float64
	// EdgeFactor multiplies the miss cost of a listed person's given name or surname (the
	// edges of the name, see edgeMask) that the query does not match; middle names keep 1.
	EdgeFactor float64
	// CommonFactor multiplies the weight of corridor-common parts (Muhammad, Karimov…).
	CommonFactor float64

	// JWShare is Jaro-Winkler's share in the letter similarity of two parts; the rest is the
	// edit-distance ratio.
	JWShare float64
	// MinPartSimilarity is the letter similarity below which two parts do not match.
	MinPartSimilarity float64
	// MinGramShare is the share of a query part's trigrams a listed part must have to be
	// compared letter by letter (retrieval only).
	MinGramShare float64
	// Slope turns part similarity into credit: 1 - Slope*(1-similarity).
	Slope float64
	// EquivalentSimilarity is the similarity of two given-name equivalents (Aleksandr, Iskandar).
	EquivalentSimilarity float64
	// InitialSimilarity is the similarity of an initial and a part it begins.
	InitialSimilarity float64
	// VariantFactor multiplies similarity reached through a suffix or patronymic stem.
	VariantFactor float64

	// QueryExp and ListedExp weigh how much of the query and of the listed name is matched:
	// score = coverage(query)^QueryExp * coverage(listed)^ListedExp.
	QueryExp, ListedExp float64
	// WeakFactor multiplies the score of a hit on a weak alias.
	WeakFactor float64

	// NonPersonFactor multiplies the score of a vessel, aircraft or organisation when the
	// query is plainly a person (it has a patronymic or a date of birth).
	NonPersonFactor float64

	// Date of birth and nationality adjustments, applied when both sides have them.
	DOBExactBonus, DOBYearBonus, DOBMismatchPenalty float64
	NationalityBonus, NationalityPenalty            float64
}

// DefaultParams are the calibrated defaults.
func DefaultParams() Params {
	return Params{
		WeightPatronymic: 0.5,
		WeightInitial:    0.3,
		WeightLegal:      0.2,
		WeightParticle:   0.1,
		RarityFloor:      0.3,
		MissRarityFloor:  0.3,
		EdgeFactor:       2,

		MissingPatronymicFactor: 0.3,
		CommonFactor:            0.8,

		JWShare:              0.65,
		MinPartSimilarity:    0.75,
		MinGramShare:         0.5,
		Slope:                1.3,
		EquivalentSimilarity: 0.95,
		InitialSimilarity:    0.9,
		VariantFactor:        0.97,

		QueryExp:   0.6,
		ListedExp:  0.4,
		WeakFactor: 0.95,

		NonPersonFactor: 0.85,

		DOBExactBonus:      0.06,
		DOBYearBonus:       0.04,
		DOBMismatchPenalty: 0.15,
		NationalityBonus:   0.03,
		NationalityPenalty: 0.05,
	}
}

// WithParams returns a copy of the index that scores with p (the lists and postings are
// shared). For calibration; the defaults are what the evaluation harness checks.
func (ix *Index) WithParams(p Params) *Index {
	c := *ix
	c.params = p
	c.names = slices.Clone(ix.names)
	c.setWeights()
	c.pool = &sync.Pool{New: func() any { return c.newScratch() }}
	return &c
}

// Params are the scoring parameters in use.
func (ix *Index) Params() Params { return ix.params }
