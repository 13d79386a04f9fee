package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// adminKeyFile is where the first admin key is written, in the data folder.
const adminKeyFile = "admin.key"

// ensureAdminKey gives a store that holds no API key its first one, named
// admin, so that a fresh install can be used at all: the secret is printed
// once to out and written to <dataDir>/admin.key, mode 0600. A store with any
// key, even a revoked one, has been set up and is left alone.
func ensureAdminKey(ctx context.Context, store gamedata.APIKeyStore, dataDir string, now time.Time, out io.Writer, log *slog.Logger) error {
	keys, err := store.ListAPIKeys(ctx)
	if err != nil {
		return fmt.Errorf("look for API keys: %w", err)
	}
	if len(keys) > 0 {
		return nil
	}
	k, secret := newAPIKey("admin", now)
	path := filepath.Join(dataDir, adminKeyFile)
	// The file first: a key stored but never shown would lock the operator out.
	if err := writeSecretFile(path, secret); err != nil {
		return err
	}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return errors.Join(fmt.Errorf("store the admin key: %w", err), os.Remove(path))
	}
	log.Info("created the admin API key", "id", k.ID, "prefix", k.Prefix, "file", path)
	_, err = fmt.Fprintf(out, "gamedata: created the admin API key (shown only this once, also saved in %s):\n%s\n", path, secret)
	return err
}

// writeSecretFile replaces path with secret, readable by the owner only. It
// writes a temporary file and renames it, so path never holds half a secret.
func writeSecretFile(path, secret string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".admin.key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.WriteString(secret + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", path, err), os.Remove(f.Name()))
	}
	return nil
}
