// Package rules evaluates payment events against Qorovul's scoring policy, an
// embedded OPA (Rego v1) policy with its thresholds, weights and the UZ/TJ
// operator prefix table as JSON data beside it.
//
// The default policy lives in rules/policy and is embedded in the binary
// (Default); Load reads another directory with the same layout (--policy
// DIR): top-level *.rego modules (not *_test.rego) and *.json data files,
// merged at the root of data as OPA does. A Policy is compiled once and is
// safe for concurrent use; Eval builds the OPA input directly as AST terms
// and queries data.qorovul.decision.
//
// Nothing fails open: an evaluation error, an undefined decision or a
// decision of the wrong shape is returned as an error, which the engine turns
// into review with policy_error. RunTests runs the policy's _test.rego files
// through OPA's tester.
package rules
