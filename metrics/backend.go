package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
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

// nodesDesc describes gamedata_store_nodes.
var nodesDesc = prometheus.NewDesc("gamedata_store_nodes",
	"Nodes of the primary store in this instance's data centre (region), by state (up, down), as the driver sees them.",
	[]string{"dc", "state"}, nil)

// Nodes is a collector of gamedata_store_nodes{dc,state}: with the label of
// every instance's data centre, a dashboard shows which region has lost
// nodes, and an alert can fire before a region loses its quorum.
type Nodes struct{ r gamedata.NodeReporter }

// NewNodes returns the collector of r's nodes.
func NewNodes(r gamedata.NodeReporter) *Nodes { return &Nodes{r: r} }

// Describe implements prometheus.Collector.
func (n *Nodes) Describe(ch chan<- *prometheus.Desc) { ch <- nodesDesc }

// Collect implements prometheus.Collector.
func (n *Nodes) Collect(ch chan<- prometheus.Metric) {
	c := n.r.LocalNodes()
	ch <- prometheus.MustNewConstMetric(nodesDesc, prometheus.GaugeValue, float64(c.Up), c.DC, "up")
	ch <- prometheus.MustNewConstMetric(nodesDesc, prometheus.GaugeValue, float64(c.Known-c.Up), c.DC, "down")
}

// NodesCheck is the readiness check of r's data centre: it fails while a
// node there is down. The region still serves (LOCAL_QUORUM needs a
// majority of the replicas), so serve makes it an optional check: /readyz
// says "degraded" under the data centre's name, and the store's own check
// fails only when no node answers.
func NodesCheck(r gamedata.NodeReporter) func(context.Context) error {
	return func(context.Context) error {
		n := r.LocalNodes()
		if n.Known == 0 || n.Up < n.Known {
			return fmt.Errorf("%d of %d nodes of data centre %s up", n.Up, n.Known, n.DC)
		}
		return nil
	}
}
