package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/storetest"
)

func TestBurstThenRate(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := New(2, 3, WithClock(clock))
	ctx := context.Background()
	for i := range 3 {
		if ok, _, err := l.Allow(ctx, "a"); !ok || err != nil {
			t.Fatalf("request %d of the burst refused: %v", i, err)
		}
	}
	ok, retry, _ := l.Allow(ctx, "a")
	if ok || retry <= 0 || retry > 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v retryAfter=%v; want refused, within 500ms", ok, retry)
	}
	if ok, _, _ := l.Allow(ctx, "b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	clock.Advance(retry)
	if ok, _, _ := l.Allow(ctx, "a"); !ok {
		t.Fatal("refused after waiting retryAfter")
	}
	if ok, _, _ := l.Allow(ctx, "a"); ok {
		t.Fatal("a refused request used no token, yet the next one passed at once")
	}
}

func TestIdleKeysAreDropped(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := New(10, 20, WithClock(clock)) // refills in 2s
	ctx := context.Background()
	for i := range 100 {
		l.Allow(ctx, fmt.Sprint("old", i))
	}
	clock.Advance(3 * time.Second)
	l.Allow(ctx, "new")
	if n := l.Len(); n != 1 {
		t.Fatalf("%d buckets after the others went idle; want 1", n)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := New(1, 1, WithClock(clock), WithMaxKeys(50))
	ctx := context.Background()
	for i := range 1000 {
		if ok, _, _ := l.Allow(ctx, fmt.Sprint("k", i)); !ok {
			t.Fatalf("first request of key %d refused", i)
		}
	}
	if n := l.Len(); n > 50 {
		t.Fatalf("%d buckets kept; the bound is 50", n)
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	l := New(1e9, 1e9)
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("10.0.0.", i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(ctx, keys[i%len(keys)])
			i++
		}
	})
}
