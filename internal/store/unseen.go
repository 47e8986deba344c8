package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// Unseen returns the ids not yet seen in edition ed, in input order, without
// recording anything: the poller reads and announces an article first and
// marks it seen after, so a crash in between loses nothing. The rule is
// MarkSeen's: an ID below the lowest one kept counts as seen.
func (s *Store) Unseen(ctx context.Context, ed news.Lang, ids []int64) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	members := make([]string, len(ids))
	for i, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("store: article ID %d: %w", id, news.ErrInvalid)
		}
		members[i] = strconv.FormatInt(id, 10)
	}
	pipe := s.rdb.Pipeline()
	floorCmd := pipe.Get(ctx, s.k.seenFloor(ed))
	scores := make([]*redis.FloatCmd, len(members))
	for i, m := range members {
		scores[i] = pipe.ZScore(ctx, s.k.seen(ed), m)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: unable to read the seen %s articles: %w", ed, err)
	}
	floor := int64(-1)
	if v, err := floorCmd.Int64(); err == nil {
		floor = v
	}
	var out []int64
	seen := make(map[int64]bool, len(ids))
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := scores[i].Err(); errors.Is(err, redis.Nil) && id >= floor {
			out = append(out, id)
		} else if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("store: unable to read the seen %s articles: %w", ed, err)
		}
	}
	return out, nil
}
