package cassandra_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The tests of this package share one fresh keyspace, created by TestMain
// through the schema code and dropped at the end.
var (
	shared    cassandra.Config
	sharedErr error
)

func TestMain(m *testing.M) {
	cfg, ok := cassandratest.FromEnv()
	if ok {
		shared, sharedErr = cassandratest.NewKeyspace(context.Background(), cfg)
	}
	code := m.Run()
	if ok && sharedErr == nil {
		if err := cassandratest.Drop(shared); err != nil {
			fmt.Fprintln(os.Stderr, "drop the test keyspace:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// keyspace returns the settings of the shared test keyspace, or skips tb
// (fails it under CI) when there is no test node.
func keyspace(tb testing.TB) cassandra.Config {
	tb.Helper()
	cassandratest.Require(tb)
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// open opens a store on cfg, closed when tb ends.
func open(tb testing.TB, cfg cassandra.Config) *cassandra.Store {
	tb.Helper()
	s, err := cassandra.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// openShared opens a store on the shared keyspace with clock.
func openShared(tb testing.TB, clock gamedata.Clock) *cassandra.Store {
	tb.Helper()
	cfg := keyspace(tb)
	cfg.Clock = clock
	return open(tb, cfg)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock gamedata.Clock) gamedata.Store { return openShared(t, clock) })
}

// Every message is written four times in one LOGGED batch (three copies
// and its change record), which Cassandra refuses above
// batch_size_fail_threshold: the largest message the API accepts, between
// the longest names, makes 64.6 KiB, above the default 50 KiB, and fits
// the 256 KiB of deploy/cassandra/cassandra.yaml (and of the test node).
// Its change record carries it whole.
func TestLargestMessageFitsItsBatch(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	from, to := strings.Repeat("𝄞", 26)+fmt.Sprint(time.Now().UnixNano()%1e6), strings.Repeat("😀", 32)
	now := clock.Now()
	m := gamedata.Message{ID: gamedata.NewID(now), From: from, To: to, Text: strings.Repeat("🎮", gamedata.TextMaxLen),
		CreatedAt: now, ExpiresAt: now.Add(gamedata.DefaultRetention)}
	if err := s.SendMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	page, err := s.Inbox(t.Context(), to, gamedata.PageRequest{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0].Text != m.Text {
		t.Fatalf("inbox after sending the largest message: %d items, %v", len(page.Items), err)
	}
	got := changesOf(newFeedReader(t, s, "largest-"+fmt.Sprint(time.Now().UnixNano())).drain(), from)
	if len(got) != 1 || got[0].Message == nil {
		t.Fatalf("the change records of the largest message: %+v", got)
	}
	if r := *got[0].Message; r.ID != m.ID || r.From != m.From || r.To != m.To || r.Text != m.Text ||
		!r.CreatedAt.Equal(m.CreatedAt) || !r.ExpiresAt.Equal(m.ExpiresAt) {
		t.Fatalf("the change record of the largest message holds %+v", r)
	}
}

// recorder keeps the queries the driver runs.
type recorder struct {
	mu sync.Mutex
	qs []gocql.ObservedQuery
}

func (r *recorder) ObserveQuery(_ context.Context, q gocql.ObservedQuery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.qs = append(r.qs, q)
}

// take returns the queries recorded since the last call.
func (r *recorder) take() []gocql.ObservedQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	qs := r.qs
	r.qs = nil
	return qs
}

// readsOf returns the queries of qs that read table.
func readsOf(qs []gocql.ObservedQuery, table string) []gocql.ObservedQuery {
	var out []gocql.ObservedQuery
	for _, q := range qs {
		if strings.HasPrefix(strings.TrimSpace(q.Statement), "SELECT") && strings.Contains(q.Statement, "FROM "+table+" ") {
			out = append(out, q)
		}
	}
	return out
}

// Messages spread over most of a year land in many ten-day buckets; the
// lists walk them newest first across page boundaries, read only the
// buckets that hold messages, and skip those whose messages have all
// expired.
func TestMessagesAcrossBuckets(t *testing.T) {
	start := time.Now().Add(-300 * 24 * time.Hour).Truncate(time.Millisecond)
	clock := storetest.NewClock(start)
	cfg := keyspace(t)
	queries := &recorder{}
	cfg.Clock, cfg.Observer = clock, queries
	s := open(t, cfg)
	ctx := t.Context()
	suffix := fmt.Sprint(time.Now().UnixNano() % 1e9)
	a, b := "Ann_"+suffix, "Ben_"+suffix

	// 12 messages 25 days apart, so in 12 of the 30 buckets they span,
	// alternating direction, each kept a year. Newest first:
	var all, toB []gamedata.Message
	buckets := map[int32]int{} // bucket -> index in all
	for i := range 12 {
		at := clock.Advance(25 * 24 * time.Hour)
		m := gamedata.Message{ID: gamedata.NewID(at), From: a, To: b, Text: fmt.Sprint("m", i),
			CreatedAt: at, ExpiresAt: at.Add(gamedata.DefaultRetention)}
		if i%2 == 1 {
			m.From, m.To = b, a
		} else {
			toB = append([]gamedata.Message{m}, toB...)
		}
		if err := s.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		all = append([]gamedata.Message{m}, all...)
	}
	for i, m := range all {
		buckets[cassandra.BucketOf(m.CreatedAt, cassandra.MessageBucket)] = i
	}
	if len(buckets) != len(all) {
		t.Fatalf("the messages share buckets: %v", buckets)
	}
	list := func(what string, fetch func(gamedata.PageRequest) (gamedata.Page[gamedata.Message], error)) string {
		var got strings.Builder
		p := gamedata.PageRequest{Limit: 2}
		for {
			page, err := fetch(p)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			for _, m := range page.Items {
				got.WriteString(m.Text + " ")
			}
			if page.NextToken == "" {
				return got.String()
			}
			p.Token = page.NextToken
		}
	}
	texts := func(ms []gamedata.Message) string {
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(m.Text + " ")
		}
		return b.String()
	}
	// bucketsRead returns, for each conversation bucket read, the index in
	// all of its message (-1: a bucket holding none).
	bucketsRead := func() []int {
		var read []int
		for _, q := range readsOf(queries.take(), "messages_conversation") {
			i, ok := buckets[q.Values[2].(int32)]
			if !ok {
				i = -1
			}
			read = append(read, i)
		}
		return read
	}
	conversation := func(p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
		return s.Conversation(ctx, b, a, p)
	}

	queries.take()
	if got := list("conversation", conversation); got != texts(all) {
		t.Errorf("conversation across buckets: got %s, want %s", got, texts(all))
	}
	for _, i := range bucketsRead() {
		if i < 0 {
			t.Errorf("the conversation read a bucket that holds none of its messages")
		}
	}
	if got := list("inbox", func(p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
		return s.Inbox(ctx, b, p)
	}); got != texts(toB) {
		t.Errorf("inbox across buckets: got %s, want %s", got, texts(toB))
	}

	// 50 days before the last message expires, the two newest are live;
	// all[2] expires right now, so its bucket may still be read (its index
	// row lives to the end of the bucket of its expiry); older buckets are
	// not.
	clock.Set(all[0].ExpiresAt.Add(-50 * 24 * time.Hour))
	queries.take()
	if got := list("conversation later", conversation); got != texts(all[:2]) {
		t.Errorf("conversation after expiry: got %s, want %s", got, texts(all[:2]))
	}
	for _, i := range bucketsRead() {
		if i < 0 || i > 2 {
			t.Errorf("the conversation read the bucket of message %d, whose messages have all expired", i)
		}
	}
}

// Events of one player over several days: ranges and pages that cross day
// boundaries.
func TestEventsAcrossDays(t *testing.T) {
	start := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Millisecond)
	clock := storetest.NewClock(start)
	s := openShared(t, clock)
	ctx := t.Context()
	player := "Eve_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	var evs []gamedata.Event
	for i := range 20 {
		at := clock.Advance(9 * time.Hour) // 20 events over about 8 days
		evs = append(evs, gamedata.Event{ID: gamedata.NewID(at), Player: player, Type: "tick", At: at,
			Data: []byte(fmt.Sprintf(`{"i":%d}`, i)), ExpiresAt: at.Add(gamedata.DefaultRetention)})
	}
	if err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r        gamedata.EventRange
		from, to int // want evs[from:to], newest first
	}{
		{gamedata.EventRange{}, 0, 20},
		{gamedata.EventRange{From: evs[3].At, To: evs[17].At}, 3, 17},
		{gamedata.EventRange{From: evs[3].At.Add(time.Millisecond), To: evs[17].At.Add(time.Millisecond)}, 4, 18},
		{gamedata.EventRange{From: evs[12].At}, 12, 20},
		{gamedata.EventRange{To: evs[5].At}, 0, 5},
	} {
		var got []string
		p := gamedata.PageRequest{Limit: 3}
		for {
			page, err := s.ListEvents(ctx, player, tc.r, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Items {
				got = append(got, string(e.Data))
			}
			if page.NextToken == "" {
				break
			}
			p.Token = page.NextToken
		}
		var want []string
		for i := tc.to - 1; i >= tc.from; i-- {
			want = append(want, string(evs[i].Data))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("events in [%d, %d):\n got %v\nwant %v", tc.from, tc.to, got, want)
		}
	}
}

// One call may carry up to 1000 events of many players, with up to 8 KiB of
// data each: the store splits them into batches Cassandra accepts.
func TestAppendManyLargeEvents(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	ctx := t.Context()
	prefix := "Crowd" + fmt.Sprint(time.Now().UnixNano()%1e9) + "_"
	data := `{"blob":"` + strings.Repeat("é", (gamedata.EventDataMaxSize-16)/2) + `"}`
	evs := make([]gamedata.Event, gamedata.EventBatchMax)
	for i := range evs {
		at := clock.Advance(time.Millisecond)
		evs[i] = gamedata.Event{ID: gamedata.NewID(at), Player: fmt.Sprint(prefix, i%50), Type: "big", At: at,
			Data: []byte(data), ExpiresAt: at.Add(time.Hour)}
	}
	if err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for p := range 50 {
		page, err := s.ListEvents(ctx, fmt.Sprint(prefix, p), gamedata.EventRange{}, gamedata.PageRequest{Limit: 100})
		if err != nil || len(page.Items) != 20 || page.NextToken != "" {
			t.Fatalf("player %d: %d events, next %q, %v; want 20", p, len(page.Items), page.NextToken, err)
		}
	}
}

func TestPageTokenOfAnotherList(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	ctx := t.Context()
	user := "Tok_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	for range 2 {
		at := clock.Advance(time.Millisecond)
		o := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "x", Amount: 1, Status: gamedata.OrderUnpaid,
			CreatedAt: at, UpdatedAt: at}
		if _, _, err := s.CreateOrder(ctx, o, ""); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.ListOrders(ctx, user, gamedata.PageRequest{Limit: 1})
	if err != nil || page.NextToken == "" {
		t.Fatalf("first page of 2 orders: next %q, %v", page.NextToken, err)
	}
	_, err = s.Inbox(ctx, user, gamedata.PageRequest{Token: page.NextToken})
	var v *gamedata.ValidationError
	if !errors.As(err, &v) || v.Fields[0].Field != "page_token" {
		t.Fatalf("inbox with an orders page token: %v, want an invalid page_token", err)
	}
}

func TestUnavailable(t *testing.T) {
	cfg := keyspace(t)
	down := cfg
	down.Hosts, down.ConnectTimeout = []string{"127.0.0.1:1"}, time.Second
	if _, err := cassandra.Open(t.Context(), down); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("open with no node listening: %v, want ErrUnavailable", err)
	}

	s, err := cassandra.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	_ = s.Close()
	if _, err := s.GetPlayer(t.Context(), "anyone"); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("get player after close: %v, want ErrUnavailable", err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("ping after close: %v, want ErrUnavailable", err)
	}
}

// A creator that claimed an idempotency key and died before writing its
// order: the next call with the key returns that order, and stores it.
func TestIdempotencyKeyOfACrashedCreator(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	ctx := t.Context()
	user, key := "Crash_"+fmt.Sprint(time.Now().UnixNano()%1e9), "checkout-1"
	at := clock.Advance(time.Millisecond)
	lost := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "lost sword", Amount: 3, Price: 12_34,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
	// The claim, as the store writes it, without the order row after it.
	err := s.Session().Query(`INSERT INTO order_keys (user_key, idempotency_key, id, user_name, item, amount, price,
		status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, gamedata.NameKey(user), key, [16]byte(lost.ID),
		lost.UserName, lost.Item, lost.Amount, int64(lost.Price), string(lost.Status), at, at).ExecContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetOrder(ctx, user, lost.ID); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("the order exists before the retry: %v", err)
	}

	retry := lost
	retry.ID, retry.Item = gamedata.NewID(clock.Advance(time.Millisecond)), "other sword"
	got, created, err := s.CreateOrder(ctx, retry, key)
	if err != nil || created || got != lost {
		t.Fatalf("retry: created=%v, %v\n got: %+v\nwant: %+v", created, err, got, lost)
	}
	if stored, err := s.GetOrder(ctx, user, lost.ID); err != nil || stored != lost {
		t.Fatalf("the claimed order after the retry: %+v, %v", stored, err)
	}
	page, err := s.ListOrders(ctx, user, gamedata.PageRequest{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("orders after the retry: %+v, %v; want the claimed one only", page.Items, err)
	}
}

// Names and keys come from URL paths, where any bytes may arrive; Cassandra
// refuses invalid UTF-8 in a text column, and the store answers as for any
// name that is not there.
func TestInvalidUTF8(t *testing.T) {
	s := openShared(t, storetest.NewClock(time.Now().Truncate(time.Millisecond)))
	ctx := t.Context()
	bad := "\xff\xfe"
	if _, err := s.GetPlayer(ctx, bad); !errors.Is(err, gamedata.ErrNotFound) {
		t.Errorf("get player %q: %v, want ErrNotFound", bad, err)
	}
	if _, err := s.GetMeta(ctx, bad); !errors.Is(err, gamedata.ErrNotFound) {
		t.Errorf("get meta %q: %v, want ErrNotFound", bad, err)
	}
	if err := s.PutMeta(ctx, gamedata.MetaDoc{Key: bad, Value: []byte(`{}`), UpdatedAt: time.Now()}); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("put meta %q: %v, want ErrInvalid", bad, err)
	}
	if page, err := s.Conversation(ctx, bad, "alice", gamedata.PageRequest{}); err != nil || len(page.Items) != 0 {
		t.Errorf("conversation of %q: %+v, %v; want an empty page", bad, page, err)
	}
}

// An import of a long history: one call with 1000 events of one player, a
// day apart, so 1000 index rows of one partition, more than a batch holds.
func TestAppendLongHistory(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	s := openShared(t, storetest.NewClock(now))
	ctx := t.Context()
	player := "Old_" + fmt.Sprint(now.UnixNano()%1e9)
	evs := make([]gamedata.Event, gamedata.EventBatchMax)
	for i := range evs {
		at := now.Add(-time.Duration(len(evs)-i) * 24 * time.Hour) // oldest first, kept forever
		evs[i] = gamedata.Event{ID: gamedata.NewID(at), Player: player, Type: "old", At: at, Data: []byte(fmt.Sprint(i))}
	}
	if err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	n, want := 0, len(evs)-1
	p := gamedata.PageRequest{Limit: gamedata.MaxPageLimit}
	for {
		page, err := s.ListEvents(ctx, player, gamedata.EventRange{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			if string(e.Data) != fmt.Sprint(want) {
				t.Fatalf("event %d of the history is %s, want %d", n, e.Data, want)
			}
			n, want = n+1, want-1
		}
		if page.NextToken == "" {
			break
		}
		p.Token = page.NextToken
	}
	if n != len(evs) {
		t.Fatalf("listed %d events of %d", n, len(evs))
	}
}

func TestSocialConformance(t *testing.T) {
	storetest.RunSocial(t, func(t *testing.T, clock gamedata.Clock, friendCap int) gamedata.Backend {
		cfg := keyspace(t)
		cfg.Clock = clock
		cfg.MaxFriends = friendCap
		return open(t, cfg).Backend()
	})
}

func TestRecsConformance(t *testing.T) {
	storetest.RunRecs(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openShared(t, clock).Backend()
	})
}

func TestBackupConformance(t *testing.T) {
	storetest.RunBackup(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openShared(t, clock).Backend()
	})
}
