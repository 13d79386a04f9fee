// Package archive keeps every day the hot store held as Parquet files, in
// a local folder or an S3 bucket, laid out as analytics engines expect:
// <table>/dt=YYYY-MM-DD/part-00000.parquet plus that day's _manifest.json.
// docs/archive.md describes the layout, the schemas and the guarantees.
package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/gamedata-dev/gamedata"
)

const (
	// SchemaVersion is written in every manifest; raise it when a row type
	// changes in a way readers must know of.
	SchemaVersion = 1
	// rowGroupRows bounds a row group: large enough for fast scans, small
	// enough that the writer's buffer stays at tens of MiB.
	rowGroupRows = 256 << 10
	// writeBatch is how many rows go to the Parquet writer at once.
	writeBatch   = 1024
	partName     = "part-00000.parquet"
	manifestName = "_manifest.json"
)

// Table is one table of the archive (tables.go).
type Table interface {
	Name() string
	// write writes day's rows from src to w as a Parquet file.
	write(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, w io.Writer) (rows int64, sum uint64, err error)
}

type table[S, R any] struct {
	name string
	conv func(S) R
	read func(context.Context, gamedata.HistoryReader, gamedata.Day, func(S) error) error
}

func newTable[S, R any](name string, conv func(S) R, read func(context.Context, gamedata.HistoryReader, gamedata.Day, func(S) error) error) *table[S, R] {
	return &table[S, R]{name: name, conv: conv, read: read}
}

func (t *table[S, R]) Name() string { return t.name }

// Row is the archive row of s.
func (t *table[S, R]) Row(s S) R { return t.conv(s) }

func (t *table[S, R]) write(ctx context.Context, src gamedata.HistoryReader, d gamedata.Day, w io.Writer) (int64, uint64, error) {
	pw := parquet.NewGenericWriter[R](w,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("gamedata", "archive", fmt.Sprint(SchemaVersion)),
		parquet.KeyValueMetadata("gamedata.table", t.name),
		parquet.KeyValueMetadata("gamedata.day", d.String()))
	var rows int64
	var sum uint64
	buf := make([]R, 0, writeBatch)
	flush := func() error {
		_, err := pw.Write(buf)
		buf = buf[:0]
		return err
	}
	err := t.read(ctx, src, d, func(s S) error {
		r := t.conv(s)
		sum += Checksum(r)
		rows++
		if buf = append(buf, r); len(buf) == cap(buf) {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return 0, 0, err
	}
	return rows, sum, pw.Close()
}

// Checksum is a row's share of a table-day's checksum: the checksum of a
// day is the sum (mod 2^64) of its rows', so it does not depend on order.
func Checksum(row any) uint64 {
	b, err := json.Marshal(row)
	if err != nil {
		panic(err) // rows are plain structs
	}
	return xxhash.Sum64(b)
}

// Manifest says what one table-day holds; its presence marks the day
// archived (a day's part file without it is an unfinished run's).
type Manifest struct {
	Table      string     `json:"table"`
	Day        string     `json:"day"`
	Rows       int64      `json:"rows"`
	Checksum   string     `json:"checksum"` // hex of the sum of the rows' Checksum
	Files      []FileInfo `json:"files"`
	Schema     int        `json:"schema_version"`
	ArchivedAt time.Time  `json:"archived_at"`
	Run        string     `json:"run"` // who wrote it: instance and run
}

// FileInfo is one Parquet file of a table-day.
type FileInfo struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Archive is the archive in one Bucket.
type Archive struct {
	b     Bucket
	clock gamedata.Clock
}

// New returns the archive kept in b.
func New(b Bucket, clock gamedata.Clock) *Archive { return &Archive{b: b, clock: clock} }

// Bucket is where the archive lives.
func (a *Archive) Bucket() Bucket { return a.b }

// DayPrefix is the folder of a table-day: <table>/dt=YYYY-MM-DD/.
func DayPrefix(t string, d gamedata.Day) string { return t + "/dt=" + d.String() + "/" }

// WriteDay archives day d of table t from src, replacing whatever an
// earlier run left for it: the part file is published first (whole), then
// the manifest that marks the day done. run names the writer.
func (a *Archive) WriteDay(ctx context.Context, src gamedata.HistoryReader, t Table, d gamedata.Day, run string) (Manifest, error) {
	prefix := DayPrefix(t.Name(), d)
	spool, err := a.b.SpoolDir(prefix + partName)
	if err != nil {
		return Manifest{}, err
	}
	removeStale(spool)
	tmp := filepath.Join(spool, tempName(t.Name()+"-"+d.String()+".parquet"))
	f, err := os.Create(tmp)
	if err != nil {
		return Manifest{}, err
	}
	defer os.Remove(tmp) // gone already once published
	rows, sum, err := t.write(ctx, src, d, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("archive %s %s: %w", t.Name(), d, err)
	}
	m := Manifest{Table: t.Name(), Day: d.String(), Rows: rows, Checksum: fmt.Sprintf("%016x", sum),
		Files: []FileInfo{}, Schema: SchemaVersion, ArchivedAt: a.clock.Now().UTC(), Run: run}
	if rows == 0 {
		// A quiet day is its manifest alone (and loses a part an earlier
		// run wrote).
		if err := a.b.Remove(ctx, prefix+partName); err != nil {
			return Manifest{}, fmt.Errorf("archive %s %s: %w", t.Name(), d, err)
		}
	} else {
		st, err := os.Stat(tmp)
		if err != nil {
			return Manifest{}, err
		}
		if err := a.b.Publish(ctx, tmp, prefix+partName); err != nil {
			return Manifest{}, fmt.Errorf("archive %s %s: %w", t.Name(), d, err)
		}
		m.Files = []FileInfo{{Name: partName, Rows: rows, Bytes: st.Size()}}
	}
	if err := a.putManifest(ctx, prefix, m); err != nil {
		return Manifest{}, fmt.Errorf("archive %s %s: %w", t.Name(), d, err)
	}
	return m, nil
}

func (a *Archive) putManifest(ctx context.Context, prefix string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	spool, err := a.b.SpoolDir(prefix + manifestName)
	if err != nil {
		return err
	}
	tmp := filepath.Join(spool, tempName(manifestName))
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err != nil {
		return err
	}
	defer os.Remove(tmp)
	return a.b.Publish(ctx, tmp, prefix+manifestName)
}

// Manifest returns table t's manifest for day d; ok is false when the day
// is not archived.
func (a *Archive) Manifest(ctx context.Context, t string, d gamedata.Day) (m Manifest, ok bool, err error) {
	b, err := a.b.Read(ctx, DayPrefix(t, d)+manifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, false, fmt.Errorf("manifest of %s %s: %w", t, d, err)
	}
	return m, true, nil
}

// ArchivedDays returns the days of table t that have a manifest.
func (a *Archive) ArchivedDays(ctx context.Context, t string) (map[gamedata.Day]bool, error) {
	keys, err := a.b.List(ctx, t+"/")
	if err != nil {
		return nil, err
	}
	days := map[gamedata.Day]bool{}
	for _, k := range keys {
		if path.Base(k) != manifestName {
			continue
		}
		dir := path.Base(path.Dir(k))
		if d, err := gamedata.ParseDay(strings.TrimPrefix(dir, "dt=")); err == nil && strings.HasPrefix(dir, "dt=") {
			days[d] = true
		}
	}
	return days, nil
}

// ReadDay returns the rows of table t's day d as archived, read back from
// its Parquet files (for checks and tests; DuckDB is for questions).
func ReadDay[R any](ctx context.Context, a *Archive, t string, d gamedata.Day) ([]R, error) {
	m, ok, err := a.Manifest(ctx, t, d)
	if err != nil || !ok {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gamedata-archive-read-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var out []R
	for _, fi := range m.Files {
		local := filepath.Join(dir, fi.Name)
		if err := a.b.Fetch(ctx, DayPrefix(t, d)+fi.Name, local); err != nil {
			return nil, err
		}
		rows, err := parquet.ReadFile[R](local)
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", t, d, err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

// WriteEmpty writes a Parquet file of table t with no rows: its schema,
// for a reader's view of a table that has no day archived yet.
func WriteEmpty(t Table, w io.Writer) error {
	_, _, err := t.write(context.Background(), noRows{}, gamedata.Day{}, w)
	return err
}

// noRows is a HistoryReader of empty days.
type noRows struct{}

func (noRows) PlayerChanges(context.Context, gamedata.Day, func(gamedata.Player) error) error {
	return nil
}
func (noRows) OrderChanges(context.Context, gamedata.Day, func(gamedata.OrderChange) error) error {
	return nil
}
func (noRows) MessagesSent(context.Context, gamedata.Day, func(gamedata.Message) error) error {
	return nil
}
func (noRows) EventsStored(context.Context, gamedata.Day, func(gamedata.Event) error) error {
	return nil
}
func (noRows) Began(context.Context) (time.Time, error) { return time.Time{}, nil }
