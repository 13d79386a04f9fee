package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata"
)

// apiKeyNameMax bounds the name an operator gives a key.
const apiKeyNameMax = 64

// apiKeyShownPrefix is how much of a secret is kept in clear (gdk_ and 8
// characters): enough to tell keys apart, far too little to guess the rest.
const apiKeyShownPrefix = len(gamedata.APIKeyPrefix) + 8

// newAPIKey makes a server key named name; the secret is returned once and
// only its hash is kept in the key.
func newAPIKey(name string, now time.Time) (k gamedata.APIKey, secret string) {
	secret = gamedata.NewSecret(gamedata.APIKeyPrefix)
	return gamedata.APIKey{
		ID:        gamedata.NewID(now),
		Name:      name,
		Prefix:    secret[:apiKeyShownPrefix],
		Hash:      gamedata.HashSecret(secret),
		CreatedAt: now,
	}, secret
}

func newAPIKeyCmd() *cobra.Command {
	var sc storeConfig
	cmd := &cobra.Command{
		Use:   "apikey",
		Short: "Create, list and revoke server API keys",
		Long: `Server API keys are held by the game's servers and may act for any player.
These commands work on the store that "gamedata serve" uses with the same
settings, and are safe to run while it runs: a key created or revoked here
is accepted or refused by the running server at once.`,
	}
	sc.addFlags(cmd.PersistentFlags())
	cmd.AddCommand(newAPIKeyCreateCmd(&sc), newAPIKeyListCmd(&sc), newAPIKeyRevokeCmd(&sc))
	return cmd
}

// withStore opens the store of sc, runs fn with what it offers and closes
// the store.
func withStore(ctx context.Context, sc *storeConfig, fn func(gamedata.Backend) error) (err error) {
	b, err := openStore(ctx, *sc, gamedata.SystemClock{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.Store.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	return fn(b)
}

func newAPIKeyCreateCmd(sc *storeConfig) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a server API key and print its secret, once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name := strings.TrimSpace(name)
			if n := utf8.RuneCountInString(name); n == 0 || n > apiKeyNameMax {
				return fmt.Errorf("--name must be 1 to %d characters", apiKeyNameMax)
			}
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				store := b.Store
				k, secret := newAPIKey(name, gamedata.SystemClock{}.Now())
				if err := store.CreateAPIKey(cmd.Context(), k); err != nil {
					return fmt.Errorf("store API key: %w", err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(),
					"id:     %s\nname:   %s\nprefix: %s\nsecret: %s\n\nThe secret is shown only this once: keep it now. Callers send it as\n\"Authorization: Bearer <secret>\".\n",
					k.ID, k.Name, k.Prefix, secret)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the key is for, to tell keys apart (required)")
	cliOnly(cmd.Flags(), "name")
	if err := cmd.MarkFlagRequired("name"); err != nil {
		panic(err)
	}
	return cmd
}

func newAPIKeyListCmd(sc *storeConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List server API keys, revoked ones included (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				store := b.Store
				keys, err := store.ListAPIKeys(cmd.Context())
				if err != nil {
					return fmt.Errorf("list API keys: %w", err)
				}
				slices.SortFunc(keys, func(a, b gamedata.APIKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tPREFIX\tCREATED\tREVOKED")
				for _, k := range keys {
					revoked := "-"
					if k.RevokedAt != nil {
						revoked = k.RevokedAt.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
				}
				return w.Flush()
			})
		},
	}
}

func newAPIKeyRevokeCmd(sc *storeConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a server API key: the server refuses it from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return fmt.Errorf("%q is not an API key id (see gamedata apikey list): %w", args[0], err)
			}
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				store := b.Store
				err := store.RevokeAPIKey(cmd.Context(), id, gamedata.SystemClock{}.Now())
				if errors.Is(err, gamedata.ErrNotFound) {
					return fmt.Errorf("no API key with id %s", id)
				}
				if err != nil {
					return fmt.Errorf("revoke API key: %w", err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked API key %s\n", id)
				return err
			})
		},
	}
}
