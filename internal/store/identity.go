package store

import (
	"context"
	"fmt"
	"strconv"

	"newsbot/internal/news"
)

// Identity fields of keyIdentity.
const (
	identityID      = "id"
	identityCounter = "counter"
)

// EnsureIdentity returns the store's identity and write counter. A store
// without an identity (new, or emptied) is given candidate, with the
// counter it already has (0 when none); created reports that. The identity
// lets the bot tell its own store from an emptied or a different one, and
// the counter, which only grows, an older copy of it (see BumpCounter).
func (s *Store) EnsureIdentity(ctx context.Context, candidate string) (id string, counter int64, created bool, err error) {
	if candidate == "" {
		return "", 0, false, fmt.Errorf("store: empty identity: %w", news.ErrInvalid)
	}
	created, err = s.rdb.HSetNX(ctx, s.k.identity(), identityID, candidate).Result()
	if err != nil {
		return "", 0, false, fmt.Errorf("store: unable to set the store identity: %w", err)
	}
	vals, err := s.rdb.HMGet(ctx, s.k.identity(), identityID, identityCounter).Result()
	if err != nil {
		return "", 0, false, fmt.Errorf("store: unable to read the store identity: %w", err)
	}
	id, _ = vals[0].(string)
	if c, ok := vals[1].(string); ok {
		if counter, err = strconv.ParseInt(c, 10, 64); err != nil {
			return "", 0, false, fmt.Errorf("store: the write counter %q is not a number", c)
		}
	}
	return id, counter, created, nil
}

// BumpCounter adds one to the store's write counter and returns the new
// value. The bot bumps it on every poll and every announcement, and keeps
// the last value outside the store: a store that answers a lower value has
// been restored from an older copy.
func (s *Store) BumpCounter(ctx context.Context) (int64, error) {
	n, err := s.rdb.HIncrBy(ctx, s.k.identity(), identityCounter, 1).Result()
	if err != nil {
		return 0, fmt.Errorf("store: unable to bump the write counter: %w", err)
	}
	return n, nil
}
