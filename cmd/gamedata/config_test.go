package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// parse builds the real command tree, parses args for the command they name
// and binds the environment env and any config file, as gamedata does.
func parse(t *testing.T, env map[string]string, args ...string) (*cobra.Command, error) {
	t.Helper()
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		t.Fatalf("find command %v: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("parse %v: %v", rest, err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return cmd, bindConfig(cmd, lookup)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func flagValue(t *testing.T, cmd *cobra.Command, name string) string {
	t.Helper()
	f := cmd.Flags().Lookup(name)
	if f == nil {
		t.Fatalf("%s has no flag --%s", cmd.CommandPath(), name)
	}
	return f.Value.String()
}

func TestPrecedenceFlagOverEnvOverFileOverDefault(t *testing.T) {
	file := writeFile(t, "gamedata.yaml", `
addr: 127.0.0.1:9001
retention: 48h
rate-limit: 5.5
rate-burst: 7
trust-proxy-headers: true
log-format: text
`)
	// Each flag is set by one more source than the one before it.
	env := map[string]string{
		"GAMEDATA_RETENTION":  "72h",
		"GAMEDATA_RATE_LIMIT": "6",
		"GAMEDATA_RATE_BURST": "8",
	}
	cmd, err := parse(t, env, "serve", "--config", file, "--rate-burst", "9")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"data-dir":            "./gamedata-data", // default
		"session-ttl":         "24h0m0s",         // default
		"addr":                "127.0.0.1:9001",  // file
		"trust-proxy-headers": "true",            // file
		"log-format":          "text",            // file
		"retention":           "72h0m0s",         // env over file
		"rate-limit":          "6",               // env over file
		"rate-burst":          "9",               // flag over env and file
	} {
		if got := flagValue(t, cmd, name); got != want {
			t.Errorf("--%s = %q, want %q", name, got, want)
		}
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	file := writeFile(t, "c.yaml", "data-dir: /srv/gamedata\n")
	cmd, err := parse(t, map[string]string{"GAMEDATA_CONFIG": file}, "apikey", "list")
	if err != nil {
		t.Fatal(err)
	}
	if got := flagValue(t, cmd, "data-dir"); got != "/srv/gamedata" {
		t.Errorf("--data-dir = %q, want the value of the file GAMEDATA_CONFIG names", got)
	}
	// --config on the command line wins over GAMEDATA_CONFIG.
	other := writeFile(t, "d.yaml", "data-dir: /other\n")
	cmd, err = parse(t, map[string]string{"GAMEDATA_CONFIG": file}, "apikey", "list", "--config", other)
	if err != nil {
		t.Fatal(err)
	}
	if got := flagValue(t, cmd, "data-dir"); got != "/other" {
		t.Errorf("--data-dir = %q, want /other from --config", got)
	}
}

func TestConfigKeyOfAnotherCommandIsIgnored(t *testing.T) {
	// One file serves serve and apikey: apikey knows addr, and does not use it.
	file := writeFile(t, "c.yaml", "addr: 127.0.0.1:1\ndata-dir: /d\n")
	cmd, err := parse(t, nil, "apikey", "list", "--config", file)
	if err != nil {
		t.Fatalf("a key of serve refused by apikey: %v", err)
	}
	if got := flagValue(t, cmd, "data-dir"); got != "/d" {
		t.Errorf("--data-dir = %q, want /d", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		args []string
		want []string // every one must be in the error
	}{
		{name: "unknown key", file: "addr: x\nretension: 1h\n",
			want: []string{`unknown key "retension"`, "line 2"}},
		{name: "bad duration in file", file: "retention: soon\n",
			want: []string{"--retention", `"soon"`, "c.yaml"}},
		{name: "bad choice in file", file: "log-format: xml\n",
			want: []string{"--log-format", "json, text"}},
		{name: "nested value", file: "addr:\n  host: x\n",
			want: []string{"addr", "want a plain value or a list"}},
		{name: "not a mapping", file: "- addr\n",
			want: []string{"want a mapping"}},
		{name: "bad yaml", file: "addr: [\n",
			want: []string{"c.yaml"}},
		{name: "key twice", file: "addr: a\naddr: b\n",
			want: []string{`"addr" given twice`}},
		{name: "bad int in env", env: map[string]string{"GAMEDATA_RATE_BURST": "lots"},
			want: []string{"GAMEDATA_RATE_BURST", "--rate-burst", `"lots"`}},
		{name: "bad bool in env", env: map[string]string{"GAMEDATA_TRUST_PROXY_HEADERS": "maybe"},
			want: []string{"GAMEDATA_TRUST_PROXY_HEADERS", "--trust-proxy-headers"}},
		{name: "bad choice in env", env: map[string]string{"GAMEDATA_STORE": "mongodb"},
			want: []string{"GAMEDATA_STORE", "--store", "sqlite"}},
		{name: "missing file", args: []string{"--config", "/nonexistent/gamedata.yaml"},
			want: []string{"/nonexistent/gamedata.yaml"}},
		{name: "cli-only flag is no config key", file: "name: x\n",
			want: []string{`unknown key "name"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve"}, tc.args...)
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, "c.yaml", tc.file))
			}
			_, err := parse(t, tc.env, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestConfigFileValues(t *testing.T) {
	known := map[string]bool{"hosts": true, "addr": true, "data-dir": true}
	for _, tc := range []struct {
		name, file string
		want       map[string]string
	}{
		{"empty file", "", map[string]string{}},
		{"only comments", "# nothing set\n", map[string]string{}},
		{"list joins like the command line", "hosts: [a, b]\n", map[string]string{"hosts": "a,b"}},
		{"block list", "hosts:\n  - a\n  - b\n", map[string]string{"hosts": "a,b"}},
		{"null leaves the flag alone", "addr:\ndata-dir: ~\nhosts: x\n", map[string]string{"hosts": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readConfigFile(writeFile(t, "c.yaml", tc.file), known)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestCommandLineOnlyFlagIgnoresEnvironment(t *testing.T) {
	cmd, err := parse(t, map[string]string{"GAMEDATA_NAME": "from-env"}, "apikey", "create")
	if err != nil {
		t.Fatal(err)
	}
	if got := flagValue(t, cmd, "name"); got != "" {
		t.Errorf("--name = %q from GAMEDATA_NAME; it must come from the command line only", got)
	}
}

// The example config is the reference of every key: it must name every key
// there is, with the default value, and nothing else.
func TestExampleConfigDocumentsEveryKeyWithItsDefault(t *testing.T) {
	const example = "../../deploy/config/gamedata.example.yaml"
	root := newRootCmd()
	known := configKeys(root)
	values, err := readConfigFile(example, known)
	if err != nil {
		t.Fatal(err)
	}
	for key := range known {
		if _, ok := values[key]; !ok {
			t.Errorf("%s does not document key %s", example, key)
		}
	}
	visitFlags(root, func(f *pflag.Flag) {
		v, ok := values[f.Name]
		if !ok {
			return
		}
		// root is this test's own: setting its flags harms nothing.
		if err := f.Value.Set(v); err != nil {
			t.Errorf("%s: %s: %v", example, f.Name, err)
		} else if got := f.Value.String(); got != f.DefValue {
			t.Errorf("%s: %s is %q, but the default is %q", example, f.Name, got, f.DefValue)
		}
	})
}
