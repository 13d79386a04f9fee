package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gamedata-dev/gamedata"
)

const (
	// LeaseName is the store lease that makes one instance at a time run
	// the job.
	LeaseName = "archive"
	// leaseTTL is how long a lease outlives its runner: a runner renews it
	// every leaseRenewal, and a stopped one's lease is taken over after.
	leaseTTL = 10 * time.Minute
	// leaseRenewal is how often a runner renews its lease: well within it.
	leaseRenewal = leaseTTL / 5
	// DefaultGrace is how long after its end a day is closed: writes in
	// flight and clock skew between instances have settled by then.
	DefaultGrace = 10 * time.Minute
	// DefaultExpiryWarning: a day whose hot rows begin to expire within it
	// and that has no archive copy is "expiring" in Status (and alerts).
	DefaultExpiryWarning = 30 * 24 * time.Hour
)

// Days says which days of the window a run archives.
type Days int

const (
	// MissingDays are the table-days without a manifest.
	MissingDays Days = iota
	// AllDays are every table-day, archived again (replaced exactly).
	AllDays
)

// ErrLeaseHeld: another instance is running the job.
var ErrLeaseHeld = errors.New("another instance holds the archive lease")

// Job archives each closed day once (docs/archive.md).
type Job struct {
	Archive *Archive
	Source  gamedata.HistoryReader
	Leaser  gamedata.Leaser
	Clock   gamedata.Clock
	// Owner names this runner in the lease and the manifests.
	Owner string
	// Retention is how long the hot store keeps rows; a day older than
	// that is partly gone and never archived (it would be incomplete).
	Retention time.Duration
	// Grace: see DefaultGrace.
	Grace time.Duration
	// Since, when set, is the first day archived (no earlier day is tried).
	Since gamedata.Day
	// Tables to archive; nil means every table.
	Tables []Table
	// Progress, when set, hears of each table-day done.
	Progress func(Step)
}

// Step is one table-day of a run.
type Step struct {
	Table    string
	Day      gamedata.Day
	Manifest Manifest
	Took     time.Duration
	Done     int // table-days done so far in this run
	Total    int // table-days this run has to do
}

// Summary is what a run did.
type Summary struct {
	Days      int // days of which at least one table was archived
	TableDays int
	Rows      int64
	Bytes     int64
	Skipped   int // table-days archived before
	Took      time.Duration
	// First and Last are the days considered.
	First, Last gamedata.Day
}

func (j *Job) tables() []Table {
	if j.Tables != nil {
		return j.Tables
	}
	return Tables
}

func (j *Job) grace() time.Duration {
	if j.Grace > 0 {
		return j.Grace
	}
	return DefaultGrace
}

// Window returns the days the job may archive at time now: from the oldest
// day the hot store still holds whole to the last closed day.
func (j *Job) Window(now time.Time) (first, last gamedata.Day) {
	first = gamedata.DayOf(now.Add(-j.Retention)).Add(1)
	if !j.Since.IsZero() && first.Before(j.Since) {
		first = j.Since
	}
	last = gamedata.DayOf(now.Add(-j.grace())).Add(-1)
	return first, last
}

// window is Window, from no earlier than the day the store began.
func (j *Job) window(ctx context.Context) (first, last gamedata.Day, err error) {
	first, last = j.Window(j.Clock.Now())
	began, err := j.Source.Began(ctx)
	if err != nil {
		return first, last, fmt.Errorf("archive: when the store began: %w", err)
	}
	if began.IsZero() {
		return first, first.Add(-1), nil // nothing stored: no day to archive
	}
	if b := gamedata.DayOf(began); first.Before(b) {
		first = b
	}
	return first, last, nil
}

// Run archives the table-days of the window up to until (the zero Day:
// the last closed day) that which says: the missing ones, or all.
// It holds the lease while it runs (ErrLeaseHeld when another instance
// does). Stopping it (ctx) loses nothing: a table-day is done when its
// manifest is written, and the next run starts from there.
func (j *Job) Run(ctx context.Context, until gamedata.Day, which Days) (Summary, error) {
	start := time.Now()
	first, last, err := j.window(ctx)
	if err != nil {
		return Summary{}, err
	}
	if !until.IsZero() && until.Before(last) {
		last = until
	}
	sum := Summary{First: first, Last: last}
	ok, err := j.Leaser.AcquireLease(ctx, LeaseName, j.Owner, leaseTTL)
	if err != nil {
		return sum, fmt.Errorf("archive lease: %w", err)
	}
	if !ok {
		return sum, ErrLeaseHeld
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = j.Leaser.ReleaseLease(rctx, LeaseName, j.Owner)
	}()

	type todo struct {
		t Table
		d gamedata.Day
	}
	var work []todo
	done := map[string]map[gamedata.Day]bool{}
	for _, t := range j.tables() {
		if done[t.Name()], err = j.Archive.ArchivedDays(ctx, t.Name()); err != nil {
			return sum, err
		}
	}
	// Day by day, oldest first, each day's tables together.
	for d := first; !last.Before(d); d = d.Add(1) {
		for _, t := range j.tables() {
			if done[t.Name()][d] && which == MissingDays {
				sum.Skipped++
				continue
			}
			work = append(work, todo{t, d})
		}
	}
	days := map[gamedata.Day]bool{}
	renewed := time.Now()
	run := fmt.Sprintf("%s@%s", j.Owner, j.Clock.Now().UTC().Format(time.RFC3339))
	for i, w := range work {
		if err := ctx.Err(); err != nil {
			sum.Took = time.Since(start)
			return sum, err
		}
		t0 := time.Now()
		m, err := j.Archive.WriteDay(ctx, j.Source, w.t, w.d, run)
		if err != nil {
			sum.Took = time.Since(start)
			return sum, err
		}
		days[w.d] = true
		sum.TableDays++
		sum.Rows += m.Rows
		for _, f := range m.Files {
			sum.Bytes += f.Bytes
		}
		if j.Progress != nil {
			j.Progress(Step{Table: w.t.Name(), Day: w.d, Manifest: m, Took: time.Since(t0), Done: i + 1, Total: len(work)})
		}
		if err := ctx.Err(); err != nil {
			sum.Days, sum.Took = len(days), time.Since(start)
			return sum, err
		}
		// Renew the lease now and then; losing it (a stall longer than its
		// TTL) stops this run before it writes what another runner now may.
		if time.Since(renewed) < leaseRenewal {
			continue
		}
		renewed = time.Now()
		if ok, err := j.Leaser.AcquireLease(ctx, LeaseName, j.Owner, leaseTTL); err != nil || !ok {
			sum.Days, sum.Took = len(days), time.Since(start)
			if err == nil {
				err = ErrLeaseHeld
			}
			return sum, fmt.Errorf("archive lease lost: %w", err)
		}
	}
	sum.Days, sum.Took = len(days), time.Since(start)
	return sum, nil
}

// Status is the state of the archive against the hot store.
type Status struct {
	// First and Last bound the days the hot store holds whole and closed.
	First, Last gamedata.Day
	Archived    []gamedata.Day // every table archived
	Missing     []DayGap       // some table not archived
	// Expiring are the missing days whose hot rows begin to expire within
	// the warning (ExpiryWarning), soonest first.
	Expiring      []DayGap
	ExpiryWarning time.Duration
}

// DayGap is a day some tables of which have no archive copy.
type DayGap struct {
	Day     gamedata.Day
	Tables  []string
	Expires time.Time // when its hot rows begin to expire
}

// Status compares the archive with the window of days the job keeps.
func (j *Job) Status(ctx context.Context, warning time.Duration) (Status, error) {
	now := j.Clock.Now()
	first, last, err := j.window(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{First: first, Last: last, ExpiryWarning: warning}
	done := map[string]map[gamedata.Day]bool{}
	for _, t := range j.tables() {
		days, err := j.Archive.ArchivedDays(ctx, t.Name())
		if err != nil {
			return st, err
		}
		done[t.Name()] = days
	}
	for d := first; !last.Before(d); d = d.Add(1) {
		var gap []string
		for _, t := range j.tables() {
			if !done[t.Name()][d] {
				gap = append(gap, t.Name())
			}
		}
		if len(gap) == 0 {
			st.Archived = append(st.Archived, d)
			continue
		}
		g := DayGap{Day: d, Tables: gap, Expires: d.Start().Add(j.Retention)}
		st.Missing = append(st.Missing, g)
		if g.Expires.Sub(now) <= warning {
			st.Expiring = append(st.Expiring, g)
		}
	}
	return st, nil
}
