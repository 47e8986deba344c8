package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// The key layout before hash tags (newsbot before Redis Cluster support),
// which UpgradeLayout moves to the current one. Relative to the prefix.
const (
	legacyChat      = "chat:" // + "<id>"
	legacyChats     = "chats" // set of every chat ID
	legacyInactive  = "chats:inactive"
	legacyLang      = "chats:lang:"      // + "<lang>"
	legacySubsMatch = "sub:[a-z][a-z]:*" // every subscription index
)

// legacyEditionKeys maps the old names of edition ed's window keys to the
// current ones.
func (s *Store) legacyEditionKeys(ed news.Lang) [][2]string {
	p, e := s.opts.Prefix, string(ed)
	return [][2]string{
		{p + keySeen + e, s.k.seen(ed)},
		{p + keySeen + e + ":floor", s.k.seenFloor(ed)},
		{p + keyRecent + e, s.k.recent(ed)},
		{p + keyRecent + e + ":tags", s.k.recentTags(ed)},
		{p + keyTags + e + ":count", s.k.tagCounts(ed)},
		{p + keyTags + e + ":names", s.k.tagNames(ed)},
	}
}

// UpgradeLayout moves the data of the key layout before hash tags to the
// current layout, once: every chat of the old chats set is written through
// the chat transaction (record and indexes under its shard's tag), then
// its old record and the old indexes are deleted; the edition windows
// (seen, recent, tag counts and names) are renamed. Articles, flags, the
// update offset, meta and identity kept their names. It returns the
// number of chats moved. Running it again, or in several replicas at once,
// is safe: a chat already present under its new name is left as it is.
// The app runs it once at start (internal/app, openStore).
func (s *Store) UpgradeLayout(ctx context.Context) (int, error) {
	if err := s.upgradeEditions(ctx); err != nil {
		return 0, err
	}
	old := s.opts.Prefix + legacyChats
	var moved int
	for {
		ids, _, err := s.rdb.SScan(ctx, old, 0, "", scanCount).Result()
		if err != nil {
			return moved, fmt.Errorf("store: unable to read the old chats set: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		for _, v := range ids {
			if err := s.upgradeChat(ctx, v); err != nil {
				return moved, err
			}
			moved++
		}
	}
	if err := s.dropLegacyIndexes(ctx); err != nil {
		return moved, err
	}
	if moved > 0 {
		s.log.Info("Moved the chats to the key layout with hash tags.", slog.Int("chats", moved))
	}
	return moved, nil
}

// upgradeEditions renames the edition windows. On a single Redis only: the
// old layout never ran on a Cluster, where the old and new names may be
// in different slots.
func (s *Store) upgradeEditions(ctx context.Context) error {
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		return nil
	}
	for _, ed := range news.Langs {
		for _, kv := range s.legacyEditionKeys(ed) {
			err := s.rdb.RenameNX(ctx, kv[0], kv[1]).Err()
			if err != nil && !isNoSuchKey(err) {
				return fmt.Errorf("store: unable to rename %s: %w", kv[0], err)
			}
		}
	}
	return nil
}

// isNoSuchKey tells RENAME's error for a missing source key.
func isNoSuchKey(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && re.Error() == "ERR no such key"
}

// upgradeChat moves one chat of the old chats set.
func (s *Store) upgradeChat(ctx context.Context, member string) error {
	p := s.opts.Prefix
	id, ok := parseID(member)
	if !ok || id == 0 {
		return s.rdb.SRem(ctx, p+legacyChats, member).Err()
	}
	oldKey := p + legacyChat + strconv.FormatInt(id, 10)
	data, err := s.rdb.Get(ctx, oldKey).Bytes()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: unable to read old chat %d: %w", id, err)
	}
	if err == nil {
		if err := s.moveChat(ctx, id, data); err != nil {
			return err
		}
	}
	if err := s.rdb.Del(ctx, oldKey).Err(); err != nil {
		return fmt.Errorf("store: unable to delete old chat %d: %w", id, err)
	}
	return s.rdb.SRem(ctx, p+legacyChats, member).Err()
}

// moveChat writes chat id's old record data under the current layout,
// unless it is there already.
func (s *Store) moveChat(ctx context.Context, id int64, data []byte) error {
	var c news.Chat
	err := json.Unmarshal(data, &c)
	if err == nil {
		_, err = s.UpdateChat(ctx, id, func(dst *news.Chat, created bool) error {
			if !created {
				return errAlreadyMoved
			}
			*dst = c
			return nil
		})
		if err == nil || errors.Is(err, errAlreadyMoved) {
			return nil
		}
		if !errors.Is(err, news.ErrInvalid) {
			return fmt.Errorf("store: unable to move old chat %d: %w", id, err)
		}
	}
	// Keep an unreadable or invalid record for UpdateChat to replace, as
	// before; it has no index entries.
	s.log.Warn("Moving an unreadable chat record as it is.", slog.Int64("chat_id", id), slog.Any("err", err))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, s.k.chat(id), data, 0)
		p.SAdd(ctx, s.k.chats(chatShard(id)), id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: unable to move old chat %d: %w", id, err)
	}
	return nil
}

// errAlreadyMoved stops the move of a chat that has its new record.
var errAlreadyMoved = errors.New("store: chat already moved")

// dropLegacyIndexes deletes the old index keys, derived from the chats
// moved: the fixed sets by name, the subscription sets by SCAN on every
// master.
func (s *Store) dropLegacyIndexes(ctx context.Context) error {
	p := s.opts.Prefix
	fixed := []string{p + legacyChats, p + legacyInactive}
	for _, l := range news.Langs {
		fixed = append(fixed, p+legacyLang+string(l))
	}
	for _, k := range fixed {
		if err := s.rdb.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("store: unable to delete old index %s: %w", k, err)
		}
	}
	return s.eachMaster(ctx, func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, p+legacySubsMatch, 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Del(ctx, iter.Val()).Err(); err != nil {
				return fmt.Errorf("store: unable to delete old index: %w", err)
			}
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("store: unable to list old indexes: %w", err)
		}
		return nil
	})
}

// eachMaster runs fn on every master of a Cluster, or once on the client
// of a single Redis: what SCAN and other per-node commands need.
func (s *Store) eachMaster(ctx context.Context, fn func(ctx context.Context, c redis.Cmdable) error) error {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return fn(ctx, m) })
	}
	return fn(ctx, s.rdb)
}
