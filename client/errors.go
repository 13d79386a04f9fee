package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// problem is the problem+json body of an error answer.
type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []gamedata.FieldError `json:"errors"`
}

// Error is an answer other than 2xx, with its problem document. It matches
// gamedata.ErrInvalid (400), ErrNotFound (404), ErrConflict (409),
// ErrUnavailable (503) and ErrUnknownOutcome (504: retry with the same
// WithIdempotencyKey) under errors.Is, and a 400 unwraps to a
// *gamedata.ValidationError holding the fields at fault.
type Error struct {
	Status int
	Type   string
	Title  string
	Detail string
	Fields []gamedata.FieldError
	// RetryAfter is the server's Retry-After (429, 503, 504), else 0.
	RetryAfter time.Duration
	// RequestID names the request in the server's log.
	RequestID string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gamedata: %d %s", e.Status, e.Title)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Fields {
		b.WriteString("; " + f.Field + " " + f.Message)
	}
	return b.String()
}

var statusErrors = map[int]error{
	http.StatusBadRequest:         gamedata.ErrInvalid,
	http.StatusNotFound:           gamedata.ErrNotFound,
	http.StatusConflict:           gamedata.ErrConflict,
	http.StatusServiceUnavailable: gamedata.ErrUnavailable,
	http.StatusGatewayTimeout:     gamedata.ErrUnknownOutcome,
}

// Is matches the domain error of e's status.
func (e *Error) Is(target error) bool {
	return target != nil && statusErrors[e.Status] == target
}

// Unwrap gives the field errors of a 400 as a *gamedata.ValidationError.
func (e *Error) Unwrap() error {
	if e.Status != http.StatusBadRequest || len(e.Fields) == 0 {
		return nil
	}
	return &gamedata.ValidationError{Fields: e.Fields}
}

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// IsUnauthorized reports a 401: no credentials, or unknown, expired or
// revoked ones.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports a 403: the credentials may not do this.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsTooLarge reports a 413: the body was over the limit.
func IsTooLarge(err error) bool { return hasStatus(err, http.StatusRequestEntityTooLarge) }

// IsRateLimited reports a 429; the *Error's RetryAfter says when to retry.
func IsRateLimited(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }
