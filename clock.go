package gamedata

import "time"

// Clock tells the time. Stores and services take one so that retention and
// expiry can be tested without waiting.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
