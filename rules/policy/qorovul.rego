# Qorovul's default scoring policy.
#
# Query: data.qorovul.decision, an object
#   {"outcome": "allow"|"review"|"deny", "score": 0..100,
#    "reasons": [{"code", "message", "severity", "weight"}]}
#
# Input (built by rules.Eval; string fields that are empty are absent):
#   input.event     id, source, kind, status, payer_id, payer_country, kyc_level,
#                   instrument_type, instrument_brand, bin_country, instrument_token,
#                   msisdn (E.164), destination_country, destination_operator,
#                   currency; amount and amount_usd are numbers. Country codes
#                   are upper case, the operator id lower case.
#   input.features  payer_count_1h/24h/7d, payer_amount_usd_1h/24h/7d,
#                   payer_distinct_msisdn_24h/7d, msisdn_distinct_payers_24h,
#                   instrument_distinct_payers_24h (numbers), window_saturated (bool)
#   input.sanctions [{list, entry_id, name, field, score}]
#   input.consent_missing bool
#
# Data: data.config (data.json) holds every limit and, per reason code, its
# severity and weight; data.operator_prefixes (prefixes.json) is the versioned
# operator prefix table.
#
# Each rule below adds one entry to `signal`: reason code -> message. A code
# without a severity and weight in data.config.reasons makes the decision
# undefined, which the engine treats as a policy error (review), never allow.
package qorovul

# --- velocity and spread --------------------------------------------------

signal.velocity_payer_count_1h := sprintf("payer made %d payments in 1h (limit %d)", [n, limit]) if {
	n := input.features.payer_count_1h
	limit := data.config.limits.payer_count_1h
	n > limit
}

signal.velocity_payer_amount_24h := sprintf("payer sent %s USD in 24h (limit %s USD)", [usd(total), usd(limit)]) if {
	total := input.features.payer_amount_usd_24h
	limit := data.config.limits.payer_amount_usd_24h
	total > limit
}

signal.msisdn_spread_24h := sprintf("payer topped up %d distinct numbers in 24h (limit %d)", [n, limit]) if {
	n := input.features.payer_distinct_msisdn_24h
	limit := data.config.limits.payer_distinct_msisdn_24h
	n > limit
}

signal.msisdn_fan_in_24h := sprintf("number was paid by %d distinct payers in 24h (limit %d)", [n, limit]) if {
	n := input.features.msisdn_distinct_payers_24h
	limit := data.config.limits.msisdn_distinct_payers_24h
	n > limit
}

signal.instrument_shared := sprintf("instrument was used by %d distinct payers in 24h (limit %d)", [n, limit]) if {
	n := input.features.instrument_distinct_payers_24h
	limit := data.config.limits.instrument_distinct_payers_24h
	n > limit
}

signal.window_saturated := "payer window is saturated: counts are lower bounds" if {
	input.features.window_saturated
}

# --- the payment itself ---------------------------------------------------

signal.amount_over_limit := sprintf("amount %s USD is over the single-payment limit of %s USD", [usd(amount), usd(limit)]) if {
	amount := input.event.amount_usd
	limit := single_amount_limit
	amount > limit
}

# The single-payment limit depends on the kind of payment.
single_amount_limit := limit if {
	limit := data.config.limits.amount_usd_single[input.event.kind]
} else := data.config.limits.amount_usd_single["default"]

signal.country_mismatch := concat("; ", country_mismatches) if {
	count(country_mismatches) > 0
}

country_mismatches contains sprintf("card issued in %s but payer is in %s", [bin, payer]) if {
	bin := input.event.bin_country
	payer := input.event.payer_country
	bin != payer
}

country_mismatches contains sprintf("number is in %s but destination country is %s", [country, destination]) if {
	country := data.operator_prefixes.countries[msisdn_calling_code].country
	destination := input.event.destination_country
	destination != country
}

signal.operator_prefix_mismatch := msg if {
	prefix := msisdn_operator_prefix
	expected := data.operator_prefixes.countries[msisdn_calling_code].operators[prefix]
	operator := destination_operator
	operator != expected
	msg := sprintf("number prefix +%s %s belongs to %s but destination operator is %s", [msisdn_calling_code, prefix, expected, operator])
}

# The calling code of the number, if the prefix table knows it (calling codes
# are prefix-free, so at most one length matches).
msisdn_calling_code := code if {
	some n in [1, 2, 3]
	code := substring(input.event.msisdn, 1, n)
	data.operator_prefixes.countries[code]
}

# The operator prefix of the number; the table is prefix-free per country
# (checked by tests), so at most one length matches.
msisdn_operator_prefix := prefix if {
	plan := data.operator_prefixes.countries[msisdn_calling_code]
	national := substring(input.event.msisdn, count(msisdn_calling_code) + 1, -1)
	some n in plan.prefix_lengths
	prefix := substring(national, 0, n)
	plan.operators[prefix]
}

destination_operator := operator if {
	operator := data.operator_prefixes.aliases[input.event.destination_operator]
} else := input.event.destination_operator

# --- sanctions and consent ------------------------------------------------

sanctions_matches := [hit |
	some hit in input.sanctions
	hit.score >= data.config.sanctions.match_threshold
]

sanctions_possible_matches := [hit |
	some hit in input.sanctions
	hit.score >= data.config.sanctions.review_threshold
	hit.score < data.config.sanctions.match_threshold
]

signal.sanctions_match := hits_message(sanctions_matches) if {
	count(sanctions_matches) > 0
}

signal.sanctions_possible_match := hits_message(sanctions_possible_matches) if {
	count(sanctions_matches) == 0
	count(sanctions_possible_matches) > 0
}

signal.consent_missing := "no consent on record for processing this payer's data" if {
	input.consent_missing
}

# hits_message describes the best of the hits (the first of equals).
hits_message(hits) := msg if {
	top := max([hit.score | some hit in hits])
	i := min([i | some i, hit in hits; hit.score == top])
	hit := hits[i]
	msg := sprintf("%s matches %s entry %s %q (score %v)%s", [
		object.get(hit, "field", "name"),
		object.get(hit, "list", "?"),
		object.get(hit, "entry_id", "?"),
		object.get(hit, "name", ""),
		top,
		more_hits(count(hits)),
	])
} else := sprintf("%d sanctions hits", [count(hits)])

more_hits(1) := ""

more_hits(n) := sprintf(" and %d more", [n - 1]) if n > 1

# --- decision -------------------------------------------------------------

usd(x) := json.marshal(x)

reasons := [reason |
	some code, message in signal
	setting := data.config.reasons[code]
	reason := {"code": code, "message": message, "severity": setting.severity, "weight": setting.weight}
]

outcome := "deny" if {
	some reason in reasons
	reason.severity == "deny"
} else := "review" if {
	count(reasons) > 0
} else := "allow"

score := min([100, sum([reason.weight | some reason in reasons])])

# Undefined (an error for the engine) when a signal has no configured reason.
decision := {"outcome": outcome, "score": score, "reasons": reasons} if {
	count(reasons) == count(signal)
}
