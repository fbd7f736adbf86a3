package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Inbound JSON (API bodies and source records) is decoded with the
// encoding/json/v2 API, from github.com/go-json-experiment/json, the module
// that becomes an alias of the standard library's package once that is
// stable. Against encoding/json it decodes an event in less than half the
// time (BENCHMARKS.md), matches member names exactly, and refuses what
// encoding/json lets through: duplicate member names (the last one silently
// won) and invalid UTF-8 (silently replaced).

// DecodeJSON decodes body, which must hold exactly one JSON value, into v.
// With strict set, a member v has no field for is refused; sources that add
// fields without notice are decoded with strict unset. The error is an
// EINVALID *Error naming the field and the problem.
func DecodeJSON(body []byte, v any, strict bool) error {
	var err error
	if strict {
		err = jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true))
	} else {
		err = jsonv2.Unmarshal(body, v)
	}
	if err != nil {
		return decodeError(body, err)
	}
	return nil
}

// decodeError turns an error of jsonv2.Unmarshal on body into an EINVALID
// error naming the field.
func decodeError(body []byte, err error) error {
	fe := FieldError{Field: "body", Problem: "is not valid JSON"}
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		fe.Problem = "is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		fe.Problem = "is truncated"
	case errors.As(err, &syn):
		switch {
		case errors.Is(err, jsontext.ErrDuplicateName):
			fe = FieldError{Field: fieldOf(syn.JSONPointer), Problem: "appears more than once"}
		case strings.Contains(syn.Err.Error(), "after top-level value"):
			fe.Problem = "must hold exactly one JSON value"
		case strings.Contains(syn.Err.Error(), "UTF-8"):
			fe = FieldError{Field: fieldOf(syn.JSONPointer), Problem: "is not valid UTF-8"}
		default:
			fe.Problem = fmt.Sprintf("is not valid JSON at offset %d", syn.ByteOffset)
		}
	case errors.As(err, &sem):
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			fe = FieldError{Field: fieldOf(sem.JSONPointer), Problem: "is not a known field"}
		case sem.GoType != nil:
			fe = FieldError{Field: fieldOf(sem.JSONPointer), Problem: "must be a JSON " + jsonKind(sem.GoType)}
		}
	}
	return &Error{Code: EINVALID, Message: "invalid JSON", Fields: []FieldError{fe}, Err: err}
}

// fieldOf names the member a JSON pointer points at the way field errors
// do: "/payer/country" is payer.country; the root is the body.
func fieldOf(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// jsonKind is the JSON kind a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	}
	return "number"
}

// Unquote returns the text of a JSON string token that a decoder has
// already checked, and false for anything else (a number, null, an object).
func Unquote(raw jsontext.Value) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return "", false
	}
	return string(b), true
}
