package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// The archive's tables: one row type each (its Parquet schema comes from
// the struct tags) and how a day of it is read from the store. To add a
// table, see "Adding a table" in docs/archive.md: a HistoryReader method on
// every store, a row type and one entry here.
var (
	Players = newTable("players", playerRow, func(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, fn func(gamedata.Player) error) error {
		return src.PlayerChanges(ctx, d, fn)
	})
	Orders = newTable("orders", orderRow, func(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, fn func(gamedata.OrderChange) error) error {
		return src.OrderChanges(ctx, d, fn)
	})
	Messages = newTable("messages", messageRow, func(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, fn func(gamedata.Message) error) error {
		return src.MessagesSent(ctx, d, fn)
	})
	Events = newTable("events", eventRow, func(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, fn func(gamedata.Event) error) error {
		return src.EventsStored(ctx, d, fn)
	})
)

// Tables are every table the archive keeps, in the order a day writes them.
var Tables = []Table{Players, Orders, Messages, Events}

// TableNamed returns the table called name.
func TableNamed(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name() == name {
			return t, true
		}
	}
	return nil, false
}

// Timestamps are microseconds, UTC (Parquet's TIMESTAMP(MICROS,true)):
// what DuckDB, Athena, Spark and Trino all read as a timestamp.

// PlayerRow is a player as a day's last change left it. No password hash
// and no token is ever archived.
type PlayerRow struct {
	PlayerID  string    `parquet:"player_id" json:"player_id"`
	Name      string    `parquet:"name" json:"name"`
	Email     string    `parquet:"email" json:"email"`
	Phone     string    `parquet:"phone" json:"phone"`
	Age       *int32    `parquet:"age,optional" json:"age"`
	CreatedAt time.Time `parquet:"created_at,timestamp(microsecond)" json:"created_at"`
	UpdatedAt time.Time `parquet:"updated_at,timestamp(microsecond)" json:"updated_at"`
}

func playerRow(p gamedata.Player) PlayerRow {
	r := PlayerRow{PlayerID: p.ID.String(), Name: p.Name, Email: p.Email, Phone: p.Phone,
		CreatedAt: micros(p.CreatedAt), UpdatedAt: micros(p.UpdatedAt)}
	if p.Age != nil {
		a := int32(*p.Age)
		r.Age = &a
	}
	return r
}

// OrderRow is one change of an order: its creation or its payment. Money
// is DECIMAL(18,2), stored as integer cents.
type OrderRow struct {
	OrderID   string    `parquet:"order_id" json:"order_id"`
	UserName  string    `parquet:"user_name" json:"user_name"`
	Item      string    `parquet:"item" json:"item"`
	Amount    int32     `parquet:"amount" json:"amount"`
	Price     int64     `parquet:"price,decimal(2:18)" json:"price"`
	Status    string    `parquet:"status" json:"status"`
	ChangedAt time.Time `parquet:"changed_at,timestamp(microsecond)" json:"changed_at"`
	CreatedAt time.Time `parquet:"created_at,timestamp(microsecond)" json:"created_at"`
}

func orderRow(c gamedata.OrderChange) OrderRow {
	return OrderRow{OrderID: c.ID.String(), UserName: c.UserName, Item: c.Item, Amount: int32(c.Amount),
		Price: int64(c.Price), Status: string(c.Status), ChangedAt: micros(c.At), CreatedAt: micros(c.CreatedAt)}
}

// MessageRow is one message.
type MessageRow struct {
	MessageID string    `parquet:"message_id" json:"message_id"`
	Sender    string    `parquet:"sender" json:"sender"`
	Receiver  string    `parquet:"receiver" json:"receiver"`
	Text      string    `parquet:"text" json:"text"`
	CreatedAt time.Time `parquet:"created_at,timestamp(microsecond)" json:"created_at"`
}

func messageRow(m gamedata.Message) MessageRow {
	return MessageRow{MessageID: m.ID.String(), Sender: m.From, Receiver: m.To, Text: m.Text,
		CreatedAt: micros(m.CreatedAt)}
}

// EventRow is one event; its JSON payload is a string column (DuckDB:
// data::JSON, Athena: json_extract(data, '$.x')).
type EventRow struct {
	EventID string    `parquet:"event_id" json:"event_id"`
	Player  string    `parquet:"player" json:"player"`
	Type    string    `parquet:"type" json:"type"`
	At      time.Time `parquet:"at,timestamp(microsecond)" json:"at"`
	Data    *string   `parquet:"data,optional" json:"data"`
}

func eventRow(e gamedata.Event) EventRow {
	r := EventRow{EventID: e.ID.String(), Player: e.Player, Type: e.Type, At: micros(e.At)}
	if len(e.Data) > 0 {
		s := string(compactJSON(e.Data))
		r.Data = &s
	}
	return r
}

// compactJSON drops insignificant space, so that a payload is archived the
// same whichever store kept it.
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func micros(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
