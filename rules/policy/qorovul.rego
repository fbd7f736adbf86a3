# Qorovul's default scoring policy.
#
# Query: data.qorovul.decision, an object
#   {"outcome": "allow"|"review"|"deny", "score": 0..100,
#    "reasons": set of {"code", "message", "severity", "weight"}}
#
# Input (built by rules.Eval; event strings that are empty are absent):
#   input.event     id, source, kind, status, payer_id, payer_country, kyc_level,
#                   instrument_type, instrument_brand, bin_country, instrument_token,
#                   msisdn (E.164), msisdn_calling_code and msisdn_national
#                   (msisdn split after its country calling code: "998",
#                   "901234567"), destination_country, destination_operator,
#                   currency (strings; countries upper case, operator lower case);
#                   amount, amount_usd (numbers with the exact decimal text)
#   input.features  payer_count_1h/24h/7d, payer_amount_usd_1h/24h/7d,
#                   payer_distinct_msisdn_24h/7d, msisdn_distinct_payers_24h,
#                   instrument_distinct_payers_24h (numbers), window_saturated (bool)
#   input.sanctions [{list, entry_id, name, field, score}]
#   input.consent_missing (bool)
#
# Data: data.config (data.json) holds every limit and, per reason code, its
# severity and weight; data.operator_prefixes (prefixes.json) is the
# versioned operator prefix table.
#
# Each rule adds one reason to the set `reasons` through reason(code,
# message), which takes severity and weight from data.config.reasons. A code
# missing there makes the decision undefined, which the engine treats as a
# policy error (review), never as allow.
package qorovul

# --- windows ----------------------------------------------------------------

# One rule for every windowed limit in data.config.window_limits: the reason
# code maps to the feature it bounds, the limit and the message.
reasons contains reason(code, sprintf(check.message, [decimal(value), decimal(check.limit)])) if {
	some code, check in data.config.window_limits
	value := input.features[check.feature]
	value > check.limit
}

reasons contains reason("window_saturated", "payer window is saturated: counts are lower bounds") if {
	input.features.window_saturated
}

# --- the payment itself -----------------------------------------------------

# The single-payment limit depends on the kind of payment.
reasons contains reason("amount_over_limit", msg) if {
	amount := input.event.amount_usd
	limits := data.config.amount_usd_single
	limit := object.get(limits, object.get(input.event, "kind", "default"), limits["default"])
	amount > limit
	msg := sprintf("amount %s USD is over the single-payment limit of %s USD", [decimal(amount), decimal(limit)])
}

reasons contains reason("country_mismatch", concat("; ", country_mismatches)) if {
	count(country_mismatches) > 0
}

country_mismatches contains sprintf("card issued in %s but payer is in %s", [bin, payer]) if {
	bin := input.event.bin_country
	payer := input.event.payer_country
	bin != payer
}

country_mismatches contains sprintf("number is in %s but destination country is %s", [number.country, destination]) if {
	destination := input.event.destination_country
	destination != number.country
}

# Ported numbers keep their prefix, so this is a weak signal. Operator
# names the table knows by another name are mapped through its aliases.
reasons contains reason("operator_prefix_mismatch", msg) if {
	aliases := data.operator_prefixes.aliases
	operator := object.get(aliases, input.event.destination_operator, input.event.destination_operator)
	operator != number.operator
	msg := sprintf("number prefix +%s %s belongs to %s but destination operator is %s", [number.calling_code, number.prefix, number.operator, operator])
}

# number is what the prefix table says about input.event.msisdn: calling
# code, country, operator prefix and operator. The engine splits the number
# after its calling code, which is cheaper there than slicing it here; the
# table's operator prefixes are prefix-free per country (tested), so at most
# one entry matches.
number := {"calling_code": code, "country": plan.country, "prefix": prefix, "operator": plan.operators[prefix]} if {
	code := input.event.msisdn_calling_code
	plan := data.operator_prefixes.countries[code]
	some m in plan.prefix_lengths
	prefix := substring(input.event.msisdn_national, 0, m)
	plan.operators[prefix]
}

# --- sanctions and consent --------------------------------------------------

reasons contains reason("sanctions_match", hits_message(hits)) if {
	hits := [hit | some hit in input.sanctions; hit.score >= data.config.sanctions.match_threshold]
	count(hits) > 0
}

reasons contains reason("sanctions_possible_match", hits_message(hits)) if {
	hits := [hit |
		some hit in input.sanctions
		hit.score >= data.config.sanctions.review_threshold
	]
	count(hits) > 0
	every hit in hits {
		hit.score < data.config.sanctions.match_threshold
	}
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

reasons contains reason("consent_missing", "no consent on record for processing this payer's data") if {
	input.consent_missing
}

# --- decision ---------------------------------------------------------------

# reason is one entry of `reasons`; a code without settings gets severity
# "unconfigured", which makes the decision undefined.
reason(code, message) := {"code": code, "message": message, "severity": setting.severity, "weight": setting.weight} if {
	setting := data.config.reasons[code]
} else := {"code": code, "message": message, "severity": "unconfigured", "weight": 0}

# decimal prints a number with its exact decimal text ("1000.50", not 1000.5).
decimal(x) := json.marshal(x)

# Most events have no reason at all: that case is decided first.
decision := {"outcome": "allow", "score": 0, "reasons": set()} if {
	count(reasons) == 0
} else := {"outcome": outcome, "score": score, "reasons": reasons} if {
	every r in reasons {
		r.severity in {"review", "deny"}
	}
}

outcome := "deny" if {
	some r in reasons
	r.severity == "deny"
} else := "review"

score := min([100, sum([r.weight | some r in reasons])])
