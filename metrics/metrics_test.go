package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/metrics"
	"github.com/gamedata-dev/gamedata/sqlite"
)

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStoreMetrics(t *testing.T) (*metrics.StoreMetrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.NewStoreMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// snake is the op label of a method name: GetAPIKey -> get_api_key.
func snake(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// samples returns every series of a family by its labels' values joined
// with "/", in label-name order.
func samples(t *testing.T, reg *prometheus.Registry, family string) map[string]*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, l := range m.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			out[strings.Join(vals, "/")] = m
		}
	}
	return out
}

// counts sums gamedata_store_requests_total by op and result (label order:
// backend, op, result).
func counts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for k, m := range samples(t, reg, "gamedata_store_requests_total") {
		if v := m.GetCounter().GetValue(); v > 0 {
			out[k] = v
		}
	}
	return out
}

// Every method of every capability the SQLite store offers is counted once
// per call, under its own name, and timed.
func TestEveryCallIsCountedUnderItsName(t *testing.T) {
	m, reg := newStoreMetrics(t)
	b := reflect.ValueOf(m.Instrument("sqlite", openSQLite(t).Backend()))
	ctx := context.Background()
	var methods []reflect.Value
	var names []string
	for i := range b.NumField() {
		field := b.Type().Field(i)
		capability := b.Field(i)
		if field.Name == "Nodes" {
			continue // Cassandra's only, and no call: the driver's state in memory, exported as a gauge
		}
		if capability.IsNil() {
			t.Errorf("the SQLite backend has no %s", field.Name)
			continue
		}
		if pkg := reflect.Indirect(capability.Elem()).Type().PkgPath(); pkg != reflect.TypeFor[metrics.StoreMetrics]().PkgPath() {
			t.Errorf("%s is a %s, not measured", field.Name, capability.Elem().Type())
		}
		for j := range field.Type.NumMethod() {
			if name := field.Type.Method(j).Name; name != "Close" {
				methods = append(methods, capability.MethodByName(name))
				names = append(names, name)
			}
		}
	}
	if len(methods) < 30 {
		t.Fatalf("found only %d methods: %v", len(methods), names)
	}
	for i, fn := range methods {
		name := names[i]
		before := counts(t, reg)
		args := make([]reflect.Value, fn.Type().NumIn())
		for i := range args {
			args[i] = reflect.Zero(fn.Type().In(i))
			if in := fn.Type().In(i); in.Kind() == reflect.Func {
				// A callback (of a scan) that accepts every row.
				args[i] = reflect.MakeFunc(in, func([]reflect.Value) []reflect.Value {
					out := make([]reflect.Value, in.NumOut())
					for o := range out {
						out[o] = reflect.Zero(in.Out(o))
					}
					return out
				})
			}
		}
		args[0] = reflect.ValueOf(ctx)
		fn.Call(args)
		after := counts(t, reg)
		var changed []string
		for k, n := range after {
			if n != before[k] {
				changed = append(changed, fmt.Sprintf("%s+%g", k, n-before[k]))
			}
		}
		op := snake(name)
		if len(changed) != 1 || !strings.HasPrefix(changed[0], "sqlite/"+op+"/") || !strings.HasSuffix(changed[0], "+1") {
			t.Errorf("%s changed %v, want one sqlite/%s/<result> series by 1", name, changed, op)
		}
		h := samples(t, reg, "gamedata_store_request_duration_seconds")["sqlite/"+op]
		if h == nil || h.GetHistogram().GetSampleCount() == 0 {
			t.Errorf("%s: no duration observed", name)
		}
	}
}

func TestResultsAreClassified(t *testing.T) {
	m, reg := newStoreMetrics(t)
	s := m.Instrument("sqlite", openSQLite(t).Backend()).Store
	ctx := context.Background()
	p := gamedata.Player{ID: gamedata.NewID(time.Now()), Name: "Alice", PasswordHash: "x", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreatePlayer(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePlayer(ctx, p); !errors.Is(err, gamedata.ErrConflict) {
		t.Fatalf("second CreatePlayer: %v, want a conflict", err)
	}
	if _, err := s.GetPlayer(ctx, "nobody"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("GetPlayer(nobody): %v", err)
	}
	if _, err := s.ListOrders(ctx, "alice", gamedata.PageRequest{Token: "garbage"}); !errors.Is(err, gamedata.ErrInvalid) {
		t.Fatalf("ListOrders with a bad token: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.GetPlayer(canceled, "alice"); err == nil {
		t.Fatal("GetPlayer with a canceled context succeeded")
	}
	got := counts(t, reg)
	want := map[string]float64{
		"sqlite/create_player/ok": 1, "sqlite/create_player/conflict": 1, "sqlite/get_player/not_found": 1,
		"sqlite/list_orders/invalid": 1, "sqlite/get_player/canceled": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	// Every result of every op is exported from the start, at 0.
	if n := len(samples(t, reg, "gamedata_store_requests_total")); n%8 != 0 || n < 8*25 {
		t.Errorf("%d series of gamedata_store_requests_total, want 8 results for each of at least 25 ops", n)
	}
}

// downStore answers every call as a store whose backend is away.
type downStore struct{ gamedata.Store }

func (downStore) GetPlayer(context.Context, string) (gamedata.Player, error) {
	return gamedata.Player{}, gamedata.Unavailable("cassandra", errors.New("no hosts"))
}

func (downStore) Ping(ctx context.Context) error {
	<-ctx.Done() // a node that never answers
	return ctx.Err()
}

func (downStore) SendMessage(context.Context, gamedata.Message) error {
	return gamedata.UnknownOutcome("cassandra", errors.New("write timeout"))
}

func TestOutagesAreUnavailable(t *testing.T) {
	m, reg := newStoreMetrics(t)
	s := m.Store("cassandra", downStore{})
	if _, err := s.GetPlayer(context.Background(), "alice"); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("GetPlayer: %v", err)
	}
	if err := s.SendMessage(context.Background(), gamedata.Message{}); !errors.Is(err, gamedata.ErrUnknownOutcome) {
		t.Fatalf("SendMessage: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping of a silent node succeeded")
	}
	got := counts(t, reg)
	want := map[string]float64{"cassandra/get_player/unavailable": 1, "cassandra/ping/unavailable": 1,
		"cassandra/send_message/unknown_outcome": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

// A capability the store lacks stays nil once measured, and the store is
// measured whatever it is.
func TestInstrumentKeepsWhatTheStoreLacks(t *testing.T) {
	m, _ := newStoreMetrics(t)
	b := m.Instrument("cassandra", gamedata.Backend{Store: downStore{}})
	if _, ok := b.Store.(*metrics.Store); !ok {
		t.Errorf("the store is a %T, not measured", b.Store)
	}
	if b.Feed != nil || b.FeedAdmin != nil || b.Searcher != nil || b.Lister != nil || b.Purger != nil {
		t.Errorf("a store with no capability gained some: %+v", b)
	}
}

// Two parts of a process may ask for the same metrics of one registry.
func TestMetricsAreShared(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := metrics.NewStoreMetrics(reg); err != nil {
			t.Fatal(err)
		}
	}
	a, err := metrics.NewJob(reg, "purge")
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.NewJob(reg, "indexer")
	if err != nil {
		t.Fatal(err)
	}
	a.Done(nil)
	b.Done(errors.New("cluster away"))
	if n := len(samples(t, reg, "gamedata_job_runs_total")); n != 4 {
		t.Errorf("%d series of gamedata_job_runs_total, want ok and error of 2 jobs", n)
	}
}

func TestJobRecordsRunsAndLastSuccess(t *testing.T) {
	reg := prometheus.NewRegistry()
	job, err := metrics.NewJob(reg, "purge")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(samples(t, reg, "gamedata_job_last_success_timestamp_seconds")); n != 0 {
		t.Errorf("a job that never succeeded has %d last-success series", n)
	}
	before := time.Now()
	job.Done(nil)
	job.Done(errors.New("disk full"))
	job.Done(errors.New("disk full"))
	runs := samples(t, reg, "gamedata_job_runs_total")
	if ok, failed := runs["purge/ok"].GetCounter().GetValue(), runs["purge/error"].GetCounter().GetValue(); ok != 1 || failed != 2 {
		t.Errorf("runs ok %g, error %g; want 1 and 2", ok, failed)
	}
	last := samples(t, reg, "gamedata_job_last_success_timestamp_seconds")["purge"].GetGauge().GetValue()
	if at := time.Unix(0, int64(last*1e9)); at.Before(before.Add(-time.Millisecond)) || at.After(time.Now()) {
		t.Errorf("last success at %s, want the time of the successful run (after %s)", at, before)
	}
}

func TestBackendUp(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewBackendUp(map[string]func(context.Context) error{
		"store":  func(context.Context) error { return nil },
		"search": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		"cache":  func(context.Context) error { return errors.New("connection refused") },
	}, 20*time.Millisecond))
	got := map[string]float64{}
	for k, m := range samples(t, reg, "gamedata_backend_up") {
		got[k] = m.GetGauge().GetValue()
	}
	want := map[string]float64{"store": 1, "search": 0, "cache": 0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gamedata_backend_up %v, want %v", got, want)
	}
}

// fixedStore answers GetPlayer at once, so that a benchmark of it measures
// the instrumentation alone.
type fixedStore struct{ gamedata.Store }

func (fixedStore) GetPlayer(context.Context, string) (gamedata.Player, error) {
	return gamedata.Player{Name: "alice"}, nil
}

// BenchmarkGetPlayer shows what instrumentation adds to a call.
func BenchmarkGetPlayer(b *testing.B) {
	m, err := metrics.NewStoreMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []struct {
		name  string
		store gamedata.Store
	}{{"raw", fixedStore{}}, {"instrumented", m.Store("sqlite", fixedStore{})}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.store.GetPlayer(ctx, "alice"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
