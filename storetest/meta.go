package storetest

import (
	"encoding/json"
	"strings"

	"github.com/gamedata-dev/gamedata"
)

var metaTests = []testCase{
	{"PutGetOverwrite", testMetaPutGet},
	{"LargeDocument", testMetaLarge},
}

func (e *env) putMeta(key, value string) gamedata.MetaDoc {
	e.Helper()
	d := gamedata.MetaDoc{Key: key, Value: json.RawMessage(value), UpdatedAt: e.tick()}
	e.must(e.s.PutMeta(e.ctx, d), "put meta "+key)
	return d
}

func (e *env) checkMeta(want gamedata.MetaDoc) {
	e.Helper()
	got, err := e.s.GetMeta(e.ctx, want.Key)
	e.must(err, "get meta "+want.Key)
	if got.Key != want.Key || !got.UpdatedAt.Equal(want.UpdatedAt) || !jsonEqual(got.Value, want.Value) {
		e.Errorf("get meta\n got: %s %v %s\nwant: %s %v %s", got.Key, got.UpdatedAt, got.Value, want.Key, want.UpdatedAt, want.Value)
	}
}

func testMetaPutGet(e *env) {
	key := "storetest/catalogue-" + randomHex(6)
	first := e.putMeta(key, `{ "name" : "Zoë's shop 🐉", "items": [ {"id": 1, "price": "1.50"} ], "open": true, "note": null }`)
	e.checkMeta(first)
	other := e.putMeta(key+".other", `["a", 1]`)

	second := e.putMeta(key, `{"name":"closed"}`)
	e.checkMeta(second) // the latest write wins, with its time
	e.checkMeta(other)  // and touches no other key

	_, err := e.s.GetMeta(e.ctx, key+".unknown")
	e.wantErr(err, gamedata.ErrNotFound, "get unknown meta key")
}

func testMetaLarge(e *env) {
	// Just under the API's limit of a document.
	filler := strings.Repeat("x", gamedata.MetaDocMaxSize-64)
	e.checkMeta(e.putMeta("storetest/large-"+randomHex(6), `{"filler":"`+filler+`"}`))
}
