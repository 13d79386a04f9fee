package cassandra_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The scan for `gamedata reindex users` finds every player once, as stored,
// and stops at the first error of its callback.
func TestListAllPlayers(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	ctx := t.Context()
	prefix := fmt.Sprint("Scan", time.Now().UnixNano()%1e9, "_")
	want := map[string]gamedata.Player{}
	for i := range 300 {
		at := clock.Advance(time.Millisecond)
		age := 20 + i%50
		p := gamedata.Player{ID: gamedata.NewID(at), Name: fmt.Sprint(prefix, i), Email: fmt.Sprint(i, "@scan.example"),
			Phone: "+1 555 0100", Age: &age, PasswordHash: "$argon2id$x", CreatedAt: at, UpdatedAt: at}
		if err := s.CreatePlayer(ctx, p); err != nil {
			t.Fatal(err)
		}
		want[p.Name] = p
	}

	seen := map[string]int{}
	err := s.ListAllPlayers(ctx, func(p gamedata.Player) error {
		seen[p.Name]++
		if w, ok := want[p.Name]; ok && (p.ID != w.ID || p.Email != w.Email || *p.Age != *w.Age ||
			!p.CreatedAt.Equal(w.CreatedAt) || p.PasswordHash != w.PasswordHash) {
			t.Errorf("listed %+v, stored %+v", p, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if seen[name] != 1 {
			t.Errorf("player %s listed %d times, want once", name, seen[name])
		}
	}

	stop := errors.New("stop")
	calls := 0
	err = s.ListAllPlayers(ctx, func(gamedata.Player) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("a callback failing at once: %d calls, %v; want 1 call and its error", calls, err)
	}
}
