package analytics

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Report is what a studio asks of its game every week (docs/archive.md
// says how each figure is defined).
type Report struct {
	Daily, Monthly, TopItems, EventTypes Result
}

// The report's queries. Revenue follows GET /v1/stats/revenue: the orders
// created in a period that are paid, price x amount; paying players are
// their buyers. Active players are those with an event, a message sent or
// an order change that day. Every bound is a parameter ($1, $2: the days).
const (
	dailyQuery = `
WITH
active AS (SELECT day, count(DISTINCT name) AS n FROM (
	SELECT dt AS day, player AS name FROM events
	UNION ALL SELECT dt, sender FROM messages
	UNION ALL SELECT dt, user_name FROM orders) GROUP BY day),
fresh AS (SELECT CAST(created_at AS DATE) AS day, count(DISTINCT player_id) AS n FROM players GROUP BY 1),
paid AS (SELECT CAST(created_at AS DATE) AS day, count(DISTINCT user_name) AS payers,
	sum(price * amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY 1),
msgs AS (SELECT dt AS day, count(*) AS n FROM messages GROUP BY 1),
spine AS (SELECT day FROM active UNION SELECT day FROM fresh UNION SELECT day FROM paid UNION SELECT day FROM msgs)
SELECT s.day, coalesce(a.n, 0) AS active_players, coalesce(f.n, 0) AS new_players,
	coalesce(p.payers, 0) AS paying_players, CAST(coalesce(p.revenue, 0) AS DECIMAL(18,2)) AS revenue,
	coalesce(m.n, 0) AS messages
FROM spine s LEFT JOIN active a USING (day) LEFT JOIN fresh f USING (day) LEFT JOIN paid p USING (day)
	LEFT JOIN msgs m USING (day)
WHERE s.day BETWEEN $1 AND $2 ORDER BY s.day`
	monthlyQuery = `
WITH
active AS (SELECT month, count(DISTINCT name) AS n FROM (
	SELECT date_trunc('month', dt) AS month, player AS name FROM events WHERE dt BETWEEN $1 AND $2
	UNION ALL SELECT date_trunc('month', dt), sender FROM messages WHERE dt BETWEEN $1 AND $2
	UNION ALL SELECT date_trunc('month', dt), user_name FROM orders WHERE dt BETWEEN $1 AND $2) GROUP BY month),
paid AS (SELECT date_trunc('month', created_at)::DATE AS month, count(DISTINCT user_name) AS payers,
	sum(price * amount) AS revenue FROM orders
	WHERE status = 'paid' AND CAST(created_at AS DATE) BETWEEN $1 AND $2 GROUP BY 1),
spine AS (SELECT month FROM active UNION SELECT month FROM paid)
SELECT strftime(s.month, '%Y-%m') AS month, coalesce(a.n, 0) AS active_players,
	coalesce(p.payers, 0) AS paying_players, CAST(coalesce(p.revenue, 0) AS DECIMAL(18,2)) AS revenue,
	CAST(CASE WHEN p.payers > 0 THEN p.revenue / p.payers ELSE 0 END AS DECIMAL(18,2)) AS arppu
FROM spine s LEFT JOIN active a USING (month) LEFT JOIN paid p USING (month) ORDER BY s.month`
	topItemsQuery = `
SELECT item, count(*) AS paid_orders, sum(amount) AS units, CAST(sum(price * amount) AS DECIMAL(18,2)) AS revenue
FROM orders WHERE status = 'paid' AND CAST(created_at AS DATE) BETWEEN $1 AND $2
GROUP BY item ORDER BY revenue DESC, item LIMIT 10`
	eventTypesQuery = `
SELECT type, count(*) AS events, count(DISTINCT player) AS players
FROM events WHERE dt BETWEEN $1 AND $2 GROUP BY type ORDER BY events DESC, type`
)

// Report computes the report over the days from..to (both included).
func (d *DB) Report(ctx context.Context, from, to gamedata.Day) (Report, error) {
	var r Report
	for _, q := range []struct {
		into *Result
		sql  string
	}{{&r.Daily, dailyQuery}, {&r.Monthly, monthlyQuery}, {&r.TopItems, topItemsQuery}, {&r.EventTypes, eventTypesQuery}} {
		res, err := d.Query(ctx, q.sql, from.Start(), to.Start())
		if err != nil {
			return r, fmt.Errorf("report: %w", err)
		}
		*q.into = res
	}
	return r, nil
}

// Write writes the report's sections in format f.
func (r Report) Write(w io.Writer, f Format) error {
	for _, s := range []struct {
		title string
		res   Result
	}{{"Per day", r.Daily}, {"Per month", r.Monthly}, {"Top items (paid)", r.TopItems}, {"Events by type", r.EventTypes}} {
		if f == FormatTable {
			fmt.Fprintf(w, "== %s\n", s.title)
		}
		if err := s.res.Write(w, f); err != nil {
			return err
		}
		if f == FormatTable {
			fmt.Fprintln(w)
		}
	}
	return nil
}

// DayPoint is one day of the chart.
type DayPoint struct {
	Day     time.Time
	Revenue float64
	Active  int64
}

// Points returns the chart's points from the daily section.
func (r Report) Points() []DayPoint {
	idx := map[string]int{}
	for i, c := range r.Daily.Columns {
		idx[c] = i
	}
	var out []DayPoint
	for _, row := range r.Daily.Rows {
		p := DayPoint{}
		p.Day, _ = row[idx["day"]].(time.Time)
		fmt.Sscan(Text(row[idx["revenue"]]), &p.Revenue)
		fmt.Sscan(Text(row[idx["active_players"]]), &p.Active)
		out = append(out, p)
	}
	return out
}
