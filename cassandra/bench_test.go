package cassandra_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/storetest"
)

// BenchmarkOps measures the store's hot paths (impl=store, storetest.Bench)
// and the same statements run straight through the driver on the same
// session (impl=driver), in one run, so that benchstat can show what the
// store adds:
//
//	go test -run '^$' -bench Ops -count 5 ./cassandra/ > bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /impl bench.txt
func BenchmarkOps(b *testing.B) {
	s := open(b, keyspace(b))
	b.Run("impl=store", func(b *testing.B) { storetest.Bench(b, s) })
	b.Run("impl=driver", func(b *testing.B) { benchDriver(b, s) })
}

// inboxPage is the page size of InboxPage: the API's default.
const inboxPage = gamedata.DefaultPageLimit

func benchName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return prefix + "_" + hex.EncodeToString(b)
}

// benchDriver runs, for each of storetest.Bench's operations, the statements
// the store runs for it, with the same options, binding precomputed values
// and scanning into plain variables.
func benchDriver(b *testing.B, s *cassandra.Store) {
	ctx := b.Context()
	session := s.Session()
	cql := cassandra.BenchCQL
	now := func() time.Time { return time.Now().UTC() }
	send := func(b *testing.B, from, to string) {
		at := now()
		id, expires := [16]byte(gamedata.NewID(at)), at.Add(gamedata.DefaultRetention)
		bucket, exp := cassandra.BucketOf(at, cassandra.MessageBucket), cassandra.ExpiryBucket(expires, cassandra.MessageBucket)
		ttl, indexTTL := cassandra.TTL(expires, at), cassandra.TTL(cassandra.BucketStart(exp, cassandra.MessageBucket), at)
		lo, hi := min(from, to), max(from, to)
		batch := session.Batch(gocql.LoggedBatch)
		for _, e := range []struct {
			stmt, list string
			keys       []any
			a, b       string
		}{
			{cql.InsertInbox, "messages_inbox", []any{to}, to, ""},
			{cql.InsertSent, "messages_sent", []any{from}, from, ""},
			{cql.InsertConversation, "messages_conversation", []any{lo, hi}, lo, hi},
		} {
			args := append(e.keys, bucket, id, from, to, "gg, rematch? 🎮", at, expires, ttl)
			batch.Entries = append(batch.Entries,
				gocql.BatchEntry{Stmt: e.stmt, Args: args, Idempotent: true},
				gocql.BatchEntry{Stmt: cql.InsertBucket, Args: []any{e.list, e.a, e.b, bucket, exp, indexTTL}, Idempotent: true})
		}
		if err := batch.ExecContext(ctx); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("GetPlayer", func(b *testing.B) {
		at := now()
		name := benchName("bench")
		p := gamedata.Player{ID: gamedata.NewID(at), Name: name, Email: "bench@example.com", CreatedAt: at, UpdatedAt: at,
			PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"}
		if err := s.CreatePlayer(ctx, p); err != nil {
			b.Fatal(err)
		}
		key := gamedata.NameKey(name)
		for b.Loop() {
			var id [16]byte
			var display, email, phone, hash string
			var age *int
			var created, updated time.Time
			err := session.Query(cql.GetPlayer, key).Idempotent(true).
				ScanContext(ctx, &id, &display, &email, &phone, &age, &hash, &created, &updated)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateOrder", func(b *testing.B) {
		user := benchName("buyer")
		for b.Loop() {
			at := now()
			err := session.Query(cql.InsertOrder, user, [16]byte(gamedata.NewID(at)), user, "gem pack", 1, int64(4_99),
				"unpaid", at, at).Idempotent(true).ExecContext(ctx)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SendMessage", func(b *testing.B) {
		from, to := benchName("sender"), benchName("receiver")
		for b.Loop() {
			send(b, from, to)
		}
	})
	b.Run("InboxPage", func(b *testing.B) {
		from, to := benchName("sender"), benchName("reader")
		for range 2 * inboxPage {
			send(b, from, to)
		}
		for b.Loop() {
			sc := session.Query(cql.ListBuckets, "messages_inbox", to, "", int32(-1<<31), int32(1<<31-2)).
				Idempotent(true).PageSize(64).IterContext(ctx).Scanner()
			var buckets []int32
			for sc.Next() {
				var bucket, exp int32
				if err := sc.Scan(&bucket, &exp); err != nil {
					b.Fatal(err)
				}
				if len(buckets) == 0 || buckets[len(buckets)-1] != bucket {
					buckets = append(buckets, bucket)
				}
			}
			if err := sc.Err(); err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, bucket := range buckets {
				sc := session.Query(cql.InboxPage, to, bucket, cassandra.MaxTimeUUID).Idempotent(true).
					PageSize(inboxPage + 1 - n).IterContext(ctx).Scanner()
				for n < inboxPage+1 && sc.Next() {
					var id [16]byte
					var sender, receiver, text string
					var created, expires time.Time
					if err := sc.Scan(&id, &sender, &receiver, &text, &created, &expires); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := sc.Err(); err != nil {
					b.Fatal(err)
				}
			}
			if n != inboxPage+1 {
				b.Fatalf("read %d messages, want %d", n, inboxPage+1)
			}
		}
	})
}
