package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra/clustertest"
	"github.com/gamedata-dev/gamedata/client"
)

// traffic is a steady load of players' requests through one region:
// register, log in, read the profile, send a message, order and pay, read
// the orders; it keeps every error and the players it made.
type traffic struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []string
	players []string
	calls   int
}

func startTraffic(r *region, workers int) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	price, _ := gamedata.ParseMoney("1.99")
	for w := range workers {
		tr.wg.Go(func() {
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				n := name(fmt.Sprintf("load%d_%d", w, i))
				calls := 0
				fail := func(what string, err error) bool {
					calls++
					if err != nil {
						tr.mu.Lock()
						tr.errs = append(tr.errs, fmt.Sprintf("%s %s: %v", what, n, err))
						tr.mu.Unlock()
					}
					return err != nil
				}
				_, err := r.anon.CreatePlayer(ctx, client.NewPlayer{Name: n, Password: password})
				if fail("register", err) {
					continue
				}
				tr.mu.Lock()
				tr.players = append(tr.players, n)
				tr.mu.Unlock()
				me, err := r.login(n)
				if fail("login", err) {
					continue
				}
				_, err = me.GetPlayer(ctx, n)
				fail("profile", err)
				_, err = me.SendMessage(ctx, client.NewMessage{From: n, To: n, Text: "note to self"})
				fail("message", err)
				o, _, err := me.CreateOrder(ctx, n, client.NewOrder{Item: "potion", Amount: 2, Price: price})
				if !fail("order", err) {
					_, err = r.admin.PayOrder(ctx, n, o.ID)
					fail("pay", err)
				}
				_, err = me.ListOrders(ctx, n, client.PageOptions{})
				fail("orders", err)
				tr.mu.Lock()
				tr.calls += calls
				tr.mu.Unlock()
			}
		})
	}
	return tr
}

// end stops the load and returns the calls made, the errors and the players.
func (tr *traffic) end() (int, []string, []string) {
	close(tr.stop)
	tr.wg.Wait()
	return tr.calls, tr.errs, tr.players
}

// waitReadiness waits until r's /readyz answers code with status and
// checks[check] == state.
func (r *region) waitReadiness(code int, status, check, state string) {
	r.t.Helper()
	eventually(r.t, fmt.Sprintf("%s /readyz %d %s with %s %s", r.dc, code, status, check, state), func() error {
		got, body := r.readiness()
		if got != code || (status != "" && body.Status != status) || body.Checks[check] != state {
			return fmt.Errorf("answered %d %+v", got, body)
		}
		return nil
	})
}

// waitMetric waits until r exports the line want.
func (r *region) waitMetric(want string) {
	r.t.Helper()
	name, _, _ := strings.Cut(want, " ")
	eventually(r.t, r.dc+" exports "+want, func() error {
		if got := r.metric(name + " "); got != want {
			return fmt.Errorf("exports %q", got)
		}
		return nil
	})
}

// One node of dc1's three stops while players keep using the region: not a
// request fails (LOCAL_QUORUM needs two replicas of three), /readyz and the
// metrics say dc1 is degraded; the node comes back, is repaired, and every
// node holds every player written meanwhile.
func TestOneNodeDown(t *testing.T) {
	c, ks := keyspace(t)
	a := newRegion(t, c, ks, "dc1")
	a.waitReadiness(http.StatusOK, "ready", "store:dc1", "ok")

	tr := startTraffic(a, 3)
	time.Sleep(3 * time.Second) // some traffic before the loss
	c.Stop(t, "node2")
	a.waitReadiness(http.StatusOK, "degraded", "store:dc1", "degraded")
	a.waitMetric(`gamedata_store_nodes{dc="dc1",state="down"} 1`)
	time.Sleep(5 * time.Second) // traffic while it is down
	c.Start(t, "node2")
	a.waitReadiness(http.StatusOK, "ready", "store:dc1", "ok")
	a.waitMetric(`gamedata_store_nodes{dc="dc1",state="down"} 0`)
	time.Sleep(3 * time.Second) // and after
	calls, errs, players := tr.end()
	t.Logf("%d requests, %d players registered, %d failed", calls, len(players), len(errs))
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed with a node down, want none; the first: %s", len(errs), calls, strings.Join(errs[:min(len(errs), 5)], "; "))
	}
	if len(players) == 0 {
		t.Fatal("no traffic")
	}

	// The runbook's step after a node's return (hints carry most of it;
	// repair makes sure), then each node alone holds every player.
	start := time.Now()
	c.Nodetool(t, "node2", "repair", "-full", ks, "players")
	t.Logf("nodetool repair -full %s players on node2: %.1fs", ks, time.Since(start).Seconds())
	for _, node := range c.InDC("dc1") {
		assertHolds(t, node, ks, players)
	}
}

// assertHolds checks that node, read alone at ONE, has every player.
func assertHolds(t *testing.T, node clustertest.Node, ks string, players []string) {
	t.Helper()
	s, err := clustertest.NodeSession(node)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var missing []string
	for _, p := range players {
		var got string
		err := s.Query(`SELECT name FROM `+ks+`.players WHERE name_key = ?`, strings.ToLower(p)).Scan(&got)
		if err == gocql.ErrNotFound {
			missing = append(missing, p)
		} else if err != nil {
			t.Fatalf("read %s on %s: %v", p, node.Name, err)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s lacks %d of %d players, such as %v", node.Name, len(missing), len(players), missing[:min(3, len(missing))])
	}
}

// Region dc2 goes down: dc1 serves on without a failure, dc2 answers 503 and
// is unready (it never reads dc1's replicas behind its players' backs); dc2
// comes back, takes the hints, its indexer starts again and its search finds
// everything written meanwhile.
func TestRegionDown(t *testing.T) {
	c, ks := keyspace(t)
	a, b := newRegion(t, c, ks, "dc1"), newRegion(t, c, ks, "dc2")
	ctx := context.Background()
	before := a.register("before")
	eventually(t, "dc2 knows a player of dc1", func() error { _, err := b.admin.GetPlayer(ctx, before); return err })

	// The whole region goes: its data centre and its gamedata (the indexer
	// stands for it; the API server stays, to show what it answers).
	b.stopIndexer()
	c.Stop(t, "node4")
	b.waitReadiness(http.StatusServiceUnavailable, "", "store", "unavailable")
	b.waitMetric(`gamedata_store_nodes{dc="dc2",state="down"} 1`)
	if _, err := b.admin.GetPlayer(ctx, before); status(err) != http.StatusServiceUnavailable {
		t.Errorf("a read in dc2 while its data centre is down: %v, want 503", err)
	}

	tr := startTraffic(a, 2)
	time.Sleep(8 * time.Second)
	calls, errs, players := tr.end()
	t.Logf("dc1 while dc2 is down: %d requests, %d players, %d failed", calls, len(players), len(errs))
	if len(errs) > 0 || len(players) == 0 {
		t.Fatalf("dc1 while dc2 is down: %d of %d requests failed, want none: %v", len(errs), calls, errs[:min(len(errs), 5)])
	}
	if code, body := a.readiness(); code != http.StatusOK || body.Checks["store:dc1"] != "ok" {
		t.Errorf("dc1 /readyz while dc2 is down: %d %+v", code, body)
	}

	// Back: the data centre first, then, once dc1's nodes have handed over
	// their hints, the region's gamedata (docs/operations.md).
	c.Start(t, "node4")
	start := time.Now()
	for _, n := range c.InDC("dc1") {
		eventually(t, n.Name+" hands its hints over", func() error {
			if out := c.Nodetool(t, n.Name, "listpendinghints"); !strings.Contains(out, "does not have any pending hints") {
				return fmt.Errorf("%s", strings.TrimSpace(out))
			}
			return nil
		})
	}
	t.Logf("hints delivered %.1fs after node4 answered", time.Since(start).Seconds())
	b.startIndexer()
	b.waitReadiness(http.StatusOK, "ready", "store:dc2", "ok")
	for _, p := range players {
		if _, err := b.admin.GetPlayer(ctx, p); err != nil {
			t.Errorf("dc2 after its return: player %s written meanwhile: %v", p, err)
		}
	}
	b.searchFinds(players...)
}
