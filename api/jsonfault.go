package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// jsonFormat is huma's JSON format, made strict (decodeStrict):
// encoding/json quietly replaces invalid UTF-8 with U+FFFD, takes a field
// in any case and the last of two spellings, which would store something
// other than what the schema checked.
var jsonFormat = huma.Format{
	Marshal: huma.DefaultJSONFormat.Marshal,
	Unmarshal: func(data []byte, v any) error {
		if !utf8.Valid(data) {
			return errors.New("the body is not valid UTF-8")
		}
		return decodeStrict(data, v)
	},
}

// jsonFault finds where body stops being JSON that the API can read: a
// syntax error, a string that is not UTF-8, a number out of range. It
// returns the JSON path of that place ("events[3].data", "body" for the
// document itself) and what is wrong, or why == "" when body is fine.
func jsonFault(body []byte) (field, why string) {
	type frame struct {
		object bool
		key    string // the current key of an object
		index  int    // the current index of an array
		keyNow bool   // the next string of an object is a key
	}
	var stack []frame
	path := func() string {
		var b bytes.Buffer
		for _, f := range stack {
			switch {
			case f.object && b.Len() > 0:
				b.WriteString("." + f.key)
			case f.object:
				b.WriteString(f.key)
			default:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	// valueDone moves the enclosing container past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].keyNow = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for values := 0; ; {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			switch {
			case len(stack) > 0:
				return "body", "is not valid JSON: it ends too early"
			case values == 0:
				return "body", "is empty"
			}
			return "", ""
		}
		if err != nil {
			return path(), "is not valid JSON: " + err.Error()
		}
		if len(stack) == 0 && values > 0 {
			return "body", "has more after the JSON document"
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].keyNow
		if !utf8.Valid(body[start:dec.InputOffset()]) {
			if isKey {
				return path(), "has a field name that is not valid UTF-8"
			}
			return path(), "is not valid UTF-8"
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{object: t == '{', keyNow: t == '{'})
			case '}', ']':
				stack = stack[:top]
				valueDone()
			}
		case string:
			if isKey {
				stack[top].key, stack[top].keyNow = t, false
				continue
			}
			valueDone()
		case json.Number:
			if _, err := strconv.ParseFloat(string(t), 64); err != nil {
				return path(), "is a number out of range"
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			values++
		}
	}
}
