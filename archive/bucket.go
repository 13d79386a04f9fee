package archive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Bucket is where the archive's files live: a local folder or an S3 bucket
// (s3.go). Keys are slash-separated paths below the archive's root.
type Bucket interface {
	// Publish makes the finished local file src readable under key all at
	// once (a rename, or a completed upload) and removes src; an object
	// already at key is replaced whole.
	Publish(ctx context.Context, src, key string) error
	// Read returns the object at key; an error wrapping fs.ErrNotExist when
	// there is none.
	Read(ctx context.Context, key string) ([]byte, error)
	// Fetch copies the object at key into the local file dst.
	Fetch(ctx context.Context, key, dst string) error
	// List returns the keys below prefix (a folder, ending in "/").
	List(ctx context.Context, prefix string) ([]string, error)
	// Remove deletes the object at key, if any.
	Remove(ctx context.Context, key string) error
	// SpoolDir is a local folder for files being written before they are
	// published; on the same file system as the bucket when it is local,
	// so that publishing is a rename.
	SpoolDir(key string) (string, error)
	// Dir is the local folder that holds the keys, or "" when the bucket
	// is not local (DuckDB reads a local folder directly).
	Dir() string
	String() string
}

// tempPrefix starts the names of files being written: readers' globs
// (part-*.parquet) and List skip them.
const tempPrefix = ".tmp-"

// Folder is a Bucket in a local folder.
type Folder struct{ root string }

// NewFolder returns the Bucket in folder root, created (0750) when missing.
func NewFolder(root string) (*Folder, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("archive folder: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("archive folder: %w", err)
	}
	return &Folder{root: abs}, nil
}

func (f *Folder) path(key string) string { return filepath.Join(f.root, filepath.FromSlash(key)) }

func (f *Folder) Dir() string    { return f.root }
func (f *Folder) String() string { return f.root }

func (f *Folder) SpoolDir(key string) (string, error) {
	dir := filepath.Dir(f.path(key))
	return dir, os.MkdirAll(dir, 0o750)
}

// Publish syncs src and renames it to key: a reader sees the old file or
// the new one, never a part. The folder is synced after a manifest only:
// that covers the day's part renamed before it in the same folder (a
// crash before loses both renames, and the day is archived again).
func (f *Folder) Publish(_ context.Context, src, key string) error {
	dst := f.path(key)
	if err := syncFile(src); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if path.Base(key) != manifestName {
		return nil
	}
	return syncDir(filepath.Dir(dst))
}

func (f *Folder) Read(_ context.Context, key string) ([]byte, error) { return os.ReadFile(f.path(key)) }

func (f *Folder) Fetch(_ context.Context, key, dst string) error {
	in, err := os.Open(f.path(key))
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (f *Folder) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	base := f.path(prefix)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(f.root, p)
		if err != nil {
			return err
		}
		keys = append(keys, filepath.ToSlash(rel))
		return nil
	})
	return keys, err
}

func (f *Folder) Remove(_ context.Context, key string) error {
	err := os.Remove(f.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeStale deletes the temporary files a stopped run left in dir.
func removeStale(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // not every file system syncs a folder; the rename stands
	return nil
}

// tempName returns a fresh temporary file name for key's base name.
func tempName(key string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return tempPrefix + hex.EncodeToString(b) + "-" + path.Base(key)
}
