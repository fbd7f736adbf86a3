package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// severityRank orders outcomes and reason severities.
func severityRank(s string) int {
	switch s {
	case OutcomeAllow:
		return 0
	case OutcomeReview:
		return 1
	case OutcomeDeny:
		return 2
	}
	return -1
}

// decodeResult reads and checks the decision object
// {"outcome", "score", "reasons": [{"code", "message", "severity", "weight"}]}.
// Besides the shape it checks that the outcome is at least as severe as the
// most severe reason, so no policy can allow an event it found reasons
// to hold.
func (k *keyTerms) decodeResult(t *ast.Term) (Result, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return Result{}, fmt.Errorf("decision is %s, want an object", ast.ValueName(t.Value))
	}
	outcome, err := stringField(obj, k.outcome)
	if err != nil {
		return Result{}, fmt.Errorf("decision: %w", err)
	}
	rank := severityRank(outcome)
	if rank < 0 {
		return Result{}, fmt.Errorf("decision: outcome %q is not allow, review or deny", outcome)
	}
	score, err := intField(obj, k.score)
	if err != nil {
		return Result{}, fmt.Errorf("decision: %w", err)
	}
	if score < 0 || score > 100 {
		return Result{}, fmt.Errorf("decision: score %d is outside 0..100", score)
	}
	rt := obj.Get(k.reasons)
	if rt == nil {
		return Result{}, errors.New("decision: reasons missing")
	}
	var elems []*ast.Term
	switch v := rt.Value.(type) {
	case *ast.Array:
		elems = make([]*ast.Term, 0, v.Len())
		v.Foreach(func(t *ast.Term) { elems = append(elems, t) })
	case ast.Set:
		elems = v.Slice()
	default:
		return Result{}, fmt.Errorf("decision: reasons is %s, want an array or set", ast.ValueName(rt.Value))
	}
	type ranked struct {
		Reason
		rank, weight int
	}
	rs := make([]ranked, 0, len(elems))
	for i, t := range elems {
		r, err := k.decodeReason(t)
		if err != nil {
			return Result{}, fmt.Errorf("decision: reasons[%d]: %w", i, err)
		}
		if r.rank > rank {
			return Result{}, fmt.Errorf("decision: outcome %s but reason %s has severity %s", outcome, r.Code, r.severity)
		}
		rs = append(rs, ranked{Reason: r.Reason, rank: r.rank, weight: r.weight})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.rank, a.rank), cmp.Compare(b.weight, a.weight), cmp.Compare(a.Code, b.Code))
	})
	res := Result{Outcome: outcome, Score: score}
	if len(rs) > 0 {
		res.Reasons = make([]Reason, len(rs))
		for i, r := range rs {
			res.Reasons[i] = r.Reason
		}
	}
	return res, nil
}

type decodedReason struct {
	Reason
	severity     string
	rank, weight int
}

func (k *keyTerms) decodeReason(t *ast.Term) (decodedReason, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return decodedReason{}, fmt.Errorf("is %s, want an object", ast.ValueName(t.Value))
	}
	var r decodedReason
	var err error
	if r.Code, err = stringField(obj, k.code); err != nil {
		return r, err
	}
	if r.Code == "" {
		return r, errors.New("code is empty")
	}
	if r.Message, err = stringField(obj, k.message); err != nil {
		return r, err
	}
	if r.severity, err = stringField(obj, k.severity); err != nil {
		return r, err
	}
	if r.severity != OutcomeReview && r.severity != OutcomeDeny {
		return r, fmt.Errorf("%s: severity %q is not review or deny", r.Code, r.severity)
	}
	r.rank = severityRank(r.severity)
	if r.weight, err = intField(obj, k.weight); err != nil {
		return r, fmt.Errorf("%s: %w", r.Code, err)
	}
	if r.weight < 0 {
		return r, fmt.Errorf("%s: weight %d is negative", r.Code, r.weight)
	}
	return r, nil
}

func stringField(obj ast.Object, key *ast.Term) (string, error) {
	t := obj.Get(key)
	if t == nil {
		return "", fmt.Errorf("%s missing", keyName(key))
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%s is %s, want a string", keyName(key), ast.ValueName(t.Value))
	}
	return string(s), nil
}

func intField(obj ast.Object, key *ast.Term) (int, error) {
	t := obj.Get(key)
	if t == nil {
		return 0, fmt.Errorf("%s missing", keyName(key))
	}
	n, ok := t.Value.(ast.Number)
	if !ok {
		return 0, fmt.Errorf("%s is %s, want a number", keyName(key), ast.ValueName(t.Value))
	}
	i, ok := n.Int()
	if !ok {
		return 0, fmt.Errorf("%s %s is not an integer", keyName(key), n)
	}
	return i, nil
}

// keyName is the plain text of a string key term.
func keyName(key *ast.Term) string {
	if s, ok := key.Value.(ast.String); ok {
		return string(s)
	}
	return key.String()
}
