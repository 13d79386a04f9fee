package opensearch

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// templatePriority outranks the default (0) so that our templates win over
// catch-all ones an operator may have.
const templatePriority = 200

// Field types shared by the mappings. Times are date_nanos so that lists
// sort (and page) exactly as the SQL search does, by the nanosecond.
var (
	keyword   = map[string]any{"type": "keyword"}
	longType  = map[string]any{"type": "long"}
	intType   = map[string]any{"type": "integer"}
	nanosType = map[string]any{"type": "date_nanos"}
	// stored only: never searched, so not indexed.
	storedKeyword = map[string]any{"type": "keyword", "index": false, "doc_values": false}
)

// mappings of each family. "strict" makes a document with a field we did not
// map fail loudly instead of growing the mapping.
var (
	usersMapping = map[string]any{"dynamic": "strict", "properties": map[string]any{
		"id":       keyword,
		"name":     storedKeyword,
		"name_key": keyword,
		// The built-in lowercase normalizer (core, no analysis plugin) makes
		// term queries on email ignore case.
		"email":      map[string]any{"type": "keyword", "normalizer": "lowercase"},
		"phone":      keyword,
		"age":        intType,
		"created_at": nanosType,
		"updated_at": nanosType,
	}}
	ordersMapping = map[string]any{"dynamic": "strict", "properties": map[string]any{
		"id":          keyword,
		"user_name":   storedKeyword,
		"user_key":    keyword,
		"item":        keyword,
		"amount":      intType,
		"price_cents": longType,
		// total_cents = price_cents * amount; the revenue query sums its
		// limbs (see limbFields), exactly. An order indexed before the limbs
		// were has total_cents only.
		"total_cents": longType,
		"total_limb0": longType,
		"total_limb1": longType,
		"total_limb2": longType,
		"status":      keyword,
		"created_at":  nanosType,
		"updated_at":  nanosType,
	}}
	messagesMapping = map[string]any{"dynamic": "strict", "properties": map[string]any{
		"id":         keyword,
		"from":       storedKeyword,
		"to":         storedKeyword,
		"from_key":   keyword,
		"to_key":     keyword,
		"text":       map[string]any{"type": "text"},
		"created_at": nanosType,
		"expires_at": nanosType,
	}}
)

// putTemplates creates or updates the index templates. They shape every
// index created afterwards, whoever creates it (Setup, the indexer, the
// lifecycle's _rollover or reindex).
func (c *Client) putTemplates(ctx context.Context) error {
	settings := map[string]any{
		"number_of_shards":   c.cfg.Shards,
		"number_of_replicas": c.cfg.Replicas,
		"refresh_interval":   fmt.Sprintf("%dms", c.cfg.RefreshInterval.Milliseconds()),
	}
	// No alias in the templates: an index joins its read alias only once its
	// primary shards are active (createIndex), because a search through an
	// alias whose only index is still starting fails whole (503).
	templates := []struct {
		name, pattern string
		mapping       map[string]any
	}{
		{c.names.users, c.names.usersPattern(), usersMapping},
		{c.names.orders.base, c.names.orders.pattern(), ordersMapping},
		{c.names.messages.base, c.names.messages.pattern(), messagesMapping},
	}
	for _, t := range templates {
		if err := c.putMapping(ctx, t.pattern, t.mapping); err != nil {
			return err
		}
		tmpl := map[string]any{"settings": settings, "mappings": t.mapping}
		body := map[string]any{
			"index_patterns": []string{t.pattern},
			"priority":       templatePriority,
			"template":       tmpl,
			"_meta":          map[string]any{"managed_by": "gamedata"},
		}
		resp, err := c.api.IndexTemplate.Create(ctx, opensearchapi.IndexTemplateCreateReq{IndexTemplate: t.name, Body: jsonBody(body)})
		if err := c.check("put index template "+t.name, resp, err); err != nil {
			return err
		}
	}
	return nil
}

// putMapping adds the fields of mapping that the indices of pattern made
// by an older version lack (a strict mapping would refuse documents with
// them). Adding fields is all a mapping update may do: a field whose type
// changed fails here, loudly.
func (c *Client) putMapping(ctx context.Context, pattern string, mapping map[string]any) error {
	resp, err := c.api.Indices.Mapping.Put(ctx, opensearchapi.MappingPutReq{
		Indices: []string{pattern}, Body: jsonBody(mapping),
		Params: opensearchapi.MappingPutParams{AllowNoIndices: ptr(true)},
	})
	return c.check("put mapping of "+pattern, resp, err)
}

// Setup puts the index templates and makes the users index and alias if
// there are none. It is idempotent: the indexer runs it at every start.
// The orders and messages indices are made by the indexer on demand and by
// the lifecycle.
func (c *Client) Setup(ctx context.Context) error {
	if err := c.putTemplates(ctx); err != nil {
		return err
	}
	indices, err := c.aliases(ctx, c.names.usersPattern())
	if err != nil {
		return err
	}
	for _, aliases := range indices {
		if slices.Contains(aliases, c.names.users) {
			return nil
		}
	}
	// The first users index has a fixed name, older than any reindex's: two
	// processes setting up at once make (and alias) the same index, not two.
	return c.createIndex(ctx, c.names.usersIndex(time.Time{}), c.names.users)
}

// createIndex creates index (shaped by its template), waits until its
// primary shards are active, and only then gives it the aliases (every
// caller names at least one): a search
// through an alias never reaches an index that cannot answer yet. An index
// that exists already is not an error: several processes may race to create
// the same one, or a crash may have left one without its aliases.
func (c *Client) createIndex(ctx context.Context, index string, aliases ...string) error {
	resp, err := c.api.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index})
	err = c.check("create index "+index, resp, err)
	if err != nil && !isType(err, "resource_already_exists_exception") {
		return err
	}
	return c.aliasWhenActive(ctx, index, aliases...)
}

// aliasWhenActive waits until the primary shards of index are active, then
// adds it to aliases.
func (c *Client) aliasWhenActive(ctx context.Context, index string, aliases ...string) error {
	health, err := c.api.Cluster.Health(ctx, &opensearchapi.ClusterHealthReq{
		Indices: []string{index},
		// Under the request timeout, so that the cluster answers first (408
		// when the shards are not active by then: the caller tries again).
		// Not wait_for_status: a new index whose primaries are still
		// starting is already yellow. An unassigned replica (a node down)
		// is not initializing, so it does not hold the alias back.
		Params: opensearchapi.ClusterHealthParams{WaitForActiveShards: strconv.Itoa(c.cfg.Shards), WaitForNoInitializingShards: ptr(true),
			Timeout: c.cfg.RequestTimeout / 2},
	})
	if err := c.check("wait for index "+index, health, err); err != nil {
		return err
	}
	actions := make([]aliasAction, len(aliases))
	for i, a := range aliases {
		actions[i] = aliasAction{add: true, index: index, alias: a}
	}
	return c.updateAliases(ctx, "alias "+index, actions...)
}

// aliases lists the indices matching patterns with the aliases of each.
func (c *Client) aliases(ctx context.Context, patterns ...string) (map[string][]string, error) {
	resp, err := c.api.Indices.Alias.Get(ctx, opensearchapi.AliasGetReq{
		Indices: patterns,
		Params:  opensearchapi.AliasGetParams{AllowNoIndices: ptr(true), ExpandWildcards: "open"},
	})
	if err := c.check("list indices", resp, err); err != nil {
		if isStatus(err, http.StatusNotFound) {
			return map[string][]string{}, nil
		}
		return nil, err
	}
	out := map[string][]string{}
	for index, v := range resp.GetIndices() {
		as := make([]string, 0, len(v.Aliases))
		for a := range v.Aliases {
			as = append(as, a)
		}
		out[index] = as
	}
	return out, nil
}

// aliasAction is one action of an atomic _aliases call.
type aliasAction struct {
	add    bool
	index  string
	alias  string
	delete bool // remove_index: delete the index in the same atomic call
}

// updateAliases applies actions atomically: readers see all or none of them.
func (c *Client) updateAliases(ctx context.Context, op string, actions ...aliasAction) error {
	list := make([]map[string]any, 0, len(actions))
	for _, a := range actions {
		switch {
		case a.delete:
			list = append(list, map[string]any{"remove_index": map[string]any{"index": a.index}})
		case a.add:
			list = append(list, map[string]any{"add": map[string]any{"index": a.index, "alias": a.alias}})
		default:
			list = append(list, map[string]any{"remove": map[string]any{"index": a.index, "alias": a.alias}})
		}
	}
	resp, err := c.api.Aliases(ctx, opensearchapi.AliasesReq{Body: jsonBody(map[string]any{"actions": list})})
	return c.check(op, resp, err)
}

// deleteIndices deletes the named indices (never a pattern).
func (c *Client) deleteIndices(ctx context.Context, indices ...string) error {
	resp, err := c.api.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{
		Indices: indices,
		Params:  opensearchapi.IndicesDeleteParams{IgnoreUnavailable: ptr(true)},
	})
	return c.check(fmt.Sprintf("delete indices %v", indices), resp, err)
}
