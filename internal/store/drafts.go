package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/draft_take.lua
	draftTakeLua string
	draftTake    = redis.NewScript(draftTakeLua)
)

// PutBroadcastDraft keeps an admin's broadcast text until it is confirmed,
// for ttl: a restart between the request and the button press keeps it.
// A new draft in the same chat replaces the previous one.
func (s *Store) PutBroadcastDraft(ctx context.Context, chatID, userID int64, text string, ttl time.Duration) error {
	v := strconv.FormatInt(userID, 10) + "\n" + text
	if err := s.rdb.Set(ctx, s.k.draft(chatID), v, ttl).Err(); err != nil {
		return fmt.Errorf("store: unable to keep a broadcast draft: %w", err)
	}
	return nil
}

// TakeBroadcastDraft returns and deletes the chat's broadcast draft when
// userID wrote it; ok is false when there is none, it expired, or another
// user wrote it (that draft is kept for its author).
func (s *Store) TakeBroadcastDraft(ctx context.Context, chatID, userID int64) (text string, ok bool, err error) {
	text, err = draftTake.Run(ctx, s.rdb, []string{s.k.draft(chatID)}, strconv.FormatInt(userID, 10)).Text()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: unable to take a broadcast draft: %w", err)
	}
	return text, true, nil
}
