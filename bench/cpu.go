package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// cpuMeter tells how many cores the server and bench itself kept busy
// over a stretch of time: on one machine they share the CPUs, and a
// reader of the results should know who used what.
type cpuMeter struct {
	at             time.Time
	server, client float64 // CPU seconds so far; server < 0: unknown
}

// readCPU reads the server's process_cpu_seconds_total from its metrics
// (unknown without MetricsURL, or if they do not say) and this process's
// CPU time.
func (r *runner) readCPU(ctx context.Context) cpuMeter {
	m := cpuMeter{at: time.Now(), server: -1, client: processCPU().Seconds()}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if r.cfg.MetricsURL == "" {
		return m
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.MetricsURL, nil)
	if err != nil {
		return m
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if mf := families["process_cpu_seconds_total"]; err == nil && mf != nil && len(mf.GetMetric()) == 1 {
		m.server = mf.GetMetric()[0].GetCounter().GetValue()
	}
	return m
}

// cores returns the cores the server and bench used on average from m to
// later; server is -1 when unknown.
func (m cpuMeter) cores(later cpuMeter) (server, client float64) {
	secs := later.at.Sub(m.at).Seconds()
	if secs <= 0 {
		return -1, 0
	}
	server = -1
	if m.server >= 0 && later.server >= 0 {
		server = (later.server - m.server) / secs
	}
	return server, (later.client - m.client) / secs
}

// perScenario returns the CPU time the server and bench spent from m to
// later for each of n scenarios (in microseconds); server is -1 when
// unknown.
func (m cpuMeter) perScenario(later cpuMeter, n int64) (server, client float64) {
	if n <= 0 {
		return -1, 0
	}
	server = -1
	if m.server >= 0 && later.server >= 0 {
		server = (later.server - m.server) / float64(n) * 1e6
	}
	return server, (later.client - m.client) / float64(n) * 1e6
}

// coresString shows the cores for the table.
func coresString(r *Result) string {
	if r.ServerCores < 0 {
		return fmt.Sprintf("server unknown cores, bench %.2f cores (%.0f µs a scenario)", r.ClientCores, r.ClientCPUPerScenario)
	}
	return fmt.Sprintf("server %.2f cores (%.0f µs a scenario), bench %.2f cores (%.0f µs a scenario)",
		r.ServerCores, r.ServerCPUPerScenario, r.ClientCores, r.ClientCPUPerScenario)
}
