package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/gamedata-dev/gamedata"
)

// problem is an RFC 9457 problem document: the body of every error answer.
// Errors lists the fields at fault, for 400s.
type problem struct {
	Type   string                `json:"type" doc:"about:blank (the status and title say what happened), or one of the types of docs/api.md: urn:gamedata:problem:unknown-outcome (504), urn:gamedata:problem:idempotency-key-reused (422)"`
	Title  string                `json:"title" doc:"the HTTP status text"`
	Status int                   `json:"status"`
	Detail string                `json:"detail" doc:"what went wrong, for a person"`
	Errors []gamedata.FieldError `json:"errors,omitempty" doc:"the input fields at fault, with a JSON path such as events[3].type"`

	header http.Header
}

func newProblem(status int, detail string, fields ...gamedata.FieldError) *problem {
	return &problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields}
}

// Problem types beyond about:blank, for the answers a status alone does not
// tell (see docs/api.md).
const (
	// problemUnknownOutcome: the write may or may not have happened.
	problemUnknownOutcome = "urn:gamedata:problem:unknown-outcome"
	// problemKeyReused: an Idempotency-Key was sent before with another
	// request.
	problemKeyReused = "urn:gamedata:problem:idempotency-key-reused"
)

// statusClientClosed is the status logged for a client that went away
// (nginx's 499).
const statusClientClosed = 499

func (p *problem) withType(typ string) *problem {
	p.Type = typ
	return p
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// GetStatus makes a problem a huma.StatusError.
func (p *problem) GetStatus() int { return p.Status }

// GetHeaders makes a problem a huma.HeadersError.
func (p *problem) GetHeaders() http.Header { return p.header }

// ContentType makes huma answer application/problem+json.
func (p *problem) ContentType(string) string { return "application/problem+json" }

func (p *problem) withHeader(key, value string) *problem {
	if p.header == nil {
		p.header = http.Header{}
	}
	p.header.Set(key, value)
	return p
}

func unauthorized(detail string) *problem {
	return newProblem(http.StatusUnauthorized, detail).withHeader("WWW-Authenticate", "Bearer")
}

func forbidden(detail string) *problem { return newProblem(http.StatusForbidden, detail) }

func invalid(field, message string) *problem {
	return newProblem(http.StatusBadRequest, "the request is invalid: see errors", gamedata.FieldError{Field: field, Message: message})
}

// retryAfter formats d as whole seconds for a Retry-After header, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// problemOf maps an error of a handler or a store to its answer: the domain
// errors to 400, 404, 409, 503 (an outage, or work refused while busy) and
// 504 (a write of unknown outcome), anything else to a 500 whose cause is
// logged, never shown.
func (s *Server) problemOf(ctx context.Context, err error) *problem {
	var p *problem
	var v *gamedata.ValidationError
	var busy *gamedata.BusyError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &v):
		return newProblem(http.StatusBadRequest, "the request is invalid: see errors", v.Fields...)
	case errors.Is(err, gamedata.ErrInvalid):
		return newProblem(http.StatusBadRequest, err.Error())
	case errors.Is(err, gamedata.ErrNotFound):
		return newProblem(http.StatusNotFound, "not found")
	case errors.Is(err, gamedata.ErrConflict):
		return newProblem(http.StatusConflict, "conflict")
	case errors.As(err, &busy):
		// Not logged: the refusals are counted (gamedata_password_hashes_total).
		return newProblem(http.StatusServiceUnavailable, "the server has too many "+busy.What+" waiting; nothing was done, retry later").
			withHeader("Retry-After", retryAfter(busy.RetryAfter))
	case errors.Is(err, gamedata.ErrUnknownOutcome):
		s.log.LogAttrs(ctx, slog.LevelWarn, "write of unknown outcome", slog.String("err", err.Error()), requestIDAttr(ctx))
		return newProblem(http.StatusGatewayTimeout, "the write may or may not have happened: "+
			"retry with the same Idempotency-Key to learn which, and never make a second copy").
			withType(problemUnknownOutcome).withHeader("Retry-After", "1")
	case errors.Is(err, gamedata.ErrUnavailable):
		s.log.LogAttrs(ctx, slog.LevelWarn, "backend unavailable", slog.String("err", err.Error()), requestIDAttr(ctx))
		return newProblem(http.StatusServiceUnavailable, "a backend is unavailable; nothing was written, retry later").
			withHeader("Retry-After", "1")
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away; nobody reads this answer.
		return newProblem(statusClientClosed, "request cancelled")
	default:
		s.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("err", err.Error()), requestIDAttr(ctx))
		return newProblem(http.StatusInternalServerError, "internal error")
	}
}

// writeProblem writes p outside huma (middleware, unmatched routes).
func writeProblem(w http.ResponseWriter, p *problem) {
	for k, v := range p.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p) // the status is out; a failed write only means the client left
}

// Huma reports its own validation and parsing failures through NewError.
// They become problems here: 400 rather than 422, and field paths in the
// API's terms ("events[3].type", "limit") rather than huma's locations
// ("body.events[3].type", "query.limit"). Huma has one NewError per
// process, so this is set once, for every huma API in the program.
func init() {
	huma.NewError = humaError
	// A list in this API is never null: not in a request ("events"), not in
	// an answer ("items").
	huma.DefaultArrayNullable = false
	// A field is matched by its exact name, as decodeStrict matches it: a
	// key that differs only in case is an unexpected property, not a second
	// spelling that the validator would skip and the decoder would take.
	huma.ValidateStrictCasing = true
}

// humaMessages are huma's messages that read better reworded.
const (
	humaRequiredPrefix = "expected required property "
	humaRequiredSuffix = " to be present"
	humaUnexpected     = "unexpected property"
	humaNoBody         = "request body is required"
	humaUnreadable     = "cannot read request body"
)

func humaError(status int, msg string, errs ...error) huma.StatusError {
	switch {
	case status == http.StatusUnprocessableEntity:
		status = http.StatusBadRequest
	case status == http.StatusInternalServerError && msg == humaUnreadable:
		// A body that cannot be read (broken chunking, a client that
		// stopped sending) is the client's fault.
		return newProblem(http.StatusBadRequest, "the request body could not be read", gamedata.FieldError{Field: "body", Message: "could not be read"})
	}
	p := newProblem(status, msg)
	if status >= 500 {
		return p // the details would show internals
	}
	for _, err := range errs {
		var d *huma.ErrorDetail
		switch {
		case err == nil:
		case errors.As(err, &d):
			p.Errors = append(p.Errors, fieldOf(d))
		default:
			p.Errors = append(p.Errors, gamedata.FieldError{Field: "body", Message: err.Error()})
		}
	}
	switch {
	case msg == humaNoBody:
		p.Detail = "the request has no body"
		p.Errors = append(p.Errors, gamedata.FieldError{Field: "body", Message: "is required"})
	case status == http.StatusBadRequest:
		p.Detail = "the request is invalid: see errors"
	}
	return p
}

// fieldOf turns huma's error detail into a field error.
func fieldOf(d *huma.ErrorDetail) gamedata.FieldError {
	loc := d.Location
	for _, prefix := range []string{"body", "query", "path", "header"} {
		if rest, ok := strings.CutPrefix(loc, prefix); ok && (rest == "" || rest[0] == '.') {
			loc = strings.TrimPrefix(rest, ".")
			break
		}
	}
	msg := d.Message
	switch {
	case strings.HasPrefix(msg, humaRequiredPrefix) && strings.HasSuffix(msg, humaRequiredSuffix):
		loc = joinPath(loc, strings.TrimSuffix(strings.TrimPrefix(msg, humaRequiredPrefix), humaRequiredSuffix))
		msg = "is required"
	case msg == humaUnexpected:
		msg = "is not a field of this request"
	case msg == validation.MsgExpectedString && isNumber(d.Value):
		msg = "must be a JSON string, not a number"
	case d.Location == "body":
		if field, why, ok := parseFault(msg); ok {
			return gamedata.FieldError{Field: field, Message: why}
		}
		// The body could not be decoded at all: huma passes it as the value.
		if body, ok := d.Value.(string); ok {
			if field, why := jsonFault([]byte(body)); why != "" {
				return gamedata.FieldError{Field: field, Message: why}
			}
		}
	}
	if loc == "" {
		loc = "body"
	}
	return gamedata.FieldError{Field: loc, Message: msg}
}

func isNumber(v any) bool {
	_, ok := v.(float64)
	return ok
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
