package api

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeStrict reads a request body the one way the OpenAPI document
// describes it: every field by its exact name (encoding/json would also take
// "PLAYER" for "player", after the schema checked "player"), each field once,
// no field the request does not have, and only valid UTF-8. A failure names
// the field at fault in words, not in Go's terms.
func decodeStrict(data []byte, v any) error {
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return &decodeFault{field: fieldPath(syn.JSONPointer), message: "is given more than once"}
	case errors.As(err, &syn):
		// jsonFault (fieldOf) says where and why the syntax breaks.
		return errors.New("the body is not valid JSON")
	case errors.As(err, &sem):
		return &decodeFault{field: fieldPath(sem.JSONPointer), message: semanticMessage(sem)}
	}
	return &decodeFault{field: "body", message: "could not be read"}
}

// decodeFault is a body that failed to decode at one field. Huma keeps only
// the message of an unmarshal error (as a body error detail), so the message
// carries the field, behind faultMark, for fieldOf to read back.
type decodeFault struct{ field, message string }

// faultMark starts the message of a decodeFault; no message of a JSON
// decoder starts with a NUL.
const faultMark = "\x00field:"

func (e *decodeFault) Error() string { return faultMark + e.field + "\x00" + e.message }

// parseFault reads a decodeFault back from its message.
func parseFault(msg string) (field, message string, ok bool) {
	rest, ok := strings.CutPrefix(msg, faultMark)
	if !ok {
		return "", "", false
	}
	field, message, ok = strings.Cut(rest, "\x00")
	return field, message, ok
}

// fieldPath turns a JSON pointer ("/events/3/type") into the API's field
// path ("events[3].type"); the document itself is "body".
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
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

var timeType = reflect.TypeFor[time.Time]()

// semanticMessage says what a value that has the wrong type should be.
func semanticMessage(e *jsonv2.SemanticError) string {
	switch {
	case errors.Is(e.Err, jsonv2.ErrUnknownName):
		return "is not a field of this request"
	case errors.Is(e.Err, strconv.ErrRange):
		return "is out of range"
	}
	t := e.GoType
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
	case t == timeType:
		return "must be a time in RFC 3339 format, such as 2026-01-02T15:04:05Z"
	case e.Err != nil && reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()):
		return e.Err.Error() // the type's own words (Money)
	}
	if t == nil {
		return "has the wrong type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if e.JSONKind == '0' {
			return "must be a whole number within range, such as 3 (not 3.0)"
		}
		return "must be a JSON integer"
	case reflect.Float32, reflect.Float64:
		return "must be a JSON number"
	case reflect.String:
		return "must be a JSON string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Struct, reflect.Map:
		return "must be a JSON object"
	case reflect.Slice, reflect.Array:
		return "must be a JSON array"
	}
	return "has the wrong type"
}
