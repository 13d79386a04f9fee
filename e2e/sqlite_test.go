package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/sqlite"
)

func init() {
	backends["sqlite"] = func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := st.Close(); err != nil {
				t.Errorf("close sqlite: %v", err)
			}
		})
		return st.Backend()
	}
}
