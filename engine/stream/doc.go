// Package stream connects Qorovul's pipeline to Kafka with franz-go.
//
// A Consumer reads the input topic (payments.events) in a consumer group,
// decodes each record with engine/ingest according to its `source` header,
// submits it to the pipeline that the HTTP API shares, and produces:
//
//   - the decision to compliance.decisions, keyed by payer id, headers
//     event_id, decision_id, outcome, source and duplicate;
//   - a record that cannot be decoded or decided, unchanged, to payments.dlq
//     with `reason` and `error_code` headers added (never dropped);
//   - a transaction's status change to payments.status, keyed by event id,
//     only when something changed.
//
// Offsets are committed explicitly, and only up to a record whose effect is
// durable in Badger (Submit returned) and whose output records the broker
// acknowledged. A crash anywhere therefore redelivers, never loses: the
// pipeline answers a redelivered event with its stored decision, which is
// produced again (consumers de-duplicate by event_id).
//
// At most Config.MaxInFlight records are held at once: polls overlap (the
// consumer polls more while earlier records are being decided) but never
// beyond that bound, and franz-go's fetch buffer is bounded by
// Config.FetchMaxBytes, so a slow disk slows consumption instead of growing
// memory. Records of one event id are submitted in offset order. Each
// partition's finished prefix is committed every Config.CommitInterval.
// Rebalances are blocked while records are in flight
// (kgo.BlockRebalanceOnPoll); when the group wants one, the consumer stops
// polling, finishes and commits everything, then allows it, so a partition
// never moves with work in flight.
//
// Broker runs franz-go's kfake Kafka-protocol cluster for `qorovul broker`,
// the demo and tests.
package stream
