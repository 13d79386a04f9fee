package gamedata

import (
	"context"
	"time"
)

// RateLimiter decides whether a caller, named by key (such as a client
// address), may make one more request now. When it may not, retryAfter says
// how long to wait. An error means the limiter could not decide (its backend
// is down); callers let the request through rather than fail it.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}
