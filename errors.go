package gamedata

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Domain errors. Stores and services wrap them with context
// (fmt.Errorf("...: %w", ErrNotFound)); callers test with errors.Is.
var (
	// ErrNotFound: the thing asked for does not exist (or has expired).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule or a once-only state change refused the write.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a rule of the domain. See *ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable: a backend could not be reached, or refused the work.
	// Nothing was written: the operation may be retried.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrBusy: the server has as much of this work waiting as it takes
	// (password hashes, say) and refused more at once. Nothing was done:
	// retry after a moment. See *BusyError.
	ErrBusy = errors.New("busy")
	// ErrUnknownOutcome: a write reached the backend, but no answer says
	// whether it was applied. It may have been, or may still be later (a
	// Cassandra write timeout). Retry with the same idempotency key: the
	// retry then answers what the write did, and never makes a second copy.
	ErrUnknownOutcome = errors.New("outcome unknown")
)

// FieldError names one input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError collects every field error of one input, so a caller can
// fix them all at once. It matches ErrInvalid under errors.Is.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Add records a field error.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds at least one field error, else nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid returns a *ValidationError for a single field.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}

// Unavailable wraps a backend error as ErrUnavailable, keeping the cause.
func Unavailable(backend string, err error) error {
	return fmt.Errorf("%s: %w: %w", backend, ErrUnavailable, err)
}

// BusyError refuses work the server has no room for now. It matches ErrBusy
// under errors.Is.
type BusyError struct {
	What string // the work refused, in the plural: "password hashes"
	// RetryAfter is how long the work already waiting should take.
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("busy: too many %s waiting; retry after %s", e.What, e.RetryAfter)
}

// Is makes errors.Is(err, ErrBusy) true for a *BusyError.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// UnknownOutcome wraps a backend error as ErrUnknownOutcome, keeping the
// cause.
func UnknownOutcome(backend string, err error) error {
	return fmt.Errorf("%s: %w: %w", backend, ErrUnknownOutcome, err)
}
