package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// call makes one request with an optional bearer secret and returns the
// status and body.
func call(t *testing.T, method, url, secret, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

// isServerKey reports whether the server takes secret as a server key, by
// writing metadata, which only server keys may do.
func isServerKey(t *testing.T, s *server, secret string) bool {
	t.Helper()
	status, body := call(t, http.MethodPut, s.URL+"/v1/meta/auth-probe", secret, `{"probe":true}`)
	switch status {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	}
	t.Fatalf("PUT /v1/meta/auth-probe: status %d, want 200 or 401: %s", status, body)
	return false
}

func readSecretFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFirstStartCreatesTheAdminKeyOnce(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data") // does not exist yet
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}
	s := startServer(t, serverOpts{args: args})

	if m := fileMode(t, dataDir); m != 0o700 {
		t.Errorf("data dir mode %o, want 700", m)
	}
	keyFile := filepath.Join(dataDir, "admin.key")
	if m := fileMode(t, keyFile); m != 0o600 {
		t.Errorf("admin.key mode %o, want 600", m)
	}
	secret := readSecretFile(t, keyFile)
	if !strings.HasPrefix(secret, "gdk_") {
		t.Fatalf("admin.key holds %q, want a gdk_ secret", secret)
	}
	if n := strings.Count(s.stdout.String(), secret); n != 1 {
		t.Errorf("the admin key is printed %d times on stdout, want once:\n%s", n, s.stdout.String())
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Error("the admin key is in the log")
	}
	if !isServerKey(t, s, secret) {
		t.Fatal("the created admin key is refused")
	}
	if isServerKey(t, s, "") || isServerKey(t, s, secret+"x") {
		t.Fatal("the server accepts a request with no key, or a wrong one")
	}
	s.mustStop()

	s = startServer(t, serverOpts{args: args})
	if strings.Contains(s.stdout.String(), "gdk_") {
		t.Errorf("the second start printed a key:\n%s", s.stdout.String())
	}
	if got := readSecretFile(t, keyFile); got != secret {
		t.Error("the second start replaced admin.key")
	}
	if !isServerKey(t, s, secret) {
		t.Error("the admin key is refused after a restart")
	}
	list := mustCLI(t, nil, "apikey", "list", "--data-dir", dataDir)
	if n := strings.Count(list, " admin "); n != 1 {
		t.Errorf("apikey list shows %d keys named admin after two starts, want 1:\n%s", n, list)
	}
}

func TestAdminKeyFromEnvironment(t *testing.T) {
	const key = "env-admin-key-0123456789"
	dataDir := t.TempDir()
	s := startServer(t, serverOpts{
		env:  []string{"GAMEDATA_ADMIN_KEY=" + key},
		args: []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir},
	})
	if !isServerKey(t, s, key) {
		t.Fatal("GAMEDATA_ADMIN_KEY is refused")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "admin.key")); !os.IsNotExist(err) {
		t.Errorf("admin.key was written although GAMEDATA_ADMIN_KEY is set (stat: %v)", err)
	}
	if out := s.stdout.String(); strings.Contains(out, "gdk_") {
		t.Errorf("a key was printed although GAMEDATA_ADMIN_KEY is set:\n%s", out)
	}

	_, errOut, err := runCLI(t, []string{"GAMEDATA_ADMIN_KEY=short"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(errOut, "GAMEDATA_ADMIN_KEY") {
		t.Errorf("a 5-character GAMEDATA_ADMIN_KEY: err %v, stderr %q; want a refusal naming it", err, errOut)
	}
}

// The flag wins over the environment, which wins over the file, on the real
// binary: where admin.key lands shows --data-dir, the log shows --log-format.
func TestPrecedenceOnTheBinary(t *testing.T) {
	dir := t.TempDir()
	fileDir, envDir, flagDir := filepath.Join(dir, "file"), filepath.Join(dir, "env"), filepath.Join(dir, "flag")
	config := filepath.Join(dir, "gamedata.yaml")
	if err := os.WriteFile(config, []byte("addr: 127.0.0.1:0\nlog-format: text\ndata-dir: "+fileDir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      []string
		args     []string
		wantDir  string
		wantJSON bool
	}{
		{"file", nil, nil, fileDir, false},
		{"env over file", []string{"GAMEDATA_DATA_DIR=" + envDir, "GAMEDATA_LOG_FORMAT=json"}, nil, envDir, true},
		{"flag over env", []string{"GAMEDATA_DATA_DIR=" + envDir, "GAMEDATA_LOG_FORMAT=json"},
			[]string{"--data-dir", flagDir, "--log-format", "text"}, flagDir, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOpts{env: tc.env, args: append([]string{"--config", config}, tc.args...)})
			s.mustStop()
			if _, err := os.Stat(filepath.Join(tc.wantDir, "admin.key")); err != nil {
				t.Errorf("admin.key not in %s: %v", tc.wantDir, err)
			}
			if isJSON := strings.HasPrefix(s.logs.String(), "{"); isJSON != tc.wantJSON {
				t.Errorf("JSON logs: %v, want %v:\n%s", isJSON, tc.wantJSON, s.logs.String())
			}
		})
	}
}

func TestBadSettingsAreRefusedByName(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--retention", "soon"}, "--retention"},
		{nil, []string{"--retention", "-1h"}, "--retention must be positive"},
		{nil, []string{"--log-format", "xml"}, "--log-format"},
		{nil, []string{"--rate-limit", "-1"}, "--rate-limit"},
		{[]string{"GAMEDATA_SESSION_TTL=0s"}, nil, "--session-ttl must be positive"},
		{[]string{"GAMEDATA_RATE_BURST=many"}, nil, "GAMEDATA_RATE_BURST"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tc.args...)
		_, errOut, err := runCLI(t, tc.env, args...)
		if err == nil || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v %v: err %v, stderr %q; want a refusal naming %s", tc.env, tc.args, err, errOut, tc.want)
		}
	}
}

// serve deletes what has outlived --retention on each --purge-interval, and
// counts it in the summary it logs at shutdown.
func TestExpiredRowsArePurgedOnATicker(t *testing.T) {
	const key = "purge-test-admin-key-0123"
	s := startServer(t, serverOpts{
		env:  []string{"GAMEDATA_ADMIN_KEY=" + key},
		args: []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--retention", "1s", "--purge-interval", "200ms"},
	})
	if status, body := call(t, http.MethodPost, s.URL+"/v1/players", "", `{"name":"carol","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	if status, body := call(t, http.MethodPost, s.URL+"/v1/events", key, `{"events":[{"player":"carol","type":"a"},{"player":"carol","type":"b"}]}`); status != http.StatusAccepted {
		t.Fatalf("post events: %d %s", status, body)
	}
	line := s.waitLog("purged expired rows")
	var rec struct{ Rows int64 }
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Rows < 2 {
		t.Errorf("purge log %q: want at least the 2 events (err %v)", line, err)
	}
	s.mustStop()
	if !strings.Contains(s.logs.String(), `"purged_rows":`) || strings.Contains(s.logs.String(), `"purged_rows":0`) {
		t.Errorf("the shutdown summary does not count the purged rows:\n%s", s.logs.String())
	}
}
