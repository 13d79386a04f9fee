// Package opensearch is the production search backend: it keeps the indices
// of players, orders and messages in OpenSearch (or Elasticsearch: only core
// APIs common to both are used), feeds them from the store's change feed
// (Indexer), runs their lifecycle itself (Lifecycle: templates, aliases,
// _rollover, delete index; no ILM or ISM plugin) and answers the complex
// queries (Searcher).
//
// Indices, aliases and templates, for a name prefix p (empty in production):
//
//	p+users                     alias on the one live users index
//	p+users-reindex             alias on the users index being rebuilt, if any
//	p+users-<YYYYMMDD-hhmmss>   users indices (ReindexUsers makes a new one)
//	p+orders                    read alias on every orders index
//	p+orders-write              rollover alias on the newest orders index
//	p+orders-<YYYY.MM>-<seq>    orders by the month they were created in
//	p+messages, p+messages-write
//	p+messages-<YYYY.MM.DD>-<seq> messages by the week (starting Monday, UTC)
//	                            they were sent in; deleted a year after it
package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	osgo "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/gamedata-dev/gamedata"
)

// Defaults of Config, the seed's production settings.
const (
	DefaultShards          = 3
	DefaultReplicas        = 2
	DefaultRefreshInterval = time.Second
	DefaultRequestTimeout  = 30 * time.Second
)

// Config says how to reach the cluster and how to shape new indices.
type Config struct {
	URLs     []string
	Username string
	Password string
	// CAFile is a PEM file of the authorities that sign the cluster's
	// certificate (empty: the system's).
	CAFile             string
	InsecureSkipVerify bool
	// Prefix starts every index, alias and template name, so that several
	// deployments (or test runs) can share one cluster.
	Prefix string
	// Shards, Replicas and RefreshInterval go into the index templates; they
	// apply to indices created afterwards. Zero Shards means 1; zero
	// RefreshInterval means DefaultRefreshInterval.
	Shards          int
	Replicas        int
	RefreshInterval time.Duration
	// RequestTimeout bounds one HTTP round trip (zero: DefaultRequestTimeout).
	RequestTimeout time.Duration
}

// Client is a connection to the cluster with the names of one deployment.
// It is safe for concurrent use.
type Client struct {
	api   *opensearchapi.Client
	cfg   Config
	names names
}

// Open makes a client. It does no I/O: the cluster may be down, and every
// call reports ErrUnavailable until it is back.
func Open(cfg Config) (*Client, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("opensearch: no URL")
	}
	if cfg.Shards == 0 {
		cfg.Shards = 1
	}
	if cfg.Shards < 0 || cfg.Replicas < 0 || cfg.RefreshInterval < 0 {
		return nil, fmt.Errorf("opensearch: shards %d, replicas %d and refresh interval %s must not be negative",
			cfg.Shards, cfg.Replicas, cfg.RefreshInterval)
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Prefix != strings.ToLower(cfg.Prefix) || strings.ContainsAny(cfg.Prefix, `*,"\/?<>| #:`) {
		return nil, fmt.Errorf("opensearch: prefix %q must be lower case without wildcards, separators or spaces", cfg.Prefix)
	}
	var ca []byte
	if cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("opensearch: read CA file: %w", err)
		}
	}
	api, err := opensearchapi.NewClient(opensearchapi.Config{Client: osgo.Config{
		Addresses:          cfg.URLs,
		Username:           cfg.Username,
		Password:           cfg.Password,
		CACert:             ca,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		// The callers retry with their own backoff (the indexer for as long
		// as it takes); a request path wants a quick 503 instead.
		DisableRetry:   true,
		RequestTimeout: cfg.RequestTimeout,
	}})
	if err != nil {
		return nil, fmt.Errorf("opensearch: client: %w", err)
	}
	return &Client{api: api, cfg: cfg, names: newNames(cfg.Prefix)}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error {
	if err := c.api.Close(); err != nil {
		return fmt.Errorf("opensearch: close: %w", err)
	}
	return nil
}

// Ping reports whether the cluster answers (ErrUnavailable if not).
func (c *Client) Ping(ctx context.Context) error {
	resp, err := c.api.Info(ctx, nil)
	return c.check("ping", resp, err)
}

// Refresh makes everything indexed so far searchable in every index of this
// deployment (tests and benchmarks use it; production relies on the
// refresh interval).
func (c *Client) Refresh(ctx context.Context) error {
	resp, err := c.api.Indices.Refresh(ctx, &opensearchapi.IndicesRefreshReq{
		Index:  []string{c.names.prefix + "*"},
		Params: opensearchapi.IndicesRefreshParams{AllowNoIndices: ptr(true)},
	})
	return c.check("refresh", resp, err)
}

// DeleteAll deletes every index and template of this deployment: test
// clean-up, never called by gamedata itself.
func (c *Client) DeleteAll(ctx context.Context) error {
	if c.names.prefix == "" {
		return errors.New("opensearch: refusing to delete everything without a prefix")
	}
	resp, err := c.api.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{
		Indices: []string{c.names.prefix + "*"},
		Params:  opensearchapi.IndicesDeleteParams{AllowNoIndices: ptr(true), ExpandWildcards: "all"},
	})
	if err := c.check("delete indices", resp, err); err != nil {
		return err
	}
	for _, t := range c.names.templates() {
		resp, err := c.api.IndexTemplate.Delete(ctx, opensearchapi.IndexTemplateDeleteReq{IndexTemplate: t})
		if err := c.check("delete template "+t, resp, err); err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
	}
	return nil
}

// Error is a refusal by the cluster: its HTTP status and error type.
type Error struct {
	Op     string
	Status int    // 0 when the cluster did not answer
	Type   string // e.g. resource_already_exists_exception
	Err    error
}

func (e *Error) Error() string { return "opensearch: " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Is makes a cluster that did not answer, or answered that it cannot serve
// now (429, 5xx), match gamedata.ErrUnavailable.
func (e *Error) Is(target error) bool {
	return target == gamedata.ErrUnavailable &&
		(e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500)
}

// isStatus reports whether err is a refusal with HTTP status code.
func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == code
}

// isType reports whether err is a refusal of the given error type.
func isType(err error, typ string) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == typ
}

// inspector is every typed response of the client.
type inspector interface{ Inspect() opensearchapi.Inspect }

// check turns the error of a call into an *Error with the status and type
// the cluster answered with, if it answered.
func (c *Client) check(op string, resp inspector, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	if resp != nil {
		if r := resp.Inspect().Response; r != nil {
			e.Status = r.StatusCode
		}
	}
	var se *osgo.StructError
	if errors.As(err, &se) {
		e.Type = se.Err.Type
		if e.Status == 0 {
			e.Status = se.Status
		}
	}
	if e.Status == 0 && errors.Is(err, context.Canceled) {
		return fmt.Errorf("opensearch: %s: %w", op, err)
	}
	return e
}

// jsonBody encodes v as a request body.
func jsonBody(v any) *bytes.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("opensearch: encode request body: %v", err)) // only our own maps and structs are encoded
	}
	return bytes.NewReader(b)
}

func ptr[T any](v T) *T { return &v }
