// Package httpapi is Qorovul's JSON API on gorilla/mux: pre-authorization,
// decisions, sanctions search and clearances, bearer-token management,
// health, Prometheus metrics and the OpenAPI document. Every error is one
// JSON shape whose HTTP status comes from one table (errors.go).
package httpapi
