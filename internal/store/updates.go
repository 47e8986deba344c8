package store

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
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

// ParkUpdates keeps the JSON of polled updates still in hand, by update
// ID, so that the offset may be confirmed past them (a long poll returns
// at most 100 updates past its offset): the next holder of the update role
// handles them after a crash (see ParkedUpdates). An empty map does
// nothing.
func (s *Store) ParkUpdates(ctx context.Context, updates map[int][]byte) error {
	if len(updates) == 0 {
		return nil
	}
	fields := make([]any, 0, 2*len(updates))
	for id, js := range updates {
		if id < 0 {
			return fmt.Errorf("store: update ID %d: %w", id, news.ErrInvalid)
		}
		fields = append(fields, strconv.Itoa(id), js)
	}
	if err := s.rdb.HSet(ctx, s.k.updatesInHand(), fields...).Err(); err != nil {
		return fmt.Errorf("store: unable to park %d updates: %w", len(updates), err)
	}
	return nil
}

// ParkedUpdates returns the updates parked and not unparked, by ID.
func (s *Store) ParkedUpdates(ctx context.Context) (map[int][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.k.updatesInHand()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the parked updates: %w", err)
	}
	out := make(map[int][]byte, len(all))
	for f, js := range all {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			s.log.Warn("A parked update with a bad ID was dropped.", "field", clip(f))
			s.rdb.HDel(ctx, s.k.updatesInHand(), f)
			continue
		}
		out[id] = []byte(js)
	}
	return out, nil
}

// UnparkUpdate forgets a parked update (handled); an unknown ID does
// nothing.
func (s *Store) UnparkUpdate(ctx context.Context, updateID int) error {
	if err := s.rdb.HDel(ctx, s.k.updatesInHand(), strconv.Itoa(updateID)).Err(); err != nil {
		return fmt.Errorf("store: unable to unpark update %d: %w", updateID, err)
	}
	return nil
}
