package cassandra

import (
	"context"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// messageTable is one of the three copies of every message: by receiver,
// by sender, by conversation. Each is partitioned by its owner's keys and a
// ten-day bucket, newest id first.
type messageTable struct {
	timeline
	keys         int // how many of owner's keys the partition key holds
	insert, page *statement
}

// newMessageTable defines the statements of table, whose partition key is
// keyColumns and the bucket. The table names and columns are constants.
func newMessageTable(kind listKind, table string, keyColumns ...string) messageTable {
	cols := strings.Join(keyColumns, ", ")
	marks := strings.Repeat("?, ", len(keyColumns))
	where := strings.Join(keyColumns, " = ? AND ") + " = ?"
	return messageTable{
		timeline: timeline{kind: kind, table: table, width: messageBucket},
		keys:     len(keyColumns),
		insert: write(`INSERT INTO ` + table + ` (` + cols + `, bucket, id, sender, receiver, body, created, expires)
			VALUES (` + marks + `?, ?, ?, ?, ?, ?, ?) USING TTL ?`),
		page: read(`SELECT id, sender, receiver, body, created, expires FROM ` + table +
			` WHERE ` + where + ` AND bucket = ? AND id < ?`),
	}
}

var (
	inbox        = newMessageTable(inboxList, "messages_inbox", "player_key")
	sent         = newMessageTable(sentList, "messages_sent", "player_key")
	conversation = newMessageTable(conversationList, "messages_conversation", "pair_lo", "pair_hi")
)

// partition returns the bound values of o's partition key in bucket.
func (t messageTable) partition(o owner, bucket int32) []any {
	args := make([]any, 0, t.keys+1)
	for _, k := range o[:t.keys] {
		args = append(args, k)
	}
	return append(args, bucket)
}

// pairOf is the owner of the conversation of a and b: their name keys in
// sorted order, the same both ways.
func pairOf(a, b string) owner {
	ka, kb := key(a), key(b)
	if kb < ka {
		ka, kb = kb, ka
	}
	return owner{ka, kb}
}

// SendMessage stores m in the receiver's inbox, the sender's sent list and
// their conversation, with the bucket index rows that lead to them and its
// change record, in one LOGGED batch: all of it is stored, or (on error)
// none of it is visible for long, as the batch log replays a batch that
// reached it. Each row carries the TTL of m.ExpiresAt (the change record
// none: it goes once indexed).
func (s *Store) SendMessage(ctx context.Context, m gamedata.Message) error {
	now := s.clock.Now()
	bucket := bucketOf(m.CreatedAt, messageBucket)
	b := s.batch(gocql.LoggedBatch)
	for _, w := range []struct {
		t messageTable
		o owner
	}{
		{inbox, owner{key(m.To)}},
		{sent, owner{key(m.From)}},
		{conversation, pairOf(m.From, m.To)},
	} {
		b.add(w.t.insert, append(w.t.partition(w.o, bucket), [16]byte(m.ID), m.From, m.To, m.Text,
			m.CreatedAt, expiresValue(m.ExpiresAt), ttl(m.ExpiresAt, now))...)
		w.t.addBucket(b, w.o, m.CreatedAt, m.ExpiresAt, now)
	}
	logged, err := s.addLog(b, messageLog(m))
	if err != nil {
		return s.fail("send message from "+m.From+" to "+m.To, err)
	}
	recorded := s.addChange(b, gamedata.Change{Kind: gamedata.ChangeMessage, Player: key(m.From), Message: &m}, false)
	if err := b.exec(ctx); err != nil {
		return s.fail("send message from "+m.From+" to "+m.To, err)
	}
	recorded()
	logged()
	return nil
}

func scanMessage(sc gocql.Scanner) (m gamedata.Message, c cursor, expires time.Time, err error) {
	err = sc.Scan((*[16]byte)(&m.ID), &m.From, &m.To, &m.Text, &m.CreatedAt, &expires)
	m.ExpiresAt = expires
	return m, cursor{id: m.ID}, expires, err
}

// messages reads one page of table t of owner o.
func (s *Store) messages(ctx context.Context, op string, t messageTable, o owner, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	read := func(bucket int32, from *cursor, want int) *gocql.Iter {
		below := maxTimeUUID
		if from != nil {
			below = from.id
		}
		return s.query(t.page, append(t.partition(o, bucket), [16]byte(below))...).pageSize(want).iter(ctx)
	}
	return pageTimeline(ctx, s, op, t.timeline, o, firstBucket, lastBucket, p, read, scanMessage)
}

// Inbox lists the messages player received, newest first.
func (s *Store) Inbox(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return s.messages(ctx, "inbox of "+player, inbox, owner{key(player)}, p)
}

// Sent lists the messages player sent, newest first.
func (s *Store) Sent(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return s.messages(ctx, "messages sent by "+player, sent, owner{key(player)}, p)
}

// Conversation lists the messages between a and b, both ways, newest first.
func (s *Store) Conversation(ctx context.Context, a, b string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return s.messages(ctx, "conversation of "+a+" and "+b, conversation, pairOf(a, b), p)
}
