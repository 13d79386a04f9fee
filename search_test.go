package gamedata

import (
	"errors"
	"testing"
	"time"
)

func TestRevenuePeriods(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		from, to string
		iv       Interval
		want     []string
	}{
		// Wednesday to the next Tuesday noon: two weeks, each from Monday.
		{"2026-01-14T10:00:00Z", "2026-01-20T12:00:00Z", IntervalWeek, []string{"2026-01-12", "2026-01-19"}},
		// To on a period's first instant: that period is not covered.
		{"2026-01-31T23:00:00Z", "2026-03-01T00:00:00Z", IntervalMonth, []string{"2026-01-01", "2026-02-01"}},
		{"2026-02-27T00:00:00Z", "2026-03-01T00:00:00.000000001Z", IntervalDay, []string{"2026-02-27", "2026-02-28", "2026-03-01"}},
		// Times in another zone are periods of UTC.
		{"2026-05-01T01:00:00+02:00", "2026-05-01T03:00:00+02:00", IntervalDay, []string{"2026-04-30", "2026-05-01"}},
	}
	for _, c := range cases {
		got, err := RevenueQuery{From: at(c.from), To: at(c.to), Interval: c.iv}.Periods()
		if err != nil {
			t.Errorf("%s..%s by %s: %v", c.from, c.to, c.iv, err)
			continue
		}
		var days []string
		for _, p := range got {
			days = append(days, p.Format(time.DateOnly))
			if p.Location() != time.UTC {
				t.Errorf("period %s is not in UTC", p)
			}
		}
		if len(days) != len(c.want) || (len(days) > 0 && (days[0] != c.want[0] || days[len(days)-1] != c.want[len(c.want)-1])) {
			t.Errorf("%s..%s by %s: %v, want %v", c.from, c.to, c.iv, days, c.want)
		}
	}

	bad := []RevenueQuery{
		{To: at("2026-01-01T00:00:00Z"), Interval: IntervalDay},
		{From: at("2026-01-01T00:00:00Z"), To: at("2026-01-01T00:00:00Z"), Interval: IntervalDay},
		{From: at("2026-01-01T00:00:00Z"), To: at("2026-01-02T00:00:00Z"), Interval: "hour"},
		{From: at("2000-01-01T00:00:00Z"), To: at("2026-01-01T00:00:00Z"), Interval: IntervalDay}, // too many days
	}
	for _, q := range bad {
		if _, err := q.Periods(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want %v", q, err, ErrInvalid)
		}
	}
	if got, err := (RevenueQuery{From: at("2000-01-01T00:00:00Z"), To: at("2026-01-01T00:00:00Z"), Interval: IntervalMonth}).Periods(); err != nil || len(got) != 26*12 {
		t.Errorf("26 years of months: %d periods, %v", len(got), err)
	}
}
