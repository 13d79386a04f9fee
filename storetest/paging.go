package storetest

import (
	"fmt"

	"github.com/gamedata-dev/gamedata"
)

var pagingTests = []testCase{
	{"BadTokenIsInvalid", testBadPageToken},
}

// pageLimit is small so that the paging tests walk more than three pages.
const pageLimit = 3

// collect walks a list page by page with the given limit and returns every
// item in the order served. It checks what a caller relies on: no page is
// larger than asked, a page that promises more is not empty, and the walk
// ends.
func collect[T any](e *env, what string, limit int, fetch func(gamedata.PageRequest) (gamedata.Page[T], error)) []T {
	e.Helper()
	var all []T
	req := gamedata.PageRequest{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			e.Fatalf("%s: more than 1000 pages, the next page token never ends", what)
		}
		page, err := fetch(req)
		e.must(err, fmt.Sprintf("%s: page %d", what, pages+1))
		if len(page.Items) > limit {
			e.Fatalf("%s: page %d holds %d items, limit %d", what, pages+1, len(page.Items), limit)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all
		}
		if len(page.Items) == 0 {
			e.Fatalf("%s: page %d is empty but has a next page token", what, pages+1)
		}
		req.Token = page.NextToken
	}
}

// checkList compares a list with the expected one, item by item.
func checkList[T any](e *env, what string, got, want []T, equal func(a, b T) bool) {
	e.Helper()
	if len(got) != len(want) {
		e.Errorf("%s: got %d items, want %d\n got: %+v\nwant: %+v", what, len(got), len(want), got, want)
		return
	}
	for i := range got {
		check(e, fmt.Sprintf("%s: item %d", what, i), got[i], nil, want[i], equal)
	}
}

// reversed returns a reversed copy of items: tests write oldest first and
// lists are newest first.
func reversed[T any](items []T) []T {
	out := make([]T, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return out
}

func testBadPageToken(e *env) {
	a, b := e.name("Token"), e.name("Token")
	lists := map[string]func(gamedata.PageRequest) error{
		"orders": func(p gamedata.PageRequest) error {
			_, err := e.s.ListOrders(e.ctx, a, p)
			return err
		},
		"inbox": func(p gamedata.PageRequest) error {
			_, err := e.s.Inbox(e.ctx, a, p)
			return err
		},
		"sent": func(p gamedata.PageRequest) error {
			_, err := e.s.Sent(e.ctx, a, p)
			return err
		},
		"conversation": func(p gamedata.PageRequest) error {
			_, err := e.s.Conversation(e.ctx, a, b, p)
			return err
		},
		"events": func(p gamedata.PageRequest) error {
			_, err := e.s.ListEvents(e.ctx, a, gamedata.EventRange{}, p)
			return err
		},
	}
	for list, fetch := range lists {
		for _, token := range []string{"not a token!", "%%%", "é"} {
			err := fetch(gamedata.PageRequest{Limit: pageLimit, Token: token})
			e.wantErr(err, gamedata.ErrInvalid, fmt.Sprintf("%s with page token %q", list, token))
		}
	}
}
