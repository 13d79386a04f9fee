package metrics

import "github.com/prometheus/client_golang/prometheus"

// Archive is what the archive job exports:
//
//	gamedata_archive_days_missing      closed days the hot store holds whole, some table of which has no archive copy
//	gamedata_archive_days_expiring     of those, the days whose rows begin to expire within the warning
//	gamedata_archive_rows_total{table} rows archived by this process
type Archive struct {
	missing, expiring prometheus.Gauge
	rows              *prometheus.CounterVec
}

// NewArchive registers the archive metrics with reg.
func NewArchive(reg prometheus.Registerer) (*Archive, error) {
	missing, err := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gamedata_archive_days_missing",
		Help: "Closed days the hot store holds whole of which some table has no archive copy yet.",
	}))
	if err != nil {
		return nil, err
	}
	expiring, err := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gamedata_archive_days_expiring",
		Help: "Days without a whole archive copy whose hot rows begin to expire within the warning (30 days): they will be lost.",
	}))
	if err != nil {
		return nil, err
	}
	rows, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gamedata_archive_rows_total",
		Help: "Rows written to the archive, by table.",
	}, []string{"table"}))
	if err != nil {
		return nil, err
	}
	return &Archive{missing: missing, expiring: expiring, rows: rows}, nil
}

// Status sets the days missing and expiring.
func (a *Archive) Status(missing, expiring int) {
	a.missing.Set(float64(missing))
	a.expiring.Set(float64(expiring))
}

// Archived counts n rows written to table.
func (a *Archive) Archived(table string, n int64) { a.rows.WithLabelValues(table).Add(float64(n)) }
