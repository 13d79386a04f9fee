package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// backendUpDesc describes gamedata_backend_up.
var backendUpDesc = prometheus.NewDesc("gamedata_backend_up",
	"Whether each backend (store, search, cache...) answered its readiness check at this scrape: 1 or 0.",
	[]string{"backend"}, nil)

// BackendUp is a collector that runs the readiness checks at every scrape
// and exports gamedata_backend_up{backend}: the checks of /readyz, as a
// metric an alert can watch even while no request fails (say, at night).
type BackendUp struct {
	checks  map[string]func(context.Context) error
	timeout time.Duration
}

// NewBackendUp returns a collector of checks (by backend name), each given
// up to timeout at every scrape.
func NewBackendUp(checks map[string]func(context.Context) error, timeout time.Duration) *BackendUp {
	return &BackendUp{checks: checks, timeout: timeout}
}

// Describe implements prometheus.Collector.
func (b *BackendUp) Describe(ch chan<- *prometheus.Desc) { ch <- backendUpDesc }

// Collect runs the checks at once and reports each.
func (b *BackendUp) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	var wg sync.WaitGroup
	for name, check := range b.checks {
		wg.Go(func() {
			up := 1.0
			if check(ctx) != nil {
				up = 0
			}
			ch <- prometheus.MustNewConstMetric(backendUpDesc, prometheus.GaugeValue, up, name)
		})
	}
	wg.Wait()
}
