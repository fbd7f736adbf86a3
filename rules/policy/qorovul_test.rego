package qorovul_test

import data.qorovul

# A typical recharge: US card, Beeline number in Uzbekistan, quiet payer.
event := {
	"id": "tx_92f1", "source": "upay", "kind": "recharge", "status": "created",
	"payer_id": "usr_18429", "payer_country": "US", "kyc_level": "L1",
	"instrument_type": "card", "instrument_brand": "visa", "bin_country": "US",
	"instrument_token": "tok_8a1c", "msisdn": "+998901234567",
	"msisdn_calling_code": "998", "msisdn_national": "901234567",
	"destination_country": "UZ", "destination_operator": "beeline",
	"amount": 10.00, "currency": "USD", "amount_usd": 10.00,
}

features := {
	"payer_count_1h": 1, "payer_count_24h": 3, "payer_count_7d": 8,
	"payer_amount_usd_1h": 10.00, "payer_amount_usd_24h": 45.50, "payer_amount_usd_7d": 120.00,
	"payer_distinct_msisdn_24h": 2, "payer_distinct_msisdn_7d": 3,
	"msisdn_distinct_payers_24h": 1, "instrument_distinct_payers_24h": 1,
	"window_saturated": false,
}

with_event(patch) := {"event": object.union(event, patch), "features": features, "sanctions": [], "consent_missing": false}

with_features(patch) := {"event": event, "features": object.union(features, patch), "sanctions": [], "consent_missing": false}

with_hits(hits) := {"event": event, "features": features, "sanctions": hits, "consent_missing": false}

# dial(code, national) is the event patch for the number +code national: the
# msisdn and the two parts the engine splits it into.
dial(code, national) := {"msisdn": concat("", ["+", code, national]), "msisdn_calling_code": code, "msisdn_national": national}

codes(d) := {r.code | some r in d.reasons}

messages(d) := {r.message | some r in d.reasons}

hit(score) := {"list": "ofac_sdn", "entry_id": "35283", "name": "USMANOV, Alisher Burhanovich", "field": "beneficiary.name", "score": score}

test_typical_recharge_is_allowed if {
	d := qorovul.decision with input as with_event({})
	d == {"outcome": "allow", "score": 0, "reasons": set()}
}

test_velocity_payer_count_1h if {
	d := qorovul.decision with input as with_features({"payer_count_1h": 11})
	d.outcome == "review"
	d.reasons == {{
		"code": "velocity_payer_count_1h",
		"message": "payer made 11 payments in 1h (limit 10)",
		"severity": "review", "weight": 30,
	}}
}

test_velocity_payer_count_1h_at_limit_is_allowed if {
	d := qorovul.decision with input as with_features({"payer_count_1h": 10})
	d.outcome == "allow"
}

test_velocity_payer_amount_24h if {
	d := qorovul.decision with input as with_features({"payer_amount_usd_24h": 1000.01})
	codes(d) == {"velocity_payer_amount_24h"}
	messages(d) == {"payer sent 1000.01 USD in 24h (limit 1000 USD)"}
}

test_velocity_payer_amount_24h_at_limit_is_allowed if {
	d := qorovul.decision with input as with_features({"payer_amount_usd_24h": 1000.00})
	d.outcome == "allow"
}

test_msisdn_spread_sixth_number_is_reviewed if {
	d := qorovul.decision with input as with_features({"payer_distinct_msisdn_24h": 6})
	d.outcome == "review"
	d.score == 40
	messages(d) == {"payer topped up 6 distinct numbers in 24h (limit 5)"}
}

test_msisdn_spread_fifth_number_is_allowed if {
	d := qorovul.decision with input as with_features({"payer_distinct_msisdn_24h": 5})
	d.outcome == "allow"
}

test_msisdn_fan_in if {
	d := qorovul.decision with input as with_features({"msisdn_distinct_payers_24h": 4})
	codes(d) == {"msisdn_fan_in_24h"}
	messages(d) == {"number was paid by 4 distinct payers in 24h (limit 3)"}
}

test_instrument_shared if {
	d := qorovul.decision with input as with_features({"instrument_distinct_payers_24h": 4})
	codes(d) == {"instrument_shared"}
}

test_window_saturated if {
	d := qorovul.decision with input as with_features({"window_saturated": true})
	codes(d) == {"window_saturated"}
	d.outcome == "review"
}

test_amount_over_limit if {
	d := qorovul.decision with input as with_event({"amount_usd": 500.01})
	codes(d) == {"amount_over_limit"}
	messages(d) == {"amount 500.01 USD is over the single-payment limit of 500 USD"}
}

test_amount_limit_per_kind if {
	d := qorovul.decision with input as with_event({"amount_usd": 150})
		with data.config.amount_usd_single.recharge as 100
	codes(d) == {"amount_over_limit"}
}

test_amount_limit_default_kind if {
	d := qorovul.decision with input as with_event({"kind": "gift_card", "amount_usd": 600})
	codes(d) == {"amount_over_limit"}
}

test_amount_limit_without_kind if {
	ev := object.union(object.remove(event, ["kind"]), {"amount_usd": 600})
	d := qorovul.decision with input as {"event": ev, "features": features, "sanctions": [], "consent_missing": false}
	codes(d) == {"amount_over_limit"}
}

test_country_mismatch_bin if {
	d := qorovul.decision with input as with_event({"bin_country": "RU"})
	d.reasons == {{
		"code": "country_mismatch",
		"message": "card issued in RU but payer is in US",
		"severity": "review", "weight": 20,
	}}
}

test_country_mismatch_destination if {
	d := qorovul.decision with input as with_event({"destination_country": "TJ"})
	codes(d) == {"country_mismatch"}
	messages(d) == {"number is in UZ but destination country is TJ"}
}

test_country_mismatch_both_is_one_reason if {
	d := qorovul.decision with input as with_event({"destination_country": "TJ", "bin_country": "RU"})
	count(d.reasons) == 1
	messages(d) == {"card issued in RU but payer is in US; number is in UZ but destination country is TJ"}
}

test_country_unknown_is_no_mismatch if {
	ev := object.remove(event, ["bin_country"])
	d := qorovul.decision with input as {"event": ev, "features": features, "sanctions": [], "consent_missing": false}
	d.outcome == "allow"
}

test_operator_prefix_mismatch if {
	d := qorovul.decision with input as with_event({"destination_operator": "ucell"})
	d.reasons == {{
		"code": "operator_prefix_mismatch",
		"message": "number prefix +998 90 belongs to beeline but destination operator is ucell",
		"severity": "review", "weight": 10,
	}}
}

test_operator_alias_matches if {
	d := qorovul.decision with input as with_event(object.union(dial("998", "991234567"), {"destination_operator": "uzbektelecom"}))
	d.outcome == "allow"
}

test_operator_tajikistan_three_digit_prefix if {
	ok := qorovul.decision with input as with_event(object.union(dial("992", "334123456"), {"destination_country": "TJ", "destination_operator": "zet-mobile"}))
	ok.outcome == "allow"
	bad := qorovul.decision with input as with_event(object.union(dial("992", "334123456"), {"destination_country": "TJ", "destination_operator": "tcell"}))
	codes(bad) == {"operator_prefix_mismatch"}
}

test_operator_uzbek_regional_range if {
	ok := qorovul.decision with input as with_event(object.union(dial("998", "615012345"), {"destination_operator": "mobiuz"}))
	ok.outcome == "allow"
	bad := qorovul.decision with input as with_event(object.union(dial("998", "615012345"), {"destination_operator": "beeline"}))
	messages(bad) == {"number prefix +998 6150 belongs to mobiuz but destination operator is beeline"}
}

test_unknown_number_plan_is_no_signal if {
	d := qorovul.decision with input as with_event(object.union(dial("7", "9161234567"), {"destination_country": "RU", "destination_operator": "mts"}))
	d.outcome == "allow"
}

test_no_number_is_no_signal if {
	ev := object.remove(event, ["msisdn", "msisdn_calling_code", "msisdn_national"])
	d := qorovul.decision with input as {"event": ev, "features": features, "sanctions": [], "consent_missing": false}
	d.outcome == "allow"
}

test_sanctions_match_denies if {
	d := qorovul.decision with input as with_hits([hit(0.97), hit(0.86)])
	d.outcome == "deny"
	d.score == 100
	d.reasons == {{
		"code": "sanctions_match",
		"message": "beneficiary.name matches ofac_sdn entry 35283 \"USMANOV, Alisher Burhanovich\" (score 0.97)",
		"severity": "deny", "weight": 100,
	}}
}

test_sanctions_match_best_hit_and_count if {
	d := qorovul.decision with input as with_hits([hit(0.93), object.union(hit(1), {"entry_id": "7"}), hit(0.95)])
	messages(d) == {"beneficiary.name matches ofac_sdn entry 7 \"USMANOV, Alisher Burhanovich\" (score 1) and 2 more"}
}

test_sanctions_match_severity_from_data if {
	d := qorovul.decision with input as with_hits([hit(0.97)])
		with data.config.reasons.sanctions_match.severity as "review"
	d.outcome == "review"
}

test_sanctions_possible_match_reviews if {
	d := qorovul.decision with input as with_hits([hit(0.86)])
	d.outcome == "review"
	codes(d) == {"sanctions_possible_match"}
}

test_sanctions_below_review_threshold_is_allowed if {
	d := qorovul.decision with input as with_hits([hit(0.79)])
	d.outcome == "allow"
}

test_consent_missing if {
	d := qorovul.decision with input as object.union(with_event({}), {"consent_missing": true})
	codes(d) == {"consent_missing"}
	d.outcome == "review"
}

test_deny_wins_and_score_is_capped if {
	inp := {
		"event": object.union(event, {"amount_usd": 900}),
		"features": object.union(features, {"payer_distinct_msisdn_24h": 9}),
		"sanctions": [hit(0.99)],
		"consent_missing": true,
	}
	d := qorovul.decision with input as inp
	d.outcome == "deny"
	d.score == 100
	codes(d) == {"sanctions_match", "msisdn_spread_24h", "amount_over_limit", "consent_missing"}
}

test_scores_add_up if {
	d := qorovul.decision with input as with_features({"payer_count_1h": 11, "window_saturated": true})
	d.score == 50
}

# A reason code without severity and weight in data must not vanish: the
# decision becomes undefined, which the engine treats as a policy error.
test_unconfigured_reason_makes_decision_undefined if {
	not qorovul.decision with input as with_features({"payer_count_1h": 11})
		with data.config.reasons as object.remove(data.config.reasons, ["velocity_payer_count_1h"])
}

# --- the data itself ---------------------------------------------------------

test_every_reason_has_severity_and_weight if {
	every _, setting in data.config.reasons {
		setting.severity in {"review", "deny"}
		is_number(setting.weight)
		setting.weight >= 0
	}
}

test_every_window_limit_bounds_a_feature_and_is_configured if {
	every code, check in data.config.window_limits {
		features[check.feature]
		data.config.reasons[code]
		is_number(check.limit)
	}
}

test_sanctions_thresholds_are_ordered if {
	data.config.sanctions.review_threshold < data.config.sanctions.match_threshold
}

test_prefix_table_is_versioned if {
	data.operator_prefixes.version != ""
	data.operator_prefixes.source != ""
}

# Prefixes of one country never overlap, so a number has at most one operator.
test_prefix_table_is_prefix_free if {
	every _, plan in data.operator_prefixes.countries {
		count(overlapping(plan)) == 0
		every prefix, _ in plan.operators {
			count(prefix) in {n | some n in plan.prefix_lengths}
		}
	}
}

overlapping(plan) := {[a, b] |
	some a, _ in plan.operators
	some b, _ in plan.operators
	a != b
	startswith(b, a)
}

test_operator_ids_are_known if {
	known := {"beeline", "ucell", "mobiuz", "uzmobile", "humans", "perfectum", "tcell", "megafon", "babilon", "zet", "omobile", "anor"}
	every _, plan in data.operator_prefixes.countries {
		every _, op in plan.operators {
			op in known
		}
	}
	every _, op in data.operator_prefixes.aliases {
		op in known
	}
}
