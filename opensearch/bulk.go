package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// op is one write of a bulk request: a document into an index or alias.
type op struct {
	doc    *doc
	target string
	alias  bool // target is an alias: require it to be one
}

// refusal is a write of a bulk request that the cluster refused.
type refusal struct {
	op     op
	status int
	reason string
}

// bulk writes ops in one _bulk request, each as its document's external
// version (version_type=external_gte, see version). It returns the writes
// that were refused; a version conflict is no refusal: a newer version of
// the document is there already.
func (c *Client) bulk(ctx context.Context, ops []op) ([]refusal, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, o := range ops {
		meta := map[string]any{
			"_index": o.target, "_id": o.doc.id, "version": o.doc.version, "version_type": "external_gte",
		}
		if o.alias {
			meta["require_alias"] = true
		}
		if err := enc.Encode(map[string]any{"index": meta}); err != nil {
			return nil, fmt.Errorf("opensearch: encode bulk action: %w", err)
		}
		if err := enc.Encode(o.doc.source); err != nil {
			return nil, fmt.Errorf("opensearch: encode document %s: %w", o.doc.id, err)
		}
	}
	resp, err := c.api.Bulk(ctx, opensearchapi.BulkReq{Body: &body})
	if err := c.check("bulk", resp, err); err != nil {
		return nil, err
	}
	if len(resp.Items) != len(ops) {
		return nil, fmt.Errorf("opensearch: bulk answered %d items for %d writes", len(resp.Items), len(ops))
	}
	var refused []refusal
	for i, item := range resp.Items {
		r := item["index"]
		if r.Status < 300 || r.Status == 409 {
			continue
		}
		f := refusal{op: ops[i], status: r.Status}
		if r.Error != nil {
			f.reason = r.Error.Type + ": " + r.Error.Reason
		}
		refused = append(refused, f)
	}
	return refused, nil
}

// backoff is the pause before a retry: min doubled per attempt up to max,
// of which the upper half is random so that many clients do not retry in
// step.
type backoff struct{ min, max time.Duration }

func (b backoff) wait(attempt int) time.Duration {
	d := b.max
	if attempt < 30 {
		d = min(d, b.min<<attempt)
	}
	return d/2 + rand.N(d/2+1)
}

// retry runs fn until it succeeds, pausing b.wait between attempts and
// telling failed about each failure. It fails only when ctx ends.
func retry(ctx context.Context, b backoff, fn func(context.Context) error, failed func(attempt int, wait time.Duration, err error)) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := b.wait(attempt)
		failed(attempt+1, wait, err)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// sleep waits d or until ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
