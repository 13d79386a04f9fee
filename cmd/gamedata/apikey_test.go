package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var (
	createdID     = regexp.MustCompile(`(?m)^id:\s+(\S+)$`)
	createdSecret = regexp.MustCompile(`(?m)^secret:\s+(gdk_\S+)$`)
)

// apikey works on the store of a running server: a created key is accepted
// at once, a revoked one refused at once.
func TestAPIKeyCommandsAgainstARunningServer(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}})
	store := []string{"--data-dir", dataDir}

	out := mustCLI(t, nil, append([]string{"apikey", "create", "--name", "match-server"}, store...)...)
	id, secret := createdID.FindStringSubmatch(out), createdSecret.FindStringSubmatch(out)
	if id == nil || secret == nil {
		t.Fatalf("apikey create printed no id or secret:\n%s", out)
	}
	if !isServerKey(t, s, secret[1]) {
		t.Fatal("the running server refuses a key just created")
	}

	list := mustCLI(t, nil, append([]string{"apikey", "list"}, store...)...)
	row := rowOf(list, id[1])
	if row == nil || row[1] != "match-server" || !strings.HasPrefix(secret[1], row[2]) || row[4] != "-" {
		t.Fatalf("apikey list row for the new key: %q, want [id match-server <prefix of the secret> <created> -]\n%s", row, list)
	}
	if strings.Contains(list, secret[1]) {
		t.Error("apikey list shows a secret")
	}

	mustCLI(t, nil, append([]string{"apikey", "revoke", id[1]}, store...)...)
	if isServerKey(t, s, secret[1]) {
		t.Fatal("the running server accepts a revoked key")
	}
	list = mustCLI(t, nil, append([]string{"apikey", "list"}, store...)...)
	if row := rowOf(list, id[1]); row == nil || row[4] == "-" {
		t.Errorf("apikey list does not show the key revoked: %q\n%s", row, list)
	}
	if admin := readSecretFile(t, dataDir+"/admin.key"); !isServerKey(t, s, admin) {
		t.Error("revoking one key refused the admin key too")
	}

	for _, bad := range [][]string{
		{"apikey", "revoke", "not-a-uuid"},
		{"apikey", "revoke", "00000000-0000-1000-8000-000000000000"},
		{"apikey", "create"},
		{"apikey", "create", "--name", "  "},
	} {
		if out, errOut, err := runCLI(t, nil, append(bad, store...)...); err == nil {
			t.Errorf("gamedata %v succeeded: %s%s", bad, out, errOut)
		}
	}
}

// rowOf returns the fields of the line of list that starts with id.
func rowOf(list, id string) []string {
	for line := range strings.Lines(list) {
		if f := strings.Fields(line); len(f) == 5 && f[0] == id {
			return f
		}
	}
	return nil
}

// Every command's --help, from the real binary, explains every flag the
// command takes, and names the variable of each that has one.
func TestHelpListsEveryFlag(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		help := mustCLI(t, nil, append(path, "--help")...)
		summary := c.Long
		if summary == "" {
			summary = c.Short
		}
		if !strings.Contains(help, summary) {
			t.Errorf("gamedata %v --help lacks the description %q", path, summary)
		}
		c.InitDefaultHelpFlag() // as Execute would, so that --help is in the list too
		check := func(f *pflag.Flag) {
			if f.Usage == "" {
				t.Errorf("--%s of %s has no help text", f.Name, c.CommandPath())
			}
			if !strings.Contains(help, "--"+f.Name+" ") {
				t.Errorf("gamedata %v --help does not list --%s:\n%s", path, f.Name, help)
			}
			if fromEnv(f) && !strings.Contains(help, "$"+envName(f.Name)) {
				t.Errorf("gamedata %v --help does not name %s", path, envName(f.Name))
			}
		}
		c.LocalFlags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			if sub.Name() != "help" {
				walk(sub)
			}
		}
	}
	walk(newRootCmd())
}

func TestVersion(t *testing.T) {
	out := mustCLI(t, nil, "version")
	if !regexp.MustCompile(`^gamedata \S+ \(go1\.\d+`).MatchString(out) {
		t.Errorf("gamedata version printed %q", out)
	}
}
