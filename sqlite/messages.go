package sqlite

import (
	"context"
	"database/sql"

	"github.com/gamedata-dev/gamedata"
)

// Every message list is messageSelect, the list's own condition, then
// messageList: unexpired, below the cursor, newest first. Each list's own
// condition matches the leading columns of its index, which then serves the
// order and the cursor too.
const (
	messageSelect = `SELECT id, sender, receiver, text, created, expires FROM messages WHERE `
	messageList   = ` AND (created, id) < (:at, :id) AND expires > :now
		ORDER BY created DESC, id DESC LIMIT :limit`
)

func (s *Store) prepareMessages(p *preparer) {
	// A message sent again with its id is stored once, as Cassandra's
	// upsert would: a retried send or a resumed import is harmless.
	s.insertMessage = p.write(`INSERT INTO messages
		(id, sender_key, receiver_key, pair_lo, pair_hi, sender, receiver, text, created, expires)
		VALUES (:id, :sender_key, :receiver_key, :lo, :hi, :sender, :receiver, :text, :created, :expires)
		ON CONFLICT (id) DO NOTHING`)
	s.inbox = p.read(messageSelect + `receiver_key = :key` + messageList)
	s.sent = p.read(messageSelect + `sender_key = :key` + messageList)
	s.conversation = p.read(messageSelect + `pair_lo = :lo AND pair_hi = :hi` + messageList)
}

// pair returns the name keys of a and b in sorted order: the conversation's key.
func pair(a, b string) (lo, hi sql.NamedArg) {
	ka, kb := gamedata.NameKey(a), gamedata.NameKey(b)
	if kb < ka {
		ka, kb = kb, ka
	}
	return sql.Named("lo", ka), sql.Named("hi", kb)
}

func scanMessage(sc scanner) (m gamedata.Message, err error) {
	err = sc.Scan(&m.ID, &m.From, &m.To, &m.Text, (*unixNanos)(&m.CreatedAt), (*expiresNanos)(&m.ExpiresAt))
	return m, err
}

func messageCursor(m gamedata.Message) cursor { return cursor{at: nanos(m.CreatedAt), id: blob(m.ID)} }

// SendMessage stores m for its sender, its receiver and their conversation
// (one row, three indexes) until m.ExpiresAt, with its change record. A
// message sent again is stored once, and recorded once.
func (s *Store) SendMessage(ctx context.Context, m gamedata.Message) error {
	lo, hi := pair(m.From, m.To)
	sender := gamedata.NameKey(m.From)
	return s.write(ctx, "send message from "+m.From+" to "+m.To, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.insertMessage).ExecContext(ctx, sql.Named("id", blob(m.ID)),
			sql.Named("sender_key", sender), sql.Named("receiver_key", gamedata.NameKey(m.To)),
			lo, hi, sql.Named("sender", m.From), sql.Named("receiver", m.To), sql.Named("text", m.Text),
			sql.Named("created", nanos(m.CreatedAt)), sql.Named("expires", expiry(m.ExpiresAt)))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // 0: sent before, and recorded then
		}
		return s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangeMessage, Player: sender, Message: &m})
	})
}

// Inbox lists the messages player received, newest first.
func (s *Store) Inbox(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return list(ctx, s, "inbox of "+player, s.inbox, p, top, scanMessage, messageCursor,
		sql.Named("key", gamedata.NameKey(player)), s.now())
}

// Sent lists the messages player sent, newest first.
func (s *Store) Sent(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return list(ctx, s, "messages sent by "+player, s.sent, p, top, scanMessage, messageCursor,
		sql.Named("key", gamedata.NameKey(player)), s.now())
}

// Conversation lists the messages between a and b, both ways, newest first.
func (s *Store) Conversation(ctx context.Context, a, b string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	lo, hi := pair(a, b)
	return list(ctx, s, "conversation of "+a+" and "+b, s.conversation, p, top, scanMessage, messageCursor, lo, hi, s.now())
}
