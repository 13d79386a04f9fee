package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// quickStart returns the shell block of README.md that follows the
// quickstart marker.
func quickStart(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- quickstart:")
	if !ok {
		t.Fatal("README.md has no <!-- quickstart: ... --> marker")
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("no ```sh block after the quickstart marker")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		t.Fatal("the quickstart block is not closed")
	}
	return block
}

// The README's quick start works verbatim: it runs with bash, in a folder
// like a fresh clone, against a server started there with no flags but a
// free port, and stops at the first command that fails (curl -f fails on
// any status but 2xx).
func TestReadmeQuickStartRunsVerbatim(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "grep", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the quick start needs %s: %v", tool, err)
			}
			t.Skipf("the quick start needs %s (apt-get install %s)", tool, tool)
		}
	}
	script := quickStart(t)
	clone := t.TempDir()
	s := startServer(t, serverOpts{dir: clone, args: []string{"--addr", "127.0.0.1:0"}})

	cmd := exec.Command("bash", "-e", "-u", "-o", "pipefail", "-x")
	cmd.Dir = clone
	cmd.Env = cleanEnv("API=" + s.URL)
	cmd.Stdin = strings.NewReader(script)
	var out, trace bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &trace
	if err := cmd.Run(); err != nil {
		t.Fatalf("the quick start failed: %v\ntrace:\n%s\noutput:\n%s\nserver log:\n%s", err, trace.String(), out.String(), s.logs.String())
	}
	// What the user is shown must be what the steps did.
	for _, want := range []string{`"status":"paid"`, `"text":"gg, rematch?"`, `"type":"quest_done"`, `"items":[{"id":"sword","price":"4.99"}]`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the quick start output lacks %s:\n%s", want, out.String())
		}
	}
}
