package gamedata

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// gregorianOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const gregorianOffset = 0x01B21DD213814000

// NewID returns a time-based (version 1) UUID for t, the same kind of value
// as a Cassandra timeuuid. Clock sequence and node are random, so two ids
// made in the same 100 ns never collide (a timestamp alone would, see the
// seed's message ids). uuid.NewUUID cannot be used: it only knows "now", and
// migrated history and events carry their own time.
func NewID(t time.Time) uuid.UUID {
	var id uuid.UUID
	ticks := uint64(t.UnixNano()/100) + gregorianOffset
	binary.BigEndian.PutUint32(id[0:4], uint32(ticks))
	binary.BigEndian.PutUint16(id[4:6], uint16(ticks>>32))
	binary.BigEndian.PutUint16(id[6:8], uint16(ticks>>48)&0x0fff|0x1000)
	if _, err := rand.Read(id[8:]); err != nil {
		panic("gamedata: crypto/rand failed: " + err.Error())
	}
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	id[10] |= 0x01            // multicast bit: a random node, not a MAC
	return id
}

// IDTime returns the time a version 1 UUID was made at.
func IDTime(id uuid.UUID) time.Time {
	sec, nsec := id.Time().UnixTime()
	return time.Unix(sec, nsec).UTC()
}
