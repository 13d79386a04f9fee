package recs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/recs"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// A synthetic game for the benchmarks: players fall in taste clusters that
// prefer a block of the catalogue, befriend mostly within their cluster, and
// a third of them hold interests of their cluster.
const (
	synthItems    = 2000
	synthClusters = 20
	synthTags     = 50
)

func synthKey(u int) string { return fmt.Sprintf("p%07d", u) }

// synthSnapshot makes a snapshot of n players.
func synthSnapshot(n int) *recs.Snapshot {
	rng := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(rng, 1.1, 4, synthItems-1)
	s := &recs.Snapshot{Players: make([]recs.SnapshotPlayer, n)}
	block := synthItems / synthClusters
	for u := range n {
		key := synthKey(u)
		s.Players[u] = recs.SnapshotPlayer{Key: key, Name: "P" + key[1:]}
		c := u % synthClusters
		for range 3 + rng.IntN(10) {
			item := int(zipf.Uint64())
			if rng.Float64() < 0.7 {
				item = c*block + rng.IntN(block)
			}
			name := fmt.Sprintf("item-%04d", item)
			if rng.IntN(2) == 0 {
				s.Orders = append(s.Orders, gamedata.PaidOrderRow{Player: key, Item: name, Amount: 1})
			} else {
				s.Plays = append(s.Plays, gamedata.PlayRow{Player: key, Item: name, Hours: rng.Float64() * 100})
			}
		}
		for range 5 {
			// Mostly a neighbour in the cluster, sometimes anyone.
			v := u + synthClusters*(1+rng.IntN(50))
			if rng.IntN(5) == 0 {
				v = rng.IntN(n)
			}
			if v < n && v != u {
				vk := synthKey(v)
				s.Friends = append(s.Friends, gamedata.FriendshipRow{Player: key, Friend: vk, FriendName: "P" + vk[1:]},
					gamedata.FriendshipRow{Player: vk, Friend: key, FriendName: "P" + key[1:]})
			}
		}
		if rng.IntN(3) == 0 {
			s.Interests = append(s.Interests, gamedata.InterestRow{Player: key, Tags: []string{
				"tag-" + strconv.Itoa(c), "tag-" + strconv.Itoa(synthClusters+rng.IntN(synthTags-synthClusters)),
			}})
		}
	}
	return s
}

func benchStore(b *testing.B) gamedata.Backend {
	s, err := sqlite.Open(b.Context(), sqlite.Config{Path: filepath.Join(b.TempDir(), "gamedata.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s.Backend()
}

// BenchmarkBuild is a whole build (train both models, compute and store
// every player's suggestions of both kinds) into the SQLite store. The
// default size is 100,000 players; GAMEDATA_BENCH_PLAYERS=1000000 gives the
// figure of docs/recommendations.md. Run it with -benchtime=1x.
func BenchmarkBuild(b *testing.B) {
	n := 100_000
	if v := os.Getenv("GAMEDATA_BENCH_PLAYERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	snap := synthSnapshot(n)
	b.Logf("%d players, %d orders, %d plays, %d friendship sides, %d interest sets",
		n, len(snap.Orders), len(snap.Plays), len(snap.Friends), len(snap.Interests))
	for b.Loop() {
		store := benchStore(b)
		start := time.Now()
		sum, err := recs.Build(b.Context(), snap, store.Recs, recs.BuildConfig{Workers: runtime.NumCPU(), Fresh: true})
		if err != nil {
			b.Fatal(err)
		}
		total := time.Since(start)
		b.ReportMetric(float64(n)/total.Seconds(), "players/s")
		b.ReportMetric(sum.Trained.Seconds(), "train-s")
		b.ReportMetric(total.Seconds(), "build-s")
		b.Logf("build of %d players: train %s, compute and store %s, total %s (%d items, %d friendships)",
			n, sum.Trained.Round(time.Millisecond), sum.Wrote.Round(time.Millisecond), total.Round(time.Millisecond), sum.Items, sum.Friendships)
	}
}

// BenchmarkServeOpenLoop serves recommendations over HTTP on loopback from
// the SQLite store, at a fixed rate whatever the answers take (latency
// counts from each request's intended start), beside a plain player read
// at the same rate in the same run. GAMEDATA_BENCH_RATE (default 1000/s)
// and GAMEDATA_BENCH_SECONDS (default 10) set the load.
func BenchmarkServeOpenLoop(b *testing.B) {
	rate, seconds := envInt(b, "GAMEDATA_BENCH_RATE", 1000), envInt(b, "GAMEDATA_BENCH_SECONDS", 10)
	const players = 5000
	backend := benchStore(b)
	ctx := b.Context()
	snap := synthSnapshot(players)
	fill(b, ctx, backend, snap)
	snap, err := recs.ReadSnapshot(ctx, backend.Lister, backend.RecsSource)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := recs.Build(ctx, snap, backend.Recs, recs.BuildConfig{Workers: runtime.NumCPU()}); err != nil {
		b.Fatal(err)
	}
	const key = "bench-admin-key-0123456789"
	srv, err := api.New(api.Config{Store: backend.Store, Social: backend.Social, AdminKey: key, Registry: prometheus.NewRegistry(),
		Recommender: &recs.Service{Recs: backend.Recs, Social: backend.Social, Orders: backend.Store}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	for b.Loop() {
		for _, target := range []struct{ name, path string }{
			{"player", "/v1/players/P%07d"},
			{"recs-items", "/v1/players/P%07d/recommendations?kind=items"},
			{"recs-friends", "/v1/players/P%07d/recommendations?kind=friends"},
		} {
			lat := openLoop(b, client, hs.URL, target.path, key, players, rate, seconds)
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			b.ReportMetric(float64(p99.Microseconds())/1000, target.name+"-p99-ms")
			b.Logf("%s at %d/s for %ds: p50 %s p99 %s max %s (%d requests)", target.name, rate, seconds, p50, p99, lat[len(lat)-1], len(lat))
		}
	}
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return def
}

// fill writes a snapshot's players, paid orders, friendships and interests
// through the store's own writes.
func fill(b *testing.B, ctx context.Context, backend gamedata.Backend, snap *recs.Snapshot) {
	now := time.Now()
	for _, p := range snap.Players {
		if err := backend.Store.CreatePlayer(ctx, gamedata.Player{ID: gamedata.NewID(now), Name: p.Name, CreatedAt: now, UpdatedAt: now, PasswordHash: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, o := range snap.Orders {
		order := gamedata.Order{ID: gamedata.NewID(now), UserName: o.Player, Item: o.Item, Amount: 1, Price: 100, Status: gamedata.OrderPaid, CreatedAt: now, UpdatedAt: now}
		if _, _, err := backend.Store.CreateOrder(ctx, order, ""); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range snap.Friends {
		if f.Player < f.Friend {
			if err := backend.Social.AddFriend(ctx, f.Player, f.Friend, now); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, in := range snap.Interests {
		if err := backend.Social.SetInterests(ctx, in.Player, in.Tags, now); err != nil {
			b.Fatal(err)
		}
	}
}

// openLoop sends rate requests a second for seconds, each at its planned
// time, and returns the latencies from the planned times, sorted.
func openLoop(b *testing.B, client *http.Client, base, pathFormat, key string, players, rate, seconds int) []time.Duration {
	total := rate * seconds
	lat := make([]time.Duration, total)
	interval := time.Second / time.Duration(rate)
	rng := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	var failed sync.Once
	start := time.Now()
	for i := range total {
		planned := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(planned))
		url := base + fmt.Sprintf(pathFormat, rng.IntN(players))
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := client.Do(req)
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i] = time.Since(planned)
			if err != nil {
				failed.Do(func() { b.Errorf("GET %s: %v", url, err) })
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat
}

// BenchmarkRecommend is one request's work on the store, without HTTP.
func BenchmarkRecommend(b *testing.B) {
	backend := benchStore(b)
	ctx := b.Context()
	snap := synthSnapshot(2000)
	fill(b, ctx, backend, snap)
	snap, err := recs.ReadSnapshot(ctx, backend.Lister, backend.RecsSource)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := recs.Build(ctx, snap, backend.Recs, recs.BuildConfig{Workers: runtime.NumCPU()}); err != nil {
		b.Fatal(err)
	}
	svc := &recs.Service{Recs: backend.Recs, Social: backend.Social, Orders: backend.Store}
	for _, kind := range []gamedata.RecKind{gamedata.RecItems, gamedata.RecFriends} {
		b.Run(string(kind), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := svc.Recommend(ctx, fmt.Sprintf("P%07d", i%2000), kind, 10); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("get-player", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := backend.Store.GetPlayer(ctx, fmt.Sprintf("P%07d", i%2000)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
