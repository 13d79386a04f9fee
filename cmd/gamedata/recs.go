package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata/recs"
)

func newRecsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recs",
		Short: "Measure the recommendation models offline",
		Long: `The recommendation models (docs/recommendations.md): "recs eval" measures
them on public datasets, with a fixed split, beside the usual baselines.`,
	}
	cmd.AddCommand(newRecsEvalCmd())
	return cmd
}

func newRecsEvalCmd() *cobra.Command {
	var steam, facebook string
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Print recall@10 and NDCG@10 of each model beside popularity on held-out real data",
		Long: `Print recall@10 and NDCG@10 of each model beside popularity on held-out real data.

The Steam play hours (items): 20% of the games of each player with at least
5 are held out. The Facebook ego graph (friends): 10% of the friendships are
held out. Both splits use seed ` + fmt.Sprint(recs.SplitSeed) + `; the models train on the rest
through the same code that "gamedata recs build" runs. With neither flag,
both files are looked for in shared/datasets beside the current folder or
any folder above it ($GAMEDATA_DATASETS names another).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if steam == "" && facebook == "" {
				dir := recs.FindDatasets(".")
				if dir == "" {
					return errors.New("no --steam or --facebook given and no shared/datasets found")
				}
				steam, facebook = filepath.Join(dir, recs.SteamFile), filepath.Join(dir, recs.FacebookFile)
			}
			out := cmd.OutOrStdout()
			if steam != "" {
				p, err := recs.ReadSteamFile(steam)
				if err != nil {
					return err
				}
				rs, err := recs.EvalSteam(p)
				if err != nil {
					return err
				}
				recs.WriteTable(out, fmt.Sprintf("Items: %s, %d players, %d games, %.0f%% of each player's games held out (players with >= %d), seed %d",
					filepath.Base(steam), p.Players.Len(), p.Items.Len(), 100*recs.SteamHoldOut, recs.SteamMinGames, recs.SplitSeed), rs)
			}
			if facebook != "" {
				g, _, err := recs.ReadEdgesFile(facebook)
				if err != nil {
					return err
				}
				rs, err := recs.EvalFacebook(g)
				if err != nil {
					return err
				}
				recs.WriteTable(out, fmt.Sprintf("Friends: %s, %d people, %d friendships, %.0f%% held out, seed %d",
					filepath.Base(facebook), g.N, g.NumEdges(), 100*recs.FacebookHoldOut, recs.SplitSeed), rs)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&steam, "steam", "", "Steam play-hours CSV (user-id,game-title,value,) to evaluate the items models on")
	fs.StringVar(&facebook, "facebook", "", "friendship edge list (SNAP ego-Facebook) to evaluate the friends models on")
	cliOnly(fs, "steam")
	cliOnly(fs, "facebook")
	return cmd
}
