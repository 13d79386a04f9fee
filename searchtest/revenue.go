package searchtest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var revenueTests = []testCase{
	{"SumsPaidOrdersPerPeriod", testRevenue},
	{"PeriodEdges", testRevenueEdges},
	{"ExactPastInt64", testRevenuePastInt64},
	{"Rejects", testRevenueRejects},
}

var intervals = []gamedata.Interval{gamedata.IntervalDay, gamedata.IntervalWeek, gamedata.IntervalMonth}

// farYear returns a random year far from now, where no other test writes
// orders; before 2262, as stores may keep times in int64 nanoseconds.
func farYear() int {
	n, _ := rand.Int(rand.Reader, big.NewInt(130)) // crypto/rand never fails on supported platforms
	return 2100 + int(n.Int64())
}

func (e *env) revenue(from, to time.Time, iv gamedata.Interval) []gamedata.RevenueBucket {
	e.Helper()
	got, err := e.b.Searcher.Revenue(e.ctx, gamedata.RevenueQuery{From: from, To: to, Interval: iv})
	e.must(err, fmt.Sprintf("revenue per %s from %v to %v", iv, from, to))
	return got
}

// aMonday is a Monday (1 January 2001), from which weeks are counted.
var aMonday = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// periodOf returns the start of the period of iv holding t, worked out
// apart from any store: weeks are whole runs of 7 days from aMonday.
func periodOf(t time.Time, iv gamedata.Interval) time.Time {
	switch iv {
	case gamedata.IntervalWeek:
		weeks := int(t.Sub(aMonday) / (7 * 24 * time.Hour)) // t is after aMonday: the division floors
		return aMonday.AddDate(0, 0, 7*weeks)
	case gamedata.IntervalMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// longest is the longest period of each interval: a step of it from the
// start of a period lands in the next one.
var longest = map[gamedata.Interval]time.Duration{
	gamedata.IntervalDay: 24 * time.Hour, gamedata.IntervalWeek: 7 * 24 * time.Hour, gamedata.IntervalMonth: 31 * 24 * time.Hour,
}

// periods returns the starts of the periods of iv from the one holding
// from up to the one holding the last instant before to.
func periods(from, to time.Time, iv gamedata.Interval) []time.Time {
	var starts []time.Time
	for start := periodOf(from, iv); start.Before(to); start = periodOf(start.Add(longest[iv]), iv) {
		starts = append(starts, start)
	}
	return starts
}

// sale is an order the revenue test makes.
type sale struct {
	at     time.Time
	price  gamedata.Money
	amount int
	paid   bool
}

// testRevenue makes random orders (of a fixed seed) around and across
// [from, to), with weeks without any, and checks every interval's buckets
// against sums worked out here: revenue is price x amount of the paid ones,
// to the cent. What was in the period before (another run's orders) is
// added to what is expected.
func testRevenue(e *env) {
	y := farYear()
	from := time.Date(y, time.January, 20, 5, 0, 0, 0, time.UTC) // mid-day: the first bucket starts before it
	to := time.Date(y, time.March, 10, 12, 0, 0, 0, time.UTC)    // mid-day: the last bucket ends after it
	gapFrom, gapTo := time.Date(y, time.February, 7, 0, 0, 0, 0, time.UTC), time.Date(y, time.February, 21, 0, 0, 0, 0, time.UTC)
	before := map[gamedata.Interval][]gamedata.RevenueBucket{}
	for _, iv := range intervals {
		before[iv] = e.revenue(from, to, iv)
	}

	rng := mathrand.New(mathrand.NewPCG(20260506, 4))
	random := func(at time.Time) sale {
		return sale{at: at, price: gamedata.Money(rng.IntN(100_000)), amount: 1 + rng.IntN(5), paid: rng.IntN(2) == 0}
	}
	var sales []sale
	for day := from.AddDate(0, 0, -1).Truncate(24 * time.Hour); day.Before(to.AddDate(0, 0, 2)); day = day.AddDate(0, 0, 1) {
		if !day.Before(gapFrom) && day.Before(gapTo) {
			continue // two weeks, one a whole Monday to Sunday, without orders
		}
		for range rng.IntN(4) {
			sales = append(sales, random(day.Add(time.Duration(rng.IntN(24*60*60*1000))*time.Millisecond)))
		}
	}
	// The edges: of the range (each side of from and to) and of a month.
	for _, at := range []time.Time{from.Add(-time.Millisecond), from, to.Add(-time.Millisecond), to,
		time.Date(y, time.January, 31, 23, 59, 59, 999e6, time.UTC), time.Date(y, time.February, 1, 0, 0, 0, 0, time.UTC)} {
		s := random(at)
		s.paid = true
		s.price++ // never 0, so that a sale in the wrong bucket shows in the revenue too
		sales = append(sales, s)
	}
	user, item := e.name("Buyer"), e.item("revenue")
	for _, s := range sales {
		o := e.orderAt(user, item, s.price, s.amount, s.at)
		if s.paid {
			_, err := e.b.Store.PayOrder(e.ctx, user, o.ID, s.at.Add(time.Hour))
			e.must(err, "pay order")
		}
	}
	e.sync()

	for _, iv := range intervals {
		starts := periods(from, to, iv)
		want := make([]gamedata.RevenueBucket, len(starts))
		index := map[time.Time]int{}
		for i, start := range starts {
			want[i].Start, index[start] = start, i
			if len(before[iv]) == len(starts) {
				b := before[iv][i]
				want[i].Orders, want[i].PaidOrders, want[i].Revenue = b.Orders, b.PaidOrders, b.Revenue
			}
		}
		if len(before[iv]) != len(starts) {
			e.Errorf("per %s, before the orders: %d buckets, want %d", iv, len(before[iv]), len(starts))
		}
		for _, s := range sales {
			if s.at.Before(from) || !s.at.Before(to) {
				continue
			}
			b := &want[index[periodOf(s.at, iv)]]
			b.Orders++
			if s.paid {
				b.PaidOrders++
				var err error
				b.Revenue, err = b.Revenue.Add(s.price * gamedata.Money(s.amount))
				e.must(err, "add the expected revenue")
			}
		}
		got := e.revenue(from, to, iv)
		checkBuckets(e, fmt.Sprintf("revenue per %s", iv), got, want)
		empty := 0
		for _, b := range got {
			if b.Orders == 0 {
				empty++
			}
		}
		if iv != gamedata.IntervalMonth && empty == 0 {
			e.Errorf("revenue per %s: no empty bucket for the two weeks without orders", iv)
		}
	}
}

func checkBuckets(e *env, what string, got, want []gamedata.RevenueBucket) {
	e.Helper()
	if len(got) != len(want) {
		e.Errorf("%s: %d buckets, want %d\n got: %+v\nwant: %+v", what, len(got), len(want), got, want)
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || g.Orders != w.Orders || g.PaidOrders != w.PaidOrders || g.Revenue != w.Revenue {
			e.Errorf("%s: bucket %d\n got: start %v, %d orders, %d paid, revenue %s\nwant: start %v, %d orders, %d paid, revenue %s",
				what, i, g.Start, g.Orders, g.PaidOrders, g.Revenue, w.Start, w.Orders, w.PaidOrders, w.Revenue)
		}
	}
}

// checkStarts checks only the periods of a query's buckets.
func (e *env) checkStarts(what string, from, to time.Time, iv gamedata.Interval, want ...time.Time) {
	e.Helper()
	got := e.revenue(from, to, iv)
	starts := make([]time.Time, len(got))
	for i, b := range got {
		starts[i] = b.Start
	}
	if len(starts) != len(want) {
		e.Errorf("%s: buckets start at %v, want %v", what, starts, want)
		return
	}
	for i := range starts {
		if !starts[i].Equal(want[i]) || starts[i].Location() != time.UTC {
			e.Errorf("%s: bucket %d starts at %v, want %v (UTC)", what, i, starts[i], want[i])
		}
	}
}

// testRevenueEdges pins down which periods a range holds: from the one
// holding From to the one holding the last instant before To, in UTC, weeks
// from Monday.
func testRevenueEdges(e *env) {
	y := farYear()
	date := func(m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	feb1 := date(time.February, 1, 0)
	mar1 := date(time.March, 1, 0)
	e.checkStarts("months to the start of one", feb1, mar1, gamedata.IntervalMonth, feb1)
	e.checkStarts("months to just after the start of one", feb1, mar1.Add(time.Millisecond), gamedata.IntervalMonth, feb1, mar1)
	e.checkStarts("months from Jan 31", date(time.January, 31, 23), feb1.Add(time.Hour), gamedata.IntervalMonth,
		date(time.January, 1, 0), feb1)
	e.checkStarts("days from mid-day", date(time.February, 1, 10), date(time.February, 3, 0), gamedata.IntervalDay,
		feb1, date(time.February, 2, 0))
	e.checkStarts("days over the end of February", date(time.February, 28, 12), mar1.Add(time.Hour), gamedata.IntervalDay,
		periods(date(time.February, 28, 12), mar1.Add(time.Hour), gamedata.IntervalDay)...)

	// Eight days from each weekday: two or three weeks, each from a Monday.
	for d := range 7 {
		from := feb1.AddDate(0, 0, d)
		got := e.revenue(from, from.AddDate(0, 0, 8), gamedata.IntervalWeek)
		for i, b := range got {
			if b.Start.Weekday() != time.Monday || (i > 0 && !b.Start.Equal(got[i-1].Start.AddDate(0, 0, 7))) {
				e.Errorf("weeks from %v: bucket %d starts on %v", from, i, b.Start)
			}
		}
		if len(got) == 0 || got[0].Start.After(from) || !got[0].Start.AddDate(0, 0, 7).After(from) {
			e.Errorf("weeks from %v (a %v): %+v; want the first to hold it", from, from.Weekday(), got)
		}
		e.checkStarts(fmt.Sprintf("weeks from %v", from), from, from.AddDate(0, 0, 8), gamedata.IntervalWeek,
			periods(from, from.AddDate(0, 0, 8), gamedata.IntervalWeek)...)
	}
}

func testRevenueRejects(e *env) {
	// No orders are asserted here: any period will do.
	from := time.Date(2000, time.March, 1, 0, 0, 0, 0, time.UTC)
	for what, q := range map[string]gamedata.RevenueQuery{
		"twenty years of days": {From: from, To: from.AddDate(20, 0, 0), Interval: gamedata.IntervalDay},
		"hours":                {From: from, To: from.AddDate(0, 0, 1), Interval: "hour"},
		"no interval":          {From: from, To: from.AddDate(0, 0, 1)},
		"to before from":       {From: from, To: from.Add(-time.Hour), Interval: gamedata.IntervalDay},
	} {
		_, err := e.b.Searcher.Revenue(e.ctx, q)
		e.wantInvalid(err, "revenue of "+what)
	}
	// Large ranges within the bound are fine.
	if got := e.revenue(from, from.AddDate(0, 0, 3000), gamedata.IntervalDay); len(got) != 3000 {
		e.Errorf("3000 days: %d buckets", len(got))
	}
	if got := e.revenue(from, from.AddDate(100, 0, 0), gamedata.IntervalMonth); len(got) != 1200 {
		e.Errorf("100 years of months: %d buckets", len(got))
	}
}

// testRevenuePastInt64 pays, in one day, more orders at the largest total
// than an int64 of cents can sum (923), each with a total a double cannot
// hold (odd, above 2^53): the revenue is still exact to the cent.
func testRevenuePastInt64(e *env) {
	const orders = 925
	const amount = gamedata.AmountMax - 1
	day := time.Date(farYear(), time.June, 1, 0, 0, 0, 0, time.UTC)
	next := day.AddDate(0, 0, 1)
	before := e.revenue(day, next, gamedata.IntervalDay)
	user, item := e.name("Whale"), e.item("whale")
	var wg sync.WaitGroup
	errs := make(chan error, orders)
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				at := day.Add(time.Duration(i) * time.Second)
				o := gamedata.Order{
					ID: gamedata.NewID(at), UserName: user, Item: item, Amount: amount, Price: gamedata.MaxMoney,
					Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at,
				}
				_, _, err := e.b.Store.CreateOrder(e.ctx, o, "")
				if err == nil {
					_, err = e.b.Store.PayOrder(e.ctx, user, o.ID, at.Add(time.Hour))
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range orders {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Fatalf("make an order: %v", err)
	}
	e.sync()
	want := before[0]
	for range orders {
		var err error
		want.Revenue, err = want.Revenue.Add(gamedata.MaxMoney * amount)
		e.must(err, "add the expected revenue")
	}
	want.Orders += orders
	want.PaidOrders += orders
	checkBuckets(e, "revenue past int64", e.revenue(day, next, gamedata.IntervalDay), []gamedata.RevenueBucket{want})
}
