// Package ingest turns the payloads of Qorovul's sources — uPay.net
// recharges and webhooks, AnjirPay transfers and service payments, Upmobile
// operations, Uzum Bank Merchant API requests and a global top-up API's
// requests, responses and webhooks — into the canonical engine.Event.
//
// Decode is the one entry point: it takes a Record (the source, the record
// key, its headers and the body as received over HTTP or Kafka) and
// dispatches on the source. Conventions every adapter keeps:
//
//   - Event and payer ids are namespaced by source: "<source>:<native id>".
//   - Where a shape names no payer, the payer-id header, then the record key,
//     supplies it.
//   - Money is decoded from the JSON token as a decimal, never via float;
//     Uzum tiyin become UZS by dividing by 100 exactly.
//   - Source statuses map onto the canonical statuses of engine/lifecycle.go.
//   - Cards appear only masked: a brand, the last four digits and, when the
//     mask shows six leading digits, the BIN. A mask that shows more is
//     refused.
//   - Errors are *engine.Error with code EINVALID whose Fields name the
//     source's own field and what is wrong with it.
//
// Adapters do not normalise MSISDNs or check the event as a whole: the
// pipeline validates every event with engine.Validate.
//
// SignatureVerifier checks uPay's signed webhooks against an injected clock.
package ingest
