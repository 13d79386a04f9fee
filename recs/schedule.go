package recs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Settings of the scheduled build.
const (
	// leaseName is the lease the instances of a deployment share: one of
	// them builds at a time.
	leaseName = "recs-build"
	// leaseTTL is how long a lease lasts unless renewed; the builder
	// renews it every leaseTTL/3, so a crashed builder's lease soon lapses.
	leaseTTL = 3 * time.Minute
	// scheduleCheck bounds how long the schedule sleeps between looks at
	// the build's state (another instance may have built meanwhile).
	scheduleCheck = time.Minute
)

// Schedule rebuilds every player's recommendations inside the server every
// Interval: when the last build finished longer ago than Interval, or
// never did (an interrupted build resumes). Instances that share a store
// take a lease, so one builds at a time.
type Schedule struct {
	Interval time.Duration
	Workers  int
	Lister   gamedata.PlayerLister
	Source   gamedata.RecsSource
	Recs     gamedata.RecsStore
	Lease    gamedata.Leaser
	Clock    gamedata.Clock
	Log      *slog.Logger
	// Done, when set, is told how each build ended.
	Done func(error)
}

// Run builds on schedule until ctx is done.
func (s *Schedule) Run(ctx context.Context) {
	owner := randomOwner()
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(s.Interval, scheduleCheck)
		state, err := s.Recs.RecsBuild(ctx)
		if err != nil {
			s.Log.Warn("recs build: read its state", "err", err)
			continue
		}
		if !state.Finished.IsZero() && s.Clock.Now().Sub(state.Finished) < s.Interval {
			continue
		}
		ok, err := s.Lease.AcquireLease(ctx, leaseName, owner, leaseTTL)
		if err != nil || !ok {
			continue // another instance builds, or the store is down: look again later
		}
		s.build(ctx, owner)
	}
}

func (s *Schedule) build(ctx context.Context, owner string) {
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-bctx.Done():
				return
			case <-t.C:
				if ok, err := s.Lease.AcquireLease(bctx, leaseName, owner, leaseTTL); err != nil || !ok {
					s.Log.Warn("recs build: lost its lease; stopping", "err", err)
					cancel()
					return
				}
			}
		}
	}()
	start := time.Now()
	snap, err := ReadSnapshot(bctx, s.Lister, s.Source)
	var sum BuildSummary
	if err == nil {
		sum, err = Build(bctx, snap, s.Recs, BuildConfig{Workers: s.Workers, Clock: s.Clock})
	}
	cancel()
	<-renewed
	_ = s.Lease.ReleaseLease(context.WithoutCancel(ctx), leaseName, owner)
	if ctx.Err() != nil {
		return // stopping: the next start resumes
	}
	if s.Done != nil {
		s.Done(err)
	}
	if err != nil {
		s.Log.Warn("recs build failed; the next one resumes it", "err", err)
		return
	}
	s.Log.Info("recs build", "players", sum.Players, "stored", sum.Stored, "skipped", sum.Skipped, "resumed", sum.Resumed,
		"items", sum.Items, "friendships", sum.Friendships, "took", time.Since(start).Round(time.Millisecond).String())
}

func randomOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}
