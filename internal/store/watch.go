package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// DefaultWatchWindow is how long an announced story is watched for a
// promotion or a correction (Options.WatchWindow).
const DefaultWatchWindow = 24 * time.Hour

// Watch records the state (opaque to the store, at most maxWatchState
// bytes) of an announced story of edition ed, so that the poller notices
// later when it is promoted or corrected. The story stays watched for
// Options.WatchWindow from its first Watch, whatever later calls say; the
// ones older are dropped here. It returns an error wrapping news.ErrInvalid
// for a bad edition, ID or state.
func (s *Store) Watch(ctx context.Context, ed news.Lang, id int64, state string) error {
	if err := checkEdition(ed); err != nil {
		return err
	}
	if id <= 0 || len(state) > maxWatchState {
		return fmt.Errorf("store: watch %s/%d: bad ID or state: %w", ed, id, news.ErrInvalid)
	}
	now := s.now()
	member := strconv.FormatInt(id, 10)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, s.k.watchAt(ed), redis.Z{Score: float64(now.Unix()), Member: member})
		p.HSet(ctx, s.k.watch(ed), member, state)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: unable to watch %s/%d: %w", ed, id, err)
	}
	return s.trimWatch(ctx, ed, now)
}

// maxWatchState bounds the state of one watched story.
const maxWatchState = 64

// Watched returns the state of each of ids that is watched in edition ed
// (announced within Options.WatchWindow); the others are absent.
func (s *Store) Watched(ctx context.Context, ed news.Lang, ids []int64) (map[int64]string, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.trimWatch(ctx, ed, s.now()); err != nil {
		return nil, err
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = strconv.FormatInt(id, 10)
	}
	vals, err := s.rdb.HMGet(ctx, s.k.watch(ed), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the watched %s stories: %w", ed, err)
	}
	out := make(map[int64]string)
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[ids[i]] = str
		}
	}
	return out, nil
}

// trimWatch drops the stories watched for longer than the window.
func (s *Store) trimWatch(ctx context.Context, ed news.Lang, now time.Time) error {
	limit := "(" + strconv.FormatInt(now.Add(-s.opts.WatchWindow).Unix(), 10)
	old, err := s.rdb.ZRangeByScore(ctx, s.k.watchAt(ed), &redis.ZRangeBy{Min: "-inf", Max: limit}).Result()
	if err != nil {
		return fmt.Errorf("store: unable to read the watched %s stories: %w", ed, err)
	}
	if len(old) == 0 {
		return nil
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.k.watch(ed), old...)
		members := make([]any, len(old))
		for i, m := range old {
			members[i] = m
		}
		p.ZRem(ctx, s.k.watchAt(ed), members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: unable to forget old watched %s stories: %w", ed, err)
	}
	return nil
}
