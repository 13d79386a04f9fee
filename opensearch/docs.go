package opensearch

import (
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// Documents as indexed. Times are UTC with nanoseconds (date_nanos); keys
// are gamedata.NameKey forms, so that names match ignoring case.

type playerDoc struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	NameKey   string    `json:"name_key"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Age       *int      `json:"age,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newPlayerDoc(p gamedata.Player) playerDoc {
	return playerDoc{
		ID: p.ID, Name: p.Name, NameKey: gamedata.NameKey(p.Name), Email: p.Email, Phone: p.Phone, Age: p.Age,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
}

func (d playerDoc) player() gamedata.Player {
	return gamedata.Player{
		ID: d.ID, Name: d.Name, Email: d.Email, Phone: d.Phone, Age: d.Age,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

type orderDoc struct {
	ID         uuid.UUID            `json:"id"`
	UserName   string               `json:"user_name"`
	UserKey    string               `json:"user_key"`
	Item       string               `json:"item"`
	Amount     int                  `json:"amount"`
	PriceCents int64                `json:"price_cents"`
	TotalCents int64                `json:"total_cents"`
	TotalLimb0 int64                `json:"total_limb0"`
	TotalLimb1 int64                `json:"total_limb1"`
	TotalLimb2 int64                `json:"total_limb2"`
	Status     gamedata.OrderStatus `json:"status"`
	CreatedAt  time.Time            `json:"created_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
}

func newOrderDoc(o gamedata.Order) orderDoc {
	total := o.Price * gamedata.Money(o.Amount)
	limbs := gamedata.OrderTotalLimbsOf(total)
	return orderDoc{
		ID: o.ID, UserName: o.UserName, UserKey: gamedata.NameKey(o.UserName), Item: o.Item, Amount: o.Amount,
		PriceCents: int64(o.Price), TotalCents: int64(total), Status: o.Status,
		TotalLimb0: limbs[0], TotalLimb1: limbs[1], TotalLimb2: limbs[2],
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}
}

func (d orderDoc) order() gamedata.Order {
	return gamedata.Order{
		ID: d.ID, UserName: d.UserName, Item: d.Item, Amount: d.Amount, Price: gamedata.Money(d.PriceCents),
		Status: d.Status, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

type messageDoc struct {
	ID        uuid.UUID `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	FromKey   string    `json:"from_key"`
	ToKey     string    `json:"to_key"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

func newMessageDoc(m gamedata.Message) messageDoc {
	d := messageDoc{
		ID: m.ID, From: m.From, To: m.To, FromKey: gamedata.NameKey(m.From), ToKey: gamedata.NameKey(m.To),
		Text: m.Text, CreatedAt: m.CreatedAt.UTC(),
	}
	if !m.ExpiresAt.IsZero() {
		d.ExpiresAt = m.ExpiresAt.UTC()
	}
	return d
}

// version is the external version of a document made from a row changed at
// t: its time in microseconds. Writes use version_type=external_gte, so an
// older row never overwrites a newer one, while a row changed twice within
// one tick of the store's clock (Cassandra keeps milliseconds) is still
// written: the indexer reads the row after the change, so the later write
// carries the later state.
func version(t time.Time) int64 { return t.UnixMicro() }
