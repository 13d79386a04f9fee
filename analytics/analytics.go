// Package analytics answers SQL over the archive with DuckDB (its bundled
// library): one view per archive table, dt (the day) a DATE column from
// the Hive layout, so that SELECT ... FROM orders WHERE dt >= DATE
// '2026-01-01' reads only those days' files. An archive in S3 is first
// mirrored into a local cache through the S3 client, a day's files only
// when its manifest changed, because the bundled DuckDB has no httpfs
// (and cannot download it here). See docs/archive.md.
package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the database/sql driver "duckdb"

	"github.com/gamedata-dev/gamedata/archive"
)

// DB is a DuckDB database with a view of each archive table.
type DB struct {
	db      *sql.DB
	Local   string // the folder the views read
	schemas string // the empty files of the tables with no day yet
}

// Open mirrors the archive when it is not local (into cacheDir) and opens
// DuckDB over it, with a view per table of archive.Tables. The database
// can then read no file outside the archive and the views' schemas.
func Open(ctx context.Context, a *archive.Archive, cacheDir string) (*DB, error) {
	dir := a.Bucket().Dir()
	if dir == "" {
		if err := Mirror(ctx, a, cacheDir); err != nil {
			return nil, err
		}
		dir = cacheDir
	}
	// The empty files of tables without a day go to a folder of this
	// database's own, not into the archive.
	schemas, err := os.MkdirTemp("", "gamedata-analytics-")
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		os.RemoveAll(schemas)
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db.SetMaxOpenConns(1) // one connection: the settings below are per database anyway
	d := &DB{db: db, Local: dir, schemas: schemas}
	for _, t := range archive.Tables {
		if err := d.view(ctx, t, dir, schemas); err != nil {
			d.Close()
			return nil, err
		}
	}
	// Analysts' SQL runs here: it may read the archive, and nothing else.
	for _, stmt := range []string{
		"SET allowed_directories = [" + literal(dir+"/") + ", " + literal(schemas+"/") + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			d.Close()
			return nil, fmt.Errorf("duckdb %q: %w", stmt, err)
		}
	}
	return d, nil
}

// view creates the view of table t: its days' part files, or, before any
// day is archived, an empty file of its schema.
func (d *DB) view(ctx context.Context, t archive.Table, dir, schemas string) error {
	glob := filepath.Join(dir, t.Name(), "dt=*", "part-*.parquet")
	files, _ := filepath.Glob(glob)
	var q string
	if len(files) > 0 {
		q = "SELECT * FROM read_parquet(" + literal(glob) + ", hive_partitioning = true, hive_types = {'dt': DATE})"
	} else {
		empty := filepath.Join(schemas, t.Name()+".parquet")
		var buf bytes.Buffer
		if err := archive.WriteEmpty(t, &buf); err != nil {
			return err
		}
		if err := os.WriteFile(empty, buf.Bytes(), 0o640); err != nil {
			return err
		}
		q = "SELECT *, NULL::DATE AS dt FROM read_parquet(" + literal(empty) + ")"
	}
	// DDL takes no parameters: the name is ours, the path quoted.
	if _, err := d.db.ExecContext(ctx, "CREATE VIEW "+t.Name()+" AS "+q); err != nil {
		return fmt.Errorf("view %s: %w", t.Name(), err)
	}
	return nil
}

// literal quotes s as a SQL string.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Close closes the database.
func (d *DB) Close() error {
	err := d.db.Close()
	os.RemoveAll(d.schemas)
	return err
}

// Result is the answer to a query: column names and rows of values.
type Result struct {
	Columns []string
	Rows    [][]any
}

// Query runs q, an analyst's SQL, and returns all of its rows.
func (d *DB) Query(ctx context.Context, q string, args ...any) (Result, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Result{}, err
	}
	res := Result{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// Mirror copies the archive a holds into the local folder dir: for each
// table-day whose manifest differs from the copy's, its files and then its
// manifest; a day gone from a is removed from dir.
func Mirror(ctx context.Context, a *archive.Archive, dir string) error {
	b := a.Bucket()
	for _, t := range archive.Tables {
		keys, err := b.List(ctx, t.Name()+"/")
		if err != nil {
			return fmt.Errorf("mirror %s: %w", t.Name(), err)
		}
		remote := map[string]bool{}
		for _, k := range keys {
			if path.Base(k) != "_manifest.json" {
				continue
			}
			prefix := path.Dir(k) + "/"
			remote[prefix] = true
			if err := mirrorDay(ctx, b, dir, prefix, k); err != nil {
				return err
			}
		}
		// Days the archive no longer holds.
		local, _ := filepath.Glob(filepath.Join(dir, t.Name(), "dt=*"))
		for _, l := range local {
			rel, _ := filepath.Rel(dir, l)
			if !remote[filepath.ToSlash(rel)+"/"] {
				if err := os.RemoveAll(l); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func mirrorDay(ctx context.Context, b archive.Bucket, dir, prefix, manifestKey string) error {
	m, err := b.Read(ctx, manifestKey)
	if err != nil {
		return fmt.Errorf("mirror %s: %w", manifestKey, err)
	}
	localDir := filepath.Join(dir, filepath.FromSlash(prefix))
	localManifest := filepath.Join(localDir, "_manifest.json")
	if have, err := os.ReadFile(localManifest); err == nil && bytes.Equal(have, m) {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var man struct {
		Files []struct{ Name string } `json:"files"`
	}
	if err := json.Unmarshal(m, &man); err != nil {
		return fmt.Errorf("mirror %s: %w", manifestKey, err)
	}
	if err := os.MkdirAll(localDir, 0o750); err != nil {
		return err
	}
	for _, f := range man.Files {
		tmp := filepath.Join(localDir, ".tmp-"+f.Name)
		if err := b.Fetch(ctx, prefix+f.Name, tmp); err != nil {
			return fmt.Errorf("mirror %s%s: %w", prefix, f.Name, err)
		}
		if err := os.Rename(tmp, filepath.Join(localDir, f.Name)); err != nil {
			return err
		}
	}
	return os.WriteFile(localManifest, m, 0o640)
}
