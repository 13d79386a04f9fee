package opensearch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// names are the index, alias and template names of one deployment.
type names struct {
	prefix       string
	users        string // alias on the live users index; also the template's name
	usersReindex string // alias on the users index being rebuilt
	orders       family
	messages     family
}

func newNames(prefix string) names {
	return names{
		prefix:       prefix,
		users:        prefix + "users",
		usersReindex: prefix + "users-reindex",
		orders:       family{base: prefix + "orders", layout: "2006.01", period: gamedata.IntervalMonth},
		messages:     family{base: prefix + "messages", layout: "2006.01.02", period: gamedata.IntervalWeek},
	}
}

// usersIndex names a new users index made at t.
func (n names) usersIndex(t time.Time) string {
	return n.users + "-" + t.UTC().Format("20060102-150405")
}

// usersPattern matches every users index.
func (n names) usersPattern() string { return n.users + "-*" }

// templates lists the names of the index templates.
func (n names) templates() []string {
	return []string{n.users, n.orders.base, n.messages.base}
}

// family is a series of indices, each holding the documents made in one
// calendar period (a month or a week, in UTC), named with the period's first
// day and a sequence number that grows when a period's index rolls over for
// size: orders-2026.11-000001, messages-2026.11.16-000002. A name thus tells
// which documents an index may hold and when it may be deleted.
type family struct {
	base   string            // the read alias and the template's name
	layout string            // time layout of the period's first day
	period gamedata.Interval // a month, or a week from Monday (UTC)
}

func (f family) readAlias() string  { return f.base }
func (f family) writeAlias() string { return f.base + "-write" }
func (f family) pattern() string    { return f.base + "-*" }

// periodStart returns the start of the period holding t.
func (f family) periodStart(t time.Time) time.Time { return f.period.Start(t) }

// periodEnd returns the start of the period after the one starting at start.
func (f family) periodEnd(start time.Time) time.Time { return f.period.Next(start) }

// index names the seq-th index of the period starting at start.
func (f family) index(start time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%06d", f.base, start.Format(f.layout), seq)
}

// familyIndex is one index of a family.
type familyIndex struct {
	name    string
	start   time.Time // of its period
	seq     int
	aliases []string
}

// parse reads an index name of the family; ok is false for any other name.
func (f family) parse(name string) (ix familyIndex, ok bool) {
	rest, ok := strings.CutPrefix(name, f.base+"-")
	if !ok || len(rest) < len(f.layout)+2 || rest[len(f.layout)] != '-' {
		return ix, false
	}
	start, err := time.Parse(f.layout, rest[:len(f.layout)])
	if err != nil || !f.periodStart(start).Equal(start) {
		return ix, false
	}
	digits := rest[len(f.layout)+1:]
	seq, err := strconv.Atoi(digits)
	if err != nil || seq < 1 || digits[0] == '+' {
		return ix, false
	}
	return familyIndex{name: name, start: start, seq: seq}, true
}

// indexSet is the indices of a family, oldest period and sequence first.
type indexSet []familyIndex

// newIndexSet parses the indices (name -> aliases) that belong to f.
func newIndexSet(f family, indices map[string][]string) indexSet {
	var s indexSet
	for name, aliases := range indices {
		if ix, ok := f.parse(name); ok {
			ix.aliases = aliases
			s = append(s, ix)
		}
	}
	slices.SortFunc(s, func(a, b familyIndex) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	return s
}

// period returns the indices of the period starting at start, oldest first.
func (s indexSet) period(start time.Time) indexSet {
	var out indexSet
	for _, ix := range s {
		if ix.start.Equal(start) {
			out = append(out, ix)
		}
	}
	return out
}

// holding returns the indices that carry alias.
func (s indexSet) holding(alias string) indexSet {
	var out indexSet
	for _, ix := range s {
		if slices.Contains(ix.aliases, alias) {
			out = append(out, ix)
		}
	}
	return out
}
