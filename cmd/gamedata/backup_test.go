package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// backup and restore on the command line: a SQLite store's backup restored
// into a new data folder serves the same player; a restore into a store
// that is not empty, or from a place with no backup, is refused.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	src, dst, place := filepath.Join(dir, "src"), filepath.Join(dir, "dst"), filepath.Join(dir, "backup")
	s := startServer(t, serverOpts{args: []string{"--data-dir", src}})
	if status, body := call(t, http.MethodPost, s.URL+"/v1/players", "", `{"name":"Bea","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	s.mustStop()

	out := mustCLI(t, nil, "backup", "--data-dir", src, "--to", place)
	for _, want := range []string{"of the sqlite store in " + place, "players     1", "api_keys     1"} {
		if !strings.Contains(out, want) {
			t.Errorf("backup output lacks %q:\n%s", want, out)
		}
	}
	if _, errOut, err := runCLI(t, nil, "restore", "--data-dir", src, "--from", place); err == nil || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into the source: %v %s; want a refusal", err, errOut)
	}
	if _, errOut, err := runCLI(t, nil, "restore", "--data-dir", dst, "--from", filepath.Join(dir, "nothing")); err == nil ||
		!strings.Contains(errOut, "holds no backup") {
		t.Errorf("restore from an empty folder: %v %s; want a refusal", err, errOut)
	}
	out = mustCLI(t, nil, "restore", "--data-dir", dst, "--from", place)
	if !strings.Contains(out, "into the sqlite store") || strings.Contains(out, "MISMATCH") || strings.Count(out, " ok\n") != 9 {
		t.Errorf("restore output:\n%s\nwant nine tables that check out", out)
	}

	// The admin key of the source (created by its first serve) works on the restored store.
	admin := readSecretFile(t, filepath.Join(src, "admin.key"))
	r := startServer(t, serverOpts{args: []string{"--data-dir", dst}})
	if status, body := call(t, http.MethodGet, r.URL+"/v1/players/bea", admin, ""); status != http.StatusOK || !strings.Contains(body, `"name":"Bea"`) {
		t.Errorf("the restored player, with the source's admin key: %d %s", status, body)
	}
}
