package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Job counts the runs of one background job (purge, indexer, lifecycle...)
// and remembers when it last succeeded, so that an alert can tell a job
// that stopped succeeding from one that merely has nothing to do.
type Job struct {
	name        string
	ok, failed  prometheus.Counter
	lastSuccess *prometheus.GaugeVec // its series is made at the first success
}

// NewJob registers the job metrics with reg (or takes the ones registered
// there already: every job of a process shares them) and returns the
// counters of job name:
//
//	gamedata_job_runs_total{job_name,result="ok"|"error"}
//	gamedata_job_last_success_timestamp_seconds{job_name}
//
// The run counters start at 0; the timestamp appears after the first
// success. The label is job_name, not job, which Prometheus gives every
// scraped series (the scrape job's name) and would rename ours to
// exported_job.
func NewJob(reg prometheus.Registerer, name string) (*Job, error) {
	runs, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gamedata_job_runs_total",
		Help: "Runs of background jobs (purge, indexer, lifecycle...), by job_name and result (ok, error).",
	}, []string{"job_name", "result"}))
	if err != nil {
		return nil, err
	}
	last, err := register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gamedata_job_last_success_timestamp_seconds",
		Help: "When each background job last succeeded, in Unix seconds.",
	}, []string{"job_name"}))
	if err != nil {
		return nil, err
	}
	return &Job{
		name:        name,
		ok:          runs.WithLabelValues(name, "ok"),
		failed:      runs.WithLabelValues(name, "error"),
		lastSuccess: last,
	}, nil
}

// Done records one run that ended with err (nil: success).
func (j *Job) Done(err error) {
	if err != nil {
		j.failed.Inc()
		return
	}
	j.ok.Inc()
	j.lastSuccess.WithLabelValues(j.name).Set(float64(time.Now().UnixNano()) / 1e9)
}
