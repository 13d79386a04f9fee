package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
)

// DefaultWorkers is how many rows a restore writes at once.
const DefaultWorkers = 16

// Restore loads a backup into an empty store.
type Restore struct {
	Bucket archive.Bucket
	Target Target
	// Check reads the target back: that it is empty before the first run,
	// and that it holds what was restored at the end.
	Check gamedata.BackupReader
	// StateFile keeps the tables restored so far, so that a restore that
	// stopped resumes where it was.
	StateFile string
	// Spool is a local folder for the files fetched from a remote bucket.
	Spool   string
	Workers int
	// Progress, when set, gets a line per table every ProgressEvery.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// restoreState is the state file.
type restoreState struct {
	Backup string                   `json:"backup"`
	Tables map[string]RestoredTable `json:"tables"`
}

// Run restores every table the state file does not list as done, then
// reads the whole target back and compares it with what was restored.
func (r *Restore) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	var sum Summary
	idx, err := ReadIndex(ctx, r.Bucket)
	if err != nil {
		return sum, err
	}
	sum.Index = idx
	state, err := r.loadState(idx.ID)
	if err != nil {
		return sum, err
	}
	if len(state.Tables) == 0 {
		if err := r.checkEmpty(ctx); err != nil {
			return sum, err
		}
	}
	if err := r.saveState(state); err != nil {
		return sum, err
	}
	workers := r.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	for _, t := range Tables {
		if _, done := state.Tables[t.Name()]; done {
			sum.Resumed = append(sum.Resumed, t.Name())
			continue
		}
		m, ok, err := readManifest(ctx, r.Bucket, t.Name())
		if err != nil {
			return sum, err
		}
		if !ok || m.Run != idx.ID {
			return sum, fmt.Errorf("the backup in %s lacks table %s", r.Bucket, t.Name())
		}
		got, err := r.restoreTable(ctx, t, m, workers)
		if err != nil {
			return sum, err
		}
		state.Tables[t.Name()] = got
		if err := r.saveState(state); err != nil {
			return sum, err
		}
	}
	// The check: the target now holds what was restored, row for row.
	for _, t := range Tables {
		rt := state.Tables[t.Name()]
		rows, s, err := t.tally(ctx, r.Check)
		if err != nil {
			return sum, fmt.Errorf("check %s: %w", t.Name(), err)
		}
		rt.Found, rt.FoundChecksum = rows, hexSum(s)
		state.Tables[t.Name()] = rt
	}
	sum.Restored, sum.Elapsed = state.Tables, time.Since(start)
	for _, t := range Tables {
		if rt := state.Tables[t.Name()]; !rt.OK() {
			return sum, fmt.Errorf("after the restore the target holds %d rows of %s (checksum %s), want %d (%s)",
				rt.Found, t.Name(), rt.FoundChecksum, rt.Restored, rt.Checksum)
		}
	}
	return sum, os.Remove(r.StateFile)
}

// restoreTable restores one table and checks its file against its
// manifest.
func (r *Restore) restoreTable(ctx context.Context, t Table, m archive.Manifest, workers int) (RestoredTable, error) {
	if err := os.MkdirAll(r.Spool, 0o700); err != nil {
		return RestoredTable{}, err
	}
	path, done, err := localPath(ctx, r.Bucket, t.Name()+"/"+partName, r.Spool)
	if err != nil {
		return RestoredTable{}, fmt.Errorf("fetch %s: %w", t.Name(), err)
	}
	defer done()
	p := startProgress(r.Progress, r.ProgressEvery, "restore "+t.Name(), "rows of "+fmt.Sprint(m.Rows))
	restored, expired, s, err := t.restore(ctx, r.Target, path, workers, p)
	p.stop()
	if err != nil {
		return RestoredTable{}, err
	}
	if restored+expired != m.Rows {
		return RestoredTable{}, fmt.Errorf("%s: the file holds %d rows, its manifest says %d", t.Name(), restored+expired, m.Rows)
	}
	if expired == 0 && hexSum(s) != m.Checksum {
		return RestoredTable{}, fmt.Errorf("%s: the rows' checksum is %s, the manifest's %s: the file is damaged", t.Name(), hexSum(s), m.Checksum)
	}
	return RestoredTable{Restored: restored, Expired: expired, Checksum: hexSum(s)}, nil
}

// checkEmpty refuses a target that holds a row of any table.
func (r *Restore) checkEmpty(ctx context.Context) error {
	for _, t := range Tables {
		some, err := t.any(ctx, r.Check)
		if err != nil {
			return fmt.Errorf("check the target is empty: %w", err)
		}
		if some {
			return fmt.Errorf("the target store is not empty (it holds %s): restore into a new store "+
				"(a new SQLite data folder, or a keyspace made by gamedata schema apply, before any serve)", t.Name())
		}
	}
	return nil
}

func (r *Restore) loadState(backupID string) (restoreState, error) {
	st := restoreState{Backup: backupID, Tables: map[string]RestoredTable{}}
	b, err := os.ReadFile(r.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	var old restoreState
	if err := json.Unmarshal(b, &old); err != nil {
		return st, fmt.Errorf("%s: %w", r.StateFile, err)
	}
	if old.Backup != backupID {
		return st, fmt.Errorf("%s is the state of a restore of backup %s, not %s: remove it to restore another backup",
			r.StateFile, old.Backup, backupID)
	}
	if old.Tables != nil {
		st.Tables = old.Tables
	}
	return st, nil
}

func (r *Restore) saveState(st restoreState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.StateFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, r.StateFile)
}
