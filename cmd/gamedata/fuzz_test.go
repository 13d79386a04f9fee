package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigFile: a config file is read into the values of known flags or
// refused with an error, never a panic; every value it yields is a flag's,
// and each one the flag takes.
func FuzzConfigFile(f *testing.F) {
	example, err := os.ReadFile("../../deploy/config/gamedata.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	for _, s := range []string{"", "addr: [a, b]", "addr: {x: 1}", "addr:\naddr: x", "- a\n- b", "rate-limit: &a 1\nrate-burst: *a", "nope: 1", "\t:"} {
		f.Add(s)
	}
	known := configKeys(newRootCmd())
	f.Fuzz(func(t *testing.T, data string) {
		path := filepath.Join(t.TempDir(), "gamedata.yaml")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		values, err := readConfigFile(path, known)
		if err != nil {
			return
		}
		for k := range values {
			if !known[k] {
				t.Fatalf("config %q gave unknown key %q", data, k)
			}
		}
	})
}
