package opensearch_test

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
)

// aliasState is which indices carry an alias, sorted.
func (cl *cluster) holders(alias string) []string {
	cl.t.Helper()
	var out []string
	for index, aliases := range cl.indices() {
		if slices.Contains(aliases, alias) {
			out = append(out, index)
		}
	}
	slices.Sort(out)
	return out
}

// family returns this test's indices whose names start with base.
func (cl *cluster) family(base string) []string {
	cl.t.Helper()
	var out []string
	for index := range maps.Keys(cl.indices()) {
		if len(index) > len(base) && index[:len(base)+1] == base+"-" {
			out = append(out, index)
		}
	}
	slices.Sort(out)
	return out
}

func (cl *cluster) expectAliases(step string, orders, messages []string) {
	cl.t.Helper()
	checks := []struct {
		alias string
		want  []string
	}{
		{"orders", orders},
		{"orders-write", orders[len(orders)-1:]},
		{"messages", messages},
		{"messages-write", messages[len(messages)-1:]},
	}
	if got := cl.family("orders"); !slices.Equal(got, orders) {
		cl.t.Errorf("%s: orders indices %v, want %v", step, got, orders)
	}
	if got := cl.family("messages"); !slices.Equal(got, messages) {
		cl.t.Errorf("%s: messages indices %v, want %v", step, got, messages)
	}
	for _, c := range checks {
		if got := cl.holders(c.alias); !slices.Equal(got, c.want) {
			cl.t.Errorf("%s: alias %s on %v, want %v", step, c.alias, got, c.want)
		}
	}
}

func TestLifecycleRollsOverByPeriodAndDeletesOldMessages(t *testing.T) {
	cl := newCluster(t)
	lc := opensearch.NewLifecycle(cl.c, opensearch.LifecycleConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	step := func(at string) {
		t.Helper()
		now, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := lc.Step(t.Context(), now); err != nil {
			t.Fatalf("step at %s: %v", at, err)
		}
	}

	// Wednesday 14 January 2026: the first indices.
	step("2026-01-14T12:00:00Z")
	cl.expectAliases("first step", []string{"orders-2026.01-000001"}, []string{"messages-2026.01.12-000001"})
	if got := cl.holders("users"); len(got) != 1 {
		t.Errorf("alias users on %v, want one index", got)
	}
	// A process that stopped between making an index and aliasing it left
	// one outside the read alias (an index joins it only once it can
	// answer): the next step puts it in.
	cl.call(http.MethodPut, "/"+cl.cfg.Prefix+"orders-2025.12-000001", nil)
	if got := cl.holders("orders"); !slices.Equal(got, []string{"orders-2026.01-000001"}) {
		t.Fatalf("alias orders on %v before the step", got)
	}
	// Later the same week and month: nothing else changes.
	step("2026-01-18T23:59:59Z")
	cl.expectAliases("same week", []string{"orders-2025.12-000001", "orders-2026.01-000001"}, []string{"messages-2026.01.12-000001"})
	cl.call(http.MethodDelete, "/"+cl.cfg.Prefix+"orders-2025.12-000001", nil)

	// Monday: a new messages index; still January for orders.
	step("2026-01-19T00:00:00Z")
	cl.expectAliases("new week", []string{"orders-2026.01-000001"},
		[]string{"messages-2026.01.12-000001", "messages-2026.01.19-000001"})

	// February (a Sunday): a new orders index; the week of 26 January is
	// skipped, as no step ran in it.
	step("2026-02-01T08:00:00Z")
	cl.expectAliases("new month", []string{"orders-2026.01-000001", "orders-2026.02-000001"},
		[]string{"messages-2026.01.12-000001", "messages-2026.01.19-000001", "messages-2026.01.26-000001"})

	// The week of 12 January ends on the 19th: 365 days later it is deleted,
	// not a second before; younger weeks stay.
	step("2027-01-18T23:59:59Z")
	months := []string{"orders-2026.01-000001", "orders-2026.02-000001", "orders-2027.01-000001"}
	cl.expectAliases("a second short of a year", months, []string{"messages-2026.01.12-000001",
		"messages-2026.01.19-000001", "messages-2026.01.26-000001", "messages-2027.01.18-000001"})
	step("2027-01-19T00:00:00Z")
	cl.expectAliases("a year on", months,
		[]string{"messages-2026.01.19-000001", "messages-2026.01.26-000001", "messages-2027.01.18-000001"})
	step("2027-01-26T00:00:00Z")
	cl.expectAliases("a year and a week on", months,
		[]string{"messages-2026.01.26-000001", "messages-2027.01.18-000001", "messages-2027.01.25-000001"})
}

func TestLifecycleRollsOverBySizeAndUpdatesStayInPlace(t *testing.T) {
	cl := newCluster(t)
	lc := opensearch.NewLifecycle(cl.c, opensearch.LifecycleConfig{
		Orders: opensearch.Rollover{MaxDocs: 3},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	src := newMemSource()
	w := newWorkload(src, start)
	ix := newIndexer(t, cl.c, src, nil)
	if err := lc.Step(t.Context(), start); err != nil {
		t.Fatal(err)
	}
	buyer := w.player(t)
	var first []gamedata.Order
	for range 4 {
		first = append(first, w.order(t, buyer.Name))
	}
	drain(t, ix, cl.c)
	if err := lc.Step(t.Context(), start); err != nil {
		t.Fatal(err)
	}
	messages := []string{"messages-2026.11.09-000001"}
	cl.expectAliases("after 4 orders", []string{"orders-2026.11-000001", "orders-2026.11-000002"}, messages)

	// Paying orders of the full index updates them there; new orders go to
	// the new index.
	w.pay(t, first[0])
	w.pay(t, first[3])
	w.order(t, buyer.Name)
	w.order(t, buyer.Name)
	drain(t, ix, cl.c)
	if n := len(cl.docs("orders-2026.11-000001")); n != 4 {
		t.Errorf("the full index holds %d orders, want its 4", n)
	}
	if n := len(cl.docs("orders-2026.11-000002")); n != 2 {
		t.Errorf("the new index holds %d orders, want the 2 new ones", n)
	}
	w.verify(t, cl)

	// Below the size again: no rollover.
	if err := lc.Step(t.Context(), start); err != nil {
		t.Fatal(err)
	}
	cl.expectAliases("after 2 more orders", []string{"orders-2026.11-000001", "orders-2026.11-000002"}, messages)

	// A December order indexed before the lifecycle's December step makes
	// December's index; the step then moves the write alias onto it.
	december := start.AddDate(0, 1, 0)
	w.clock.Set(december)
	w.order(t, buyer.Name)
	drain(t, ix, cl.c)
	if err := lc.Step(t.Context(), december); err != nil {
		t.Fatal(err)
	}
	cl.expectAliases("in December", []string{"orders-2026.11-000001", "orders-2026.11-000002", "orders-2026.12-000001"},
		[]string{"messages-2026.11.09-000001", "messages-2026.12.07-000001"})
	w.verify(t, cl)
}
