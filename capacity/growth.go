package capacity

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// monthLayout is how a month is written: 2027-01.
const monthLayout = "2006-01"

func parseMonth(s string) (time.Time, error) {
	t, err := time.Parse(monthLayout, s)
	if err != nil {
		return t, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return t, nil
}

// curve is the growth of the plan: for each month its label and the daily
// players, from which the rates scale.
type curve struct {
	start   time.Time
	labels  []string
	players []float64
	source  string // how the curve was made, for --explain
}

// growthCurve builds the months of w: a constant percentage a month from
// w.Players, or the monthly means of a CSV of daily players. start is the
// first month when neither the workload nor a CSV sets one.
func growthCurve(w *Workload, start time.Time) (curve, error) {
	g := w.Growth
	if g.Start != "" {
		start, _ = parseMonth(g.Start) // Validate checked it
	}
	c := curve{start: time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)}
	if g.PlayersCSV != "" {
		path := g.PlayersCSV
		if !filepath.IsAbs(path) && w.dir != "" {
			path = filepath.Join(w.dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return c, fmt.Errorf("growth: %w", err)
		}
		defer f.Close()
		months, means, err := monthlyMeans(f)
		if err != nil {
			return c, fmt.Errorf("growth %s: %w", path, err)
		}
		if g.Months > 0 && g.Months < len(months) {
			months, means = months[:g.Months], means[:g.Months]
		}
		c.start, _ = parseMonth(months[0])
		c.labels, c.players = months, means
		c.source = fmt.Sprintf("the monthly means of the daily players in %s", path)
		return c, nil
	}
	r := 1 + g.MonthlyPercent/100
	n := g.Months
	if n == 0 {
		n = DefaultMonths
	}
	for m := range n {
		c.labels = append(c.labels, c.start.AddDate(0, m, 0).Format(monthLayout))
		c.players = append(c.players, w.Players*math.Pow(r, float64(m)))
	}
	c.source = fmt.Sprintf("%s daily players in month 1, %+g%% a month", num(w.Players), g.MonthlyPercent)
	return c, nil
}

// monthlyMeans reads date,players rows (a header row is allowed) and
// returns each calendar month's mean of daily players, in order. The days
// must be in order and every month between the first and the last must
// have at least one.
func monthlyMeans(r io.Reader) (months []string, means []float64, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var (
		sums, counts []float64
		last         time.Time
		line         int
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, nil, err
		}
		if len(rec) < 2 {
			return nil, nil, gamedata.Invalid(fmt.Sprintf("line %d", line), "want date,players")
		}
		day, derr := time.Parse(time.DateOnly, strings.TrimSpace(rec[0]))
		players, perr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if derr != nil || perr != nil {
			if line == 1 && derr != nil {
				continue // a header
			}
			return nil, nil, gamedata.Invalid(fmt.Sprintf("line %d", line), "want a date (YYYY-MM-DD) and a number of players, not %q", strings.Join(rec, ","))
		}
		if players < 0 {
			return nil, nil, gamedata.Invalid(fmt.Sprintf("line %d", line), "players must not be negative")
		}
		if !last.IsZero() && !day.After(last) {
			return nil, nil, gamedata.Invalid(fmt.Sprintf("line %d", line), "the days must be in order, one row each (%s after %s)", day.Format(time.DateOnly), last.Format(time.DateOnly))
		}
		label := day.Format(monthLayout)
		if n := len(months); n == 0 || months[n-1] != label {
			if n > 0 {
				prev, _ := parseMonth(months[n-1])
				if want := prev.AddDate(0, 1, 0).Format(monthLayout); want != label {
					return nil, nil, gamedata.Invalid(fmt.Sprintf("line %d", line), "no day of %s: every month must have at least one", want)
				}
			}
			months, sums, counts = append(months, label), append(sums, 0), append(counts, 0)
		}
		sums[len(sums)-1] += players
		counts[len(counts)-1]++
		last = day
	}
	if len(months) == 0 {
		return nil, nil, gamedata.Invalid("players_csv", "holds no day")
	}
	for i := range months {
		means = append(means, sums[i]/counts[i])
	}
	return months, means, nil
}
