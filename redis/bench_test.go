package redis_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/redis/redistest"
)

// benchPlayers is how many players (each with a session) the reads cycle
// through: every read after the warm-up is a hit, but not of one hot key.
const benchPlayers = 200

// BenchmarkReads measures the hot reads with Redis (single, cluster) in
// front of Cassandra and with Cassandra alone, in one run, as latency
// percentiles of single requests: GetPlayer and GetSession on the store,
// and GET /v1/players/{name} with a session token through the API on
// loopback (a session check and a profile read).
//
//	go test -run '^$' -bench Reads -benchtime 3000x ./redis/ > bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /store bench.txt
func BenchmarkReads(b *testing.B) {
	ctx := b.Context()
	st, err := cassandra.Open(ctx, cassandratest.Keyspace(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	names, tokens := seed(b, st)

	stores := []struct {
		name string
		open func(b *testing.B) gamedata.Store
	}{
		{"cassandra", func(*testing.B) gamedata.Store { return st }},
		{"redis+cassandra", func(b *testing.B) gamedata.Store { return cached(b, st, redistest.Single(b)) }},
		{"rediscluster+cassandra", func(b *testing.B) gamedata.Store { return cached(b, st, redistest.Cluster(b)) }},
	}
	for _, s := range stores {
		b.Run("op=GetPlayer/store="+s.name, func(b *testing.B) {
			store := s.open(b)
			percentiles(b, func(i int) error {
				_, err := store.GetPlayer(ctx, names[i%benchPlayers])
				return err
			})
		})
		b.Run("op=GetSession/store="+s.name, func(b *testing.B) {
			store := s.open(b)
			percentiles(b, func(i int) error {
				_, err := store.GetSession(ctx, gamedata.HashSecret(tokens[i%benchPlayers]))
				return err
			})
		})
		b.Run("op=HTTPGetPlayerAsPlayer/store="+s.name, func(b *testing.B) {
			srv, err := api.New(api.Config{Store: s.open(b)})
			if err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			b.Cleanup(hs.Close)
			percentiles(b, func(i int) error {
				return get(ctx, hs.URL+"/v1/players/"+names[i%benchPlayers], tokens[i%benchPlayers])
			})
		})
	}
}

// seed writes the players and a session each, and returns their names and
// session tokens.
func seed(b *testing.B, st gamedata.Store) (names, tokens []string) {
	ctx := b.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range benchPlayers {
		p := gamedata.Player{
			ID: gamedata.NewID(now), Name: fmt.Sprintf("Bench_%03d_%d", i, now.UnixNano()), Email: "bench@example.com",
			CreatedAt: now, UpdatedAt: now, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo",
		}
		token := gamedata.NewSecret(gamedata.SessionPrefix)
		ses := gamedata.Session{TokenHash: gamedata.HashSecret(token), PlayerID: p.ID, PlayerName: p.Name, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		if err := st.CreatePlayer(ctx, p); err != nil {
			b.Fatal(err)
		}
		if err := st.CreateSession(ctx, ses); err != nil {
			b.Fatal(err)
		}
		names, tokens = append(names, p.Name), append(tokens, token)
	}
	return names, tokens
}

// cached puts a cache on target in front of st, as serve does.
func cached(b *testing.B, st gamedata.Store, target redistest.Target) gamedata.Store {
	s, err := cache.New(st, cache.Config{Backend: redistest.Open(b, target.Config()), TTL: time.Minute, SessionTTL: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func get(ctx context.Context, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// percentiles runs op(i) for i = 0, 1, ...: once over every player to warm
// up (fill the cache, open the connections), then timed, one at a time, and
// reports the 50th and 99th percentiles of the latencies.
func percentiles(b *testing.B, op func(i int) error) {
	for i := range benchPlayers {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
