package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
)

// searchFlags are the flags of a test's own indices on the test node.
func searchFlags(t *testing.T) []string {
	cfg := opensearchtest.Require(t)
	opensearchtest.Open(t, cfg) // deletes the indices when t ends
	return []string{"--search", "opensearch", "--opensearch-url", cfg.URLs[0], "--opensearch-index-prefix", cfg.Prefix,
		"--opensearch-shards", "1", "--opensearch-replicas", "0"}
}

// get GETs url with the admin key and decodes the JSON answer into out.
func get(t *testing.T, url string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

const testAdminKey = "search-admin-key-0123456789"

// searchable registers a player through s and waits until a search by its
// email finds it.
func searchable(t *testing.T, s *server, name string) {
	t.Helper()
	body := `{"name":"` + name + `","password":"correct-horse-battery","email":"` + name + `@Example.com"}`
	resp, err := http.Post(s.URL+"/v1/players", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %s", resp.Status)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Items []struct{ Name string } `json:"items"`
		}
		if code := get(t, s.URL+"/v1/search/players?email="+strings.ToLower(name)+"@example.com", &page); code != http.StatusOK {
			t.Fatalf("search: status %d; logs:\n%s", code, s.logs.String())
		}
		if len(page.Items) == 1 && page.Items[0].Name == name {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not searchable within 30s; logs:\n%s", name, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestServeSearchesOpenSearchWithItsIndexer(t *testing.T) {
	s := startServer(t, serverOpts{env: []string{"GAMEDATA_ADMIN_KEY=" + testAdminKey}, args: append([]string{"--admin-addr", "127.0.0.1:0"}, searchFlags(t)...)})
	searchable(t, s, "Searched_1")

	var ready struct{ Checks map[string]string }
	if code := get(t, s.URL+"/readyz", &ready); code != http.StatusOK || ready.Checks["search"] != "ok" {
		t.Errorf("readyz: %d %v", code, ready.Checks)
	}
	resp, err := http.Get(metricsURL(t, s))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	metrics := string(b)
	for _, m := range []string{"gamedata_indexer_lag_seconds", "gamedata_change_feed_backlog", `gamedata_indexer_indexed_total{kind="player"} 1`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	s.mustStop()
}

func TestIndexerCommandFeedsASearchOnlyServer(t *testing.T) {
	flags := searchFlags(t)
	dir := t.TempDir()
	s := startServer(t, serverOpts{dir: dir, env: []string{"GAMEDATA_ADMIN_KEY=" + testAdminKey}, args: append(flags, "--indexer=false")})

	ix := exec.Command(binary(t), append([]string{"indexer", "--metrics-addr", "127.0.0.1:0"}, flags[2:]...)...)
	ix.Dir = dir // the same ./gamedata-data as the server
	ix.Env = cleanEnv()
	var logs syncBuffer
	ix.Stderr = &logs
	if err := ix.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = ix.Wait(); close(done) }()
	stop := func() {
		_ = ix.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = ix.Process.Kill()
			<-done
			t.Errorf("gamedata indexer did not stop within 30s of SIGTERM; logs:\n%s", logs.String())
		}
	}
	t.Cleanup(stop)

	searchable(t, s, "Indexed_Apart")
	stop()
	if waitErr != nil {
		t.Errorf("gamedata indexer exit: %v\n%s", waitErr, logs.String())
	}
	if !strings.Contains(logs.String(), "indexer stopped") {
		t.Errorf("indexer logs:\n%s", logs.String())
	}
	s.mustStop()
}
