package storetest

import (
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) || got.Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", got, start)
	}
	if got := c.Advance(time.Hour); !got.Equal(start.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Fatalf("Advance returned %v, Now %v; want %v", got, c.Now(), start.Add(time.Hour))
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("after Set, Now = %v", c.Now())
	}

	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { c.Advance(time.Millisecond) })
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(100*time.Millisecond); !got.Equal(want) {
		t.Fatalf("after 100 concurrent advances of 1ms, Now = %v, want %v", got, want)
	}
}

func TestJSONEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, "{ \"a\" : 1,\n \"b\" : [ 1, 2 ] }", true},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
		{`{"e":"😀"}`, `{"e":"\ud83d\ude00"}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"a":1}`, `{"a":"1"}`, false},
		{`[1,2]`, `[2,1]`, false},
		{``, ``, true},
		{``, `{}`, false},
		{`{"a":1}`, `{"a":1`, false},
	} {
		if got := jsonEqual([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("jsonEqual(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
