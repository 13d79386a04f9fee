package cache

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Result label values of gamedata_cache_requests_total.
const (
	Hit   = "hit"
	Miss  = "miss"
	Error = "error" // the cache failed or was skipped (Redis down): the store answered
)

// metrics are one kind's counters.
type metrics struct {
	hits, misses, errors              prometheus.Counter
	invalidations, invalidationErrors prometheus.Counter
}

type metricVecs struct {
	requests, invalidations *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metricVecs, error) {
	m := &metricVecs{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gamedata_cache_requests_total",
			Help: "Cached reads, by kind of value (player, meta, session) and result: hit, miss, or error (the cache failed or was skipped, and the store answered).",
		}, []string{"cache", "result"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gamedata_cache_invalidations_total",
			Help: "Cache entries invalidated after a write, by kind of value and result (ok, error).",
		}, []string{"cache", "result"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.invalidations} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("cache: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metricVecs) of(kind string) metrics {
	return metrics{
		hits:               m.requests.WithLabelValues(kind, Hit),
		misses:             m.requests.WithLabelValues(kind, Miss),
		errors:             m.requests.WithLabelValues(kind, Error),
		invalidations:      m.invalidations.WithLabelValues(kind, "ok"),
		invalidationErrors: m.invalidations.WithLabelValues(kind, "error"),
	}
}
