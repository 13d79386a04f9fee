package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/gamedata-dev/gamedata"
)

// Limiter is a gamedata.RateLimiter shared by every instance on the same
// Redis (and key prefix): GCRA, one key per caller, computed atomically in
// Redis on Redis' clock. While Redis is marked down or fails, fallback
// decides, so each instance then limits on its own.
type Limiter struct {
	c        *Client
	gcra     *redis_rate.Limiter
	limit    redis_rate.Limit
	fallback gamedata.RateLimiter
}

var _ gamedata.RateLimiter = (*Limiter)(nil)

// Limiter returns a limiter that allows each key perSecond requests a
// second on average and burst at once (perSecond > 0, burst >= 1). A nil
// fallback lets Allow fail while Redis does.
func (c *Client) Limiter(perSecond float64, burst int, fallback gamedata.RateLimiter) *Limiter {
	return &Limiter{
		c:    c,
		gcra: redis_rate.NewLimiter(c.rdb),
		// GCRA only needs the interval between requests: one per Period.
		limit:    redis_rate.Limit{Rate: 1, Period: time.Duration(float64(time.Second) / perSecond), Burst: max(burst, 1)},
		fallback: fallback,
	}
}

// Allow takes one request from key's allowance.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	var res *redis_rate.Result
	err := l.c.do(ctx, func(ctx context.Context) (err error) {
		res, err = l.gcra.Allow(ctx, l.c.prefix+"ratelimit:"+key, l.limit)
		return err
	})
	switch {
	case err != nil && l.fallback != nil:
		return l.fallback.Allow(ctx, key)
	case err != nil:
		return false, 0, fmt.Errorf("redis: rate limit: %w", err)
	case res.Allowed > 0:
		return true, 0, nil
	default:
		return false, res.RetryAfter, nil
	}
}
