// Package engine owns Qorovul's domain: the canonical payment event, the
// decision, holds, event-time window features, the one Badger store and the
// scoring pipeline that the HTTP API and the Kafka stream share.
//
// Leaf packages (rules, sanctions, consent, audit) never import engine;
// engine composes them, and the adapters under engine/ import engine.
package engine
