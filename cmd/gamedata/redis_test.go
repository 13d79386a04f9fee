package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gamedata-dev/gamedata/redis/redistest"
)

var anyPort = []string{"--addr", "127.0.0.1:0"}

// redisEnv configures serve for target, on a key prefix of its own.
func redisEnv(target redistest.Target) []string {
	cfg := target.Config()
	env := []string{"GAMEDATA_REDIS_ADDR=" + strings.Join(cfg.Addrs, ","), "GAMEDATA_REDIS_KEY_PREFIX=" + cfg.KeyPrefix, "GAMEDATA_REDIS_TIMEOUT=1s"}
	if target.Cluster {
		env = append(env, "GAMEDATA_REDIS_CLUSTER=true")
	}
	return env
}

func readiness(t *testing.T, s *server) (int, map[string]any) {
	t.Helper()
	status, body := call(t, http.MethodGet, s.URL+"/readyz", "", "")
	var r map[string]any
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("/readyz: %v: %s", err, body)
	}
	return status, r
}

// Reads go through Redis, the metrics and /readyz say so, and two
// instances on one Redis share the rate limit.
func TestServeWithRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		// A burst of 5 in all, and no refill while the test runs.
		env := append(redisEnv(target), "GAMEDATA_RATE_LIMIT=0.01", "GAMEDATA_RATE_BURST=5")
		a := startServer(t, serverOpts{env: env, args: append([]string{"--admin-addr", "127.0.0.1:0"}, anyPort...)})
		b := startServer(t, serverOpts{env: env, args: anyPort})

		if status, r := readiness(t, a); status != http.StatusOK || r["status"] != "ready" || r["checks"].(map[string]any)["redis"] != "ok" {
			t.Fatalf("/readyz: %d %v", status, r)
		}
		if status, body := call(t, http.MethodPost, a.URL+"/v1/players", "", `{"name":"Reddie","password":"correct-horse-battery"}`); status != http.StatusCreated {
			t.Fatalf("register: %d %s", status, body)
		}
		_, body := call(t, http.MethodPost, a.URL+"/v1/sessions", "", `{"name":"reddie","password":"correct-horse-battery"}`)
		var ses struct{ Token string }
		if err := json.Unmarshal([]byte(body), &ses); err != nil || ses.Token == "" {
			t.Fatalf("login: %v %s", err, body)
		}
		for range 3 {
			if status, body := call(t, http.MethodGet, a.URL+"/v1/players/Reddie", ses.Token, ""); status != http.StatusOK {
				t.Fatalf("get player: %d %s", status, body)
			}
		}
		_, m := call(t, http.MethodGet, metricsURL(t, a), "", "")
		for _, want := range []string{
			`gamedata_cache_requests_total{cache="player",result="hit"} 3`, // login read it first
			`gamedata_cache_requests_total{cache="session",result="hit"} 2`,
			`gamedata_redis_up 1`,
			`gamedata_backend_up{backend="redis"} 1`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}

		// Register and login took 2 of the burst on a; b has the rest.
		for i := range 3 {
			if status, _ := call(t, http.MethodGet, b.URL+"/v1/meta/absent", "", ""); status != http.StatusNotFound {
				t.Fatalf("request %d of the burst left: %d", i, status)
			}
		}
		for _, s := range []*server{b, a} {
			if status, body := call(t, http.MethodGet, s.URL+"/v1/meta/absent", "", ""); status != http.StatusTooManyRequests {
				t.Fatalf("past the burst the two instances share: %d %s", status, body)
			}
		}
	})
}

// A Redis that does not answer at start slows nothing down and fails
// nothing: serve starts, says it is degraded, and serves from the store.
func TestServeWithRedisDown(t *testing.T) {
	s := startServer(t, serverOpts{env: []string{"GAMEDATA_REDIS_ADDR=127.0.0.1:1"}, args: anyPort})
	status, r := readiness(t, s)
	if status != http.StatusOK || r["status"] != "degraded" || r["checks"].(map[string]any)["redis"] != "degraded" {
		t.Fatalf("/readyz with Redis down: %d %v", status, r)
	}
	if status, body := call(t, http.MethodPost, s.URL+"/v1/players", "", `{"name":"Nored","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("register with Redis down: %d %s", status, body)
	}
	if status, body := call(t, http.MethodPost, s.URL+"/v1/sessions", "", `{"name":"nored","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("login with Redis down: %d %s", status, body)
	}
	s.waitLog("redis marked down")
}

func TestCacheFlagsChecked(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"GAMEDATA_CACHE=redis"}, "--cache redis needs --redis-addr"},
		{[]string{"GAMEDATA_REDIS_ADDR=127.0.0.1:1", "GAMEDATA_REDIS_TLS_CA_FILE=/ca.pem"}, "need --redis-tls"},
		{[]string{"GAMEDATA_REDIS_ADDR=127.0.0.1:1", "GAMEDATA_REDIS_TLS=true", "GAMEDATA_REDIS_TLS_CA_FILE=/nonexistent/ca.pem"}, "--redis-tls-ca-file"},
		{[]string{"GAMEDATA_CACHE_SIZE=lots"}, "--cache-size"},
		{[]string{"GAMEDATA_REDIS_ADDR=127.0.0.1:1", "GAMEDATA_REDIS_KEY_PREFIX={app}"}, "brace"},
	} {
		_, errOut, err := runCLI(t, append(c.env, "GAMEDATA_DATA_DIR="+t.TempDir()), "serve", "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %v\n%s\nwant an error with %q", c.env, err, errOut, c.want)
		}
	}
}
