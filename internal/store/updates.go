package store

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// Per-update claims share the key of FirstTimeUpdate (keyUpdate +
// "<update_id>"): "1" once the update is handled (FinishUpdate, or the
// webhook's FirstTimeUpdate on receipt), "claim:<holder>" with a short TTL
// while a replica handles it. Each touches one key: any topology.
var (
	//go:embed lua/update_claim.lua
	updateClaimLua string
	//go:embed lua/update_renew.lua
	updateRenewLua string

	updateClaim = redis.NewScript(updateClaimLua)
	updateRenew = redis.NewScript(updateRenewLua)
)

const claimPrefix = "claim:"

func checkClaimArgs(updateID int, holder string, ttl time.Duration) error {
	if updateID < 0 {
		return fmt.Errorf("store: update ID %d: %w", updateID, news.ErrInvalid)
	}
	if holder == "" || strings.ContainsAny(holder, " \t\r\n") {
		return fmt.Errorf("store: bad update claim holder %q: %w", holder, news.ErrInvalid)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("store: update claim of %s: %w", ttl, news.ErrInvalid)
	}
	return nil
}

// ClaimUpdate claims update updateID for holder for ttl, so that one
// replica handles it. claimed is true when the caller holds the claim
// (taken now, or its own already: then extended); done is true when the
// update was handled already (FinishUpdate, or the webhook's
// FirstTimeUpdate); both are false while another holder's claim is live.
// Bad arguments give an error wrapping news.ErrInvalid.
func (s *Store) ClaimUpdate(ctx context.Context, updateID int, holder string, ttl time.Duration) (claimed, done bool, err error) {
	if err := checkClaimArgs(updateID, holder, ttl); err != nil {
		return false, false, err
	}
	n, err := updateClaim.Run(ctx, s.rdb, []string{s.k.update(updateID)}, claimPrefix+holder, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, false, fmt.Errorf("store: unable to claim update %d: %w", updateID, err)
	}
	return n == 1, n == 0, nil
}

// RenewUpdateClaims extends holder's claims of updateIDs by ttl, in one
// round trip, and returns the IDs whose claim was lost (expired, or taken
// by another holder after it expired).
func (s *Store) RenewUpdateClaims(ctx context.Context, holder string, updateIDs []int, ttl time.Duration) (lost []int, err error) {
	for _, id := range updateIDs {
		if err := checkClaimArgs(id, holder, ttl); err != nil {
			return nil, err
		}
	}
	if len(updateIDs) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(updateIDs))
	for i, id := range updateIDs {
		// EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT.
		cmds[i] = updateRenew.Eval(ctx, pipe, []string{s.k.update(id)}, claimPrefix+holder, ttl.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: unable to renew %d update claims: %w", len(updateIDs), err)
	}
	for i, c := range cmds {
		if n, _ := c.Int64(); n != 1 {
			lost = append(lost, updateIDs[i])
		}
	}
	return lost, nil
}

// FinishUpdate records update updateID as handled for ttl (24 hours when
// ttl <= 0), whoever claimed it: ClaimUpdate and FirstTimeUpdate then
// report it done.
func (s *Store) FinishUpdate(ctx context.Context, updateID int, ttl time.Duration) error {
	if updateID < 0 {
		return fmt.Errorf("store: update ID %d: %w", updateID, news.ErrInvalid)
	}
	if ttl <= 0 {
		ttl = defaultUpdateTTL
	}
	if err := s.rdb.Set(ctx, s.k.update(updateID), "1", ttl).Err(); err != nil {
		return fmt.Errorf("store: unable to record update %d as handled: %w", updateID, err)
	}
	return nil
}
