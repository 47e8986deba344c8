package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// defaultUpdateTTL is how long FirstTimeUpdate remembers an update when no
// TTL is given: Telegram keeps undelivered updates for 24 hours.
const defaultUpdateTTL = 24 * time.Hour

// UpdateOffset returns the stored getUpdates offset, 0 when none.
func (s *Store) UpdateOffset(ctx context.Context) (int, error) {
	v, err := s.rdb.Get(ctx, s.k.updateOffset()).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to read the update offset: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("store: update offset %q: %w: %w", clip(v), errCorrupt, err)
	}
	return n, nil
}

// SetUpdateOffset stores the getUpdates offset. A negative offset gives an
// error wrapping news.ErrInvalid.
func (s *Store) SetUpdateOffset(ctx context.Context, offset int) error {
	if offset < 0 {
		return fmt.Errorf("store: update offset %d: %w", offset, news.ErrInvalid)
	}
	if err := s.rdb.Set(ctx, s.k.updateOffset(), offset, 0).Err(); err != nil {
		return fmt.Errorf("store: unable to store the update offset: %w", err)
	}
	return nil
}

// FirstTimeUpdate reports true the first time it is called with updateID
// within ttl (24 hours when ttl <= 0), false afterwards: webhook updates that
// Telegram sends again are handled once.
func (s *Store) FirstTimeUpdate(ctx context.Context, updateID int, ttl time.Duration) (bool, error) {
	if updateID < 0 {
		return false, fmt.Errorf("store: update ID %d: %w", updateID, news.ErrInvalid)
	}
	if ttl <= 0 {
		ttl = defaultUpdateTTL
	}
	ok, err := s.setNX(ctx, s.k.update(updateID), ttl)
	if err != nil {
		return false, fmt.Errorf("store: unable to record update %d: %w", updateID, err)
	}
	return ok, nil
}

// SetOnce sets Key(key) if it is not set yet and reports whether it did:
// true once per ttl (forever when ttl <= 0). key is 1 to 200 bytes without
// white space or control characters (error wrapping news.ErrInvalid).
func (s *Store) SetOnce(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkKeyName("key", key); err != nil {
		return false, err
	}
	if ttl < 0 {
		ttl = 0
	}
	ok, err := s.setNX(ctx, s.Key(key), ttl)
	if err != nil {
		return false, fmt.Errorf("store: unable to set %q once: %w", key, err)
	}
	return ok, nil
}

// setNX is SET key 1 NX [PX ttl].
func (s *Store) setNX(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, key, "1", ttl).Result()
}

// SetMeta stores a named value (the last poll time of an edition, …). The
// name follows the rules of SetOnce's key.
func (s *Store) SetMeta(ctx context.Context, name, value string) error {
	if err := checkKeyName("meta name", name); err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.k.meta(), name, value).Err(); err != nil {
		return fmt.Errorf("store: unable to store meta %q: %w", name, err)
	}
	return nil
}

// Meta returns a value stored with SetMeta, "" when none.
func (s *Store) Meta(ctx context.Context, name string) (string, error) {
	if err := checkKeyName("meta name", name); err != nil {
		return "", err
	}
	v, err := s.rdb.HGet(ctx, s.k.meta(), name).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: unable to read meta %q: %w", name, err)
	}
	return v, nil
}
