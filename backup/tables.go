package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// Table is one table of a backup: its Parquet row type (from the struct
// tags), how its rows are read from a store and how each is put back.
type Table interface {
	Name() string
	// dump writes every row src holds to w as a Parquet file.
	dump(ctx context.Context, src gamedata.BackupReader, w io.Writer, p *progress) (rows int64, sum uint64, err error)
	// restore puts the rows of the Parquet file path into t, workers at
	// once, and counts the rows left out as expired.
	restore(ctx context.Context, t Target, path string, workers int, p *progress) (restored, expired int64, sum uint64, err error)
	// tally counts and sums the rows src holds, as dump would write them.
	tally(ctx context.Context, src gamedata.BackupReader) (rows int64, sum uint64, err error)
	// any tells whether src holds a row of the table.
	any(ctx context.Context, src gamedata.BackupReader) (bool, error)
}

// Target is what a restore writes to: any store, through the methods the
// API uses, so that the store writes its indexes and change records as for
// any write (search and the archive then see the restored rows).
type Target struct {
	Store  gamedata.Store
	Social gamedata.SocialStore
	Clock  gamedata.Clock
}

// table is a Table of domain rows S, kept as Parquet rows R.
type table[S, R any] struct {
	name    string
	toRow   func(S) R
	fromRow func(R) (S, error)
	read    func(gamedata.BackupReader, context.Context, func(S) error) error
	// put restores one row.
	put func(ctx context.Context, t Target, s S) error
	// live tells whether a row is still to be restored at now (rows past
	// their expiry are not).
	live func(s S, now time.Time) bool
}

func (t *table[S, R]) Name() string { return t.name }

func (t *table[S, R]) dump(ctx context.Context, src gamedata.BackupReader, w io.Writer, p *progress) (int64, uint64, error) {
	pw := parquet.NewGenericWriter[R](w,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("gamedata", "backup", fmt.Sprint(FormatVersion)),
		parquet.KeyValueMetadata("gamedata.table", t.name))
	var rows int64
	var sum uint64
	buf := make([]R, 0, writeBatch)
	flush := func() error {
		_, err := pw.Write(buf)
		p.add(int64(len(buf)))
		buf = buf[:0]
		return err
	}
	err := t.read(src, ctx, func(s S) error {
		r := t.toRow(s)
		sum += checksum(r)
		rows++
		if buf = append(buf, r); len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return 0, 0, err
	}
	return rows, sum, pw.Close()
}

func (t *table[S, R]) restore(ctx context.Context, tgt Target, path string, workers int, p *progress) (int64, int64, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	pr := parquet.NewGenericReader[R](f)
	defer pr.Close()
	var restored, expired atomic.Int64
	var sum atomic.Uint64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	now := tgt.Clock.Now()
	buf := make([]R, writeBatch)
	for {
		n, rerr := pr.Read(buf)
		for _, r := range buf[:n] {
			s, err := t.fromRow(r)
			if err != nil {
				return 0, 0, 0, errors.Join(fmt.Errorf("%s: a bad row: %w", t.name, err), g.Wait())
			}
			if !t.live(s, now) {
				expired.Add(1)
				p.add(1)
				continue
			}
			sum.Add(checksum(r))
			g.Go(func() error {
				if err := t.put(gctx, tgt, s); err != nil {
					return fmt.Errorf("restore %s: %w", t.name, err)
				}
				restored.Add(1)
				p.add(1)
				return nil
			})
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, 0, 0, errors.Join(fmt.Errorf("read %s: %w", path, rerr), g.Wait())
		}
		if gctx.Err() != nil {
			break
		}
	}
	if err := g.Wait(); err != nil {
		return 0, 0, 0, err
	}
	return restored.Load(), expired.Load(), sum.Load(), ctx.Err()
}

// errFound stops the scan of any at the first row.
var errFound = errors.New("found a row")

func (t *table[S, R]) any(ctx context.Context, src gamedata.BackupReader) (bool, error) {
	err := t.read(src, ctx, func(S) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

func (t *table[S, R]) tally(ctx context.Context, src gamedata.BackupReader) (int64, uint64, error) {
	var rows int64
	var sum uint64
	err := t.read(src, ctx, func(s S) error {
		rows++
		sum += checksum(t.toRow(s))
		return ctx.Err()
	})
	return rows, sum, err
}

// The tables of a backup, in the order a restore writes them: players
// first, as the rows of the others belong to them.
var (
	Players = &table[gamedata.Player, PlayerRow]{name: "players", toRow: playerRow, fromRow: PlayerRow.player,
		read: gamedata.BackupReader.BackupPlayers, put: putPlayer, live: always[gamedata.Player]}
	APIKeys = &table[gamedata.APIKey, APIKeyRow]{name: "api_keys", toRow: apiKeyRow, fromRow: APIKeyRow.key,
		read: gamedata.BackupReader.BackupAPIKeys, put: putAPIKey, live: always[gamedata.APIKey]}
	Sessions = &table[gamedata.Session, SessionRow]{name: "sessions", toRow: sessionRow, fromRow: SessionRow.session,
		read: gamedata.BackupReader.BackupSessions, put: putSession,
		live: func(s gamedata.Session, now time.Time) bool { return until(s.ExpiresAt, now) }}
	Orders = &table[gamedata.BackupOrder, OrderRow]{name: "orders", toRow: orderRow, fromRow: OrderRow.order,
		read: gamedata.BackupReader.BackupOrders, put: putOrder, live: always[gamedata.BackupOrder]}
	Messages = &table[gamedata.Message, MessageRow]{name: "messages", toRow: messageRow, fromRow: MessageRow.message,
		read: gamedata.BackupReader.BackupMessages, put: putMessage,
		live: func(m gamedata.Message, now time.Time) bool { return until(m.ExpiresAt, now) }}
	Events = &table[gamedata.Event, EventRow]{name: "events", toRow: eventRow, fromRow: EventRow.event,
		read: gamedata.BackupReader.BackupEvents, put: putEvent,
		live: func(e gamedata.Event, now time.Time) bool { return until(e.ExpiresAt, now) }}
	Meta = &table[gamedata.MetaDoc, MetaRow]{name: "meta", toRow: metaRow, fromRow: MetaRow.doc,
		read: gamedata.BackupReader.BackupMeta, put: putMeta, live: always[gamedata.MetaDoc]}
	Friends = &table[gamedata.BackupFriend, FriendRow]{name: "friends", toRow: friendRow, fromRow: FriendRow.friend,
		read: gamedata.BackupReader.BackupFriends, put: putFriend, live: always[gamedata.BackupFriend]}
	Interests = &table[gamedata.BackupInterests, InterestsRow]{name: "interests", toRow: interestsRow,
		fromRow: InterestsRow.interests, read: gamedata.BackupReader.BackupInterests, put: putInterests,
		live: always[gamedata.BackupInterests]}
)

// Tables are every table of a backup, in restore order.
var Tables = []Table{Players, APIKeys, Sessions, Orders, Messages, Events, Meta, Friends, Interests}

func always[S any](S, time.Time) bool { return true }

// until tells whether a row that expires at expires (never when zero) is
// still live at now.
func until(expires, now time.Time) bool { return expires.IsZero() || expires.After(now) }

// Times are kept to the nanosecond (the SQLite store's precision; Cassandra
// keeps milliseconds), in UTC. Checksums see them to the millisecond, the
// precision every store keeps, so that a backup of one kind of store
// restored into the other checks out.

// PlayerRow is a player, password hash included: a backup is as secret as
// the store.
type PlayerRow struct {
	ID           string    `parquet:"player_id" json:"player_id"`
	Name         string    `parquet:"name" json:"name"`
	Email        string    `parquet:"email" json:"email"`
	Phone        string    `parquet:"phone" json:"phone"`
	Age          *int32    `parquet:"age,optional" json:"age"`
	PasswordHash string    `parquet:"password_hash" json:"password_hash"`
	CreatedAt    time.Time `parquet:"created_at,timestamp(nanosecond)" json:"created_at"`
	UpdatedAt    time.Time `parquet:"updated_at,timestamp(nanosecond)" json:"updated_at"`
}

func playerRow(p gamedata.Player) PlayerRow {
	r := PlayerRow{ID: p.ID.String(), Name: p.Name, Email: p.Email, Phone: p.Phone, PasswordHash: p.PasswordHash,
		CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.UpdatedAt)}
	if p.Age != nil {
		a := int32(*p.Age)
		r.Age = &a
	}
	return r
}

func (r PlayerRow) player() (gamedata.Player, error) {
	id, err := uuid.Parse(r.ID)
	p := gamedata.Player{ID: id, Name: r.Name, Email: r.Email, Phone: r.Phone, PasswordHash: r.PasswordHash,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Age != nil {
		a := int(*r.Age)
		p.Age = &a
	}
	return p, err
}

func putPlayer(ctx context.Context, t Target, p gamedata.Player) error {
	err := t.Store.CreatePlayer(ctx, p)
	if errors.Is(err, gamedata.ErrConflict) {
		// Restored already (a resumed restore), or the name is another
		// player's: the target was not empty.
		if got, gerr := t.Store.GetPlayer(ctx, p.Name); gerr == nil && got.ID == p.ID {
			return nil
		}
		return fmt.Errorf("player %s: the name is taken by another player in the target store", p.Name)
	}
	return err
}

// APIKeyRow is a server key, by the hash of its secret.
type APIKeyRow struct {
	ID        string     `parquet:"key_id" json:"key_id"`
	Name      string     `parquet:"name" json:"name"`
	Prefix    string     `parquet:"prefix" json:"prefix"`
	Hash      string     `parquet:"hash" json:"hash"`
	CreatedAt time.Time  `parquet:"created_at,timestamp(nanosecond)" json:"created_at"`
	RevokedAt *time.Time `parquet:"revoked_at,optional,timestamp(nanosecond)" json:"revoked_at"`
}

func apiKeyRow(k gamedata.APIKey) APIKeyRow {
	r := APIKeyRow{ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, Hash: k.Hash, CreatedAt: utc(k.CreatedAt)}
	if k.RevokedAt != nil {
		at := utc(*k.RevokedAt)
		r.RevokedAt = &at
	}
	return r
}

func (r APIKeyRow) key() (gamedata.APIKey, error) {
	id, err := uuid.Parse(r.ID)
	return gamedata.APIKey{ID: id, Name: r.Name, Prefix: r.Prefix, Hash: r.Hash, CreatedAt: r.CreatedAt,
		RevokedAt: r.RevokedAt}, err
}

func putAPIKey(ctx context.Context, t Target, k gamedata.APIKey) error {
	revoked := k.RevokedAt
	k.RevokedAt = nil
	if err := t.Store.CreateAPIKey(ctx, k); err != nil && !restoredAlready(ctx, t, k) {
		return err
	}
	if revoked != nil {
		return t.Store.RevokeAPIKey(ctx, k.ID, *revoked)
	}
	return nil
}

// restoredAlready tells whether key k is in the target already.
func restoredAlready(ctx context.Context, t Target, k gamedata.APIKey) bool {
	got, err := t.Store.GetAPIKey(ctx, k.Hash)
	return err == nil && got.ID == k.ID
}

// SessionRow is a player session, by the hash of its token.
type SessionRow struct {
	TokenHash  string    `parquet:"token_hash" json:"token_hash"`
	PlayerID   string    `parquet:"player_id" json:"player_id"`
	PlayerName string    `parquet:"player_name" json:"player_name"`
	CreatedAt  time.Time `parquet:"created_at,timestamp(nanosecond)" json:"created_at"`
	ExpiresAt  time.Time `parquet:"expires_at,timestamp(nanosecond)" json:"expires_at"`
}

func sessionRow(s gamedata.Session) SessionRow {
	return SessionRow{TokenHash: s.TokenHash, PlayerID: s.PlayerID.String(), PlayerName: s.PlayerName,
		CreatedAt: utc(s.CreatedAt), ExpiresAt: utc(s.ExpiresAt)}
}

func (r SessionRow) session() (gamedata.Session, error) {
	id, err := uuid.Parse(r.PlayerID)
	return gamedata.Session{TokenHash: r.TokenHash, PlayerID: id, PlayerName: r.PlayerName, CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt}, err
}

func putSession(ctx context.Context, t Target, s gamedata.Session) error {
	err := t.Store.CreateSession(ctx, s)
	if errors.Is(err, gamedata.ErrConflict) {
		return nil // restored already
	}
	return err
}

// OrderRow is an order as it stands, with the idempotency key it was made
// with ("" for none). Money is DECIMAL(18,2), stored as integer cents.
type OrderRow struct {
	ID             string    `parquet:"order_id" json:"order_id"`
	UserName       string    `parquet:"user_name" json:"user_name"`
	Item           string    `parquet:"item" json:"item"`
	Amount         int32     `parquet:"amount" json:"amount"`
	Price          int64     `parquet:"price,decimal(2:18)" json:"price"`
	Status         string    `parquet:"status" json:"status"`
	CreatedAt      time.Time `parquet:"created_at,timestamp(nanosecond)" json:"created_at"`
	UpdatedAt      time.Time `parquet:"updated_at,timestamp(nanosecond)" json:"updated_at"`
	IdempotencyKey string    `parquet:"idempotency_key" json:"idempotency_key"`
}

func orderRow(o gamedata.BackupOrder) OrderRow {
	return OrderRow{ID: o.ID.String(), UserName: o.UserName, Item: o.Item, Amount: int32(o.Amount),
		Price: int64(o.Price), Status: string(o.Status), CreatedAt: utc(o.CreatedAt), UpdatedAt: utc(o.UpdatedAt),
		IdempotencyKey: o.IdempotencyKey}
}

func (r OrderRow) order() (gamedata.BackupOrder, error) {
	id, err := uuid.Parse(r.ID)
	return gamedata.BackupOrder{Order: gamedata.Order{ID: id, UserName: r.UserName, Item: r.Item, Amount: int(r.Amount),
		Price: gamedata.Money(r.Price), Status: gamedata.OrderStatus(r.Status), CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt}, IdempotencyKey: r.IdempotencyKey}, err
}

// putOrder writes the order as it stands, paid or not: a paid order is
// created paid (with its payment's time), so that no payment is replayed.
func putOrder(ctx context.Context, t Target, o gamedata.BackupOrder) error {
	_, _, err := t.Store.CreateOrder(ctx, o.Order, o.IdempotencyKey)
	if errors.Is(err, gamedata.ErrConflict) {
		if got, gerr := t.Store.GetOrder(ctx, o.UserName, o.ID); gerr == nil && got.ID == o.ID {
			return nil // restored already
		}
	}
	return err
}

// MessageRow is a message, with its expiry (none: it never expires).
type MessageRow struct {
	ID        string     `parquet:"message_id" json:"message_id"`
	Sender    string     `parquet:"sender" json:"sender"`
	Receiver  string     `parquet:"receiver" json:"receiver"`
	Text      string     `parquet:"text" json:"text"`
	CreatedAt time.Time  `parquet:"created_at,timestamp(nanosecond)" json:"created_at"`
	ExpiresAt *time.Time `parquet:"expires_at,optional,timestamp(nanosecond)" json:"expires_at"`
}

func messageRow(m gamedata.Message) MessageRow {
	return MessageRow{ID: m.ID.String(), Sender: m.From, Receiver: m.To, Text: m.Text, CreatedAt: utc(m.CreatedAt),
		ExpiresAt: expiry(m.ExpiresAt)}
}

func (r MessageRow) message() (gamedata.Message, error) {
	id, err := uuid.Parse(r.ID)
	return gamedata.Message{ID: id, From: r.Sender, To: r.Receiver, Text: r.Text, CreatedAt: r.CreatedAt,
		ExpiresAt: fromExpiry(r.ExpiresAt)}, err
}

func putMessage(ctx context.Context, t Target, m gamedata.Message) error {
	return t.Store.SendMessage(ctx, m) // a message sent again is stored once
}

// EventRow is an event, its JSON payload a string column.
type EventRow struct {
	ID        string     `parquet:"event_id" json:"event_id"`
	Player    string     `parquet:"player" json:"player"`
	Type      string     `parquet:"type" json:"type"`
	At        time.Time  `parquet:"at,timestamp(nanosecond)" json:"at"`
	Data      *string    `parquet:"data,optional" json:"data"`
	ExpiresAt *time.Time `parquet:"expires_at,optional,timestamp(nanosecond)" json:"expires_at"`
}

func eventRow(e gamedata.Event) EventRow {
	r := EventRow{ID: e.ID.String(), Player: e.Player, Type: e.Type, At: utc(e.At), ExpiresAt: expiry(e.ExpiresAt)}
	if len(e.Data) > 0 {
		s := string(compactJSON(e.Data))
		r.Data = &s
	}
	return r
}

func (r EventRow) event() (gamedata.Event, error) {
	id, err := uuid.Parse(r.ID)
	e := gamedata.Event{ID: id, Player: r.Player, Type: r.Type, At: r.At, ExpiresAt: fromExpiry(r.ExpiresAt)}
	if r.Data != nil {
		e.Data = json.RawMessage(*r.Data)
	}
	return e, err
}

func putEvent(ctx context.Context, t Target, e gamedata.Event) error {
	return t.Store.AppendEvents(ctx, []gamedata.Event{e}) // an event appended again is stored once
}

// MetaRow is a metadata document.
type MetaRow struct {
	Key       string    `parquet:"key" json:"key"`
	Value     string    `parquet:"value" json:"value"`
	UpdatedAt time.Time `parquet:"updated_at,timestamp(nanosecond)" json:"updated_at"`
}

func metaRow(d gamedata.MetaDoc) MetaRow {
	return MetaRow{Key: d.Key, Value: string(compactJSON(d.Value)), UpdatedAt: utc(d.UpdatedAt)}
}

func (r MetaRow) doc() (gamedata.MetaDoc, error) {
	return gamedata.MetaDoc{Key: r.Key, Value: json.RawMessage(r.Value), UpdatedAt: r.UpdatedAt}, nil
}

func putMeta(ctx context.Context, t Target, d gamedata.MetaDoc) error { return t.Store.PutMeta(ctx, d) }

// FriendRow is one side of a friendship: player (a name key) has friend
// (a display name) since a time.
type FriendRow struct {
	Player string    `parquet:"player_key" json:"player_key"`
	Friend string    `parquet:"friend" json:"friend"`
	Since  time.Time `parquet:"since,timestamp(nanosecond)" json:"since"`
}

func friendRow(f gamedata.BackupFriend) FriendRow {
	return FriendRow{Player: f.Player, Friend: f.Friend, Since: utc(f.Since)}
}

func (r FriendRow) friend() (gamedata.BackupFriend, error) {
	return gamedata.BackupFriend{Player: r.Player, Friend: r.Friend, Since: r.Since}, nil
}

// putFriend makes the friendship from the side of the smaller name key:
// one call writes both sides; the other side's row changes nothing.
func putFriend(ctx context.Context, t Target, f gamedata.BackupFriend) error {
	if gamedata.NameKey(f.Friend) < f.Player {
		return nil
	}
	return t.Social.AddFriend(ctx, f.Player, f.Friend, f.Since)
}

// InterestsRow is a player's interest tags.
type InterestsRow struct {
	Player    string    `parquet:"player_key" json:"player_key"`
	Tags      []string  `parquet:"tags,list" json:"tags"`
	UpdatedAt time.Time `parquet:"updated_at,timestamp(nanosecond)" json:"updated_at"`
}

func interestsRow(in gamedata.BackupInterests) InterestsRow {
	return InterestsRow{Player: in.Player, Tags: in.Tags, UpdatedAt: utc(in.UpdatedAt)}
}

func (r InterestsRow) interests() (gamedata.BackupInterests, error) {
	return gamedata.BackupInterests{Player: r.Player, Interests: gamedata.Interests{Tags: r.Tags, UpdatedAt: r.UpdatedAt}}, nil
}

func putInterests(ctx context.Context, t Target, in gamedata.BackupInterests) error {
	return t.Social.SetInterests(ctx, in.Player, in.Tags, in.UpdatedAt)
}

func utc(t time.Time) time.Time { return t.UTC() }

func expiry(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromExpiry(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// compactJSON drops insignificant space, so that a document is kept the
// same whichever store held it.
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}
