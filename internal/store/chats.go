package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// maxTxAttempts bounds the retries of an optimistic transaction that keeps
// meeting concurrent writers.
const maxTxAttempts = 200

// scanCount is the COUNT hint of SSCAN when reading subscriber sets: a set
// of up to a few thousand chats comes in one round trip, a larger one in
// slices that never block Redis for long.
const scanCount = 5000

// Chat returns the chat's settings, or an error wrapping news.ErrNotFound
// when the chat is unknown.
func (s *Store) Chat(ctx context.Context, id int64) (news.Chat, error) {
	if err := checkChatID(id); err != nil {
		return news.Chat{}, err
	}
	c, ok, err := s.loadChat(ctx, s.rdb, id)
	if err != nil {
		return news.Chat{}, err
	}
	if !ok {
		return news.Chat{}, fmt.Errorf("store: chat %d: %w", id, news.ErrNotFound)
	}
	return c, nil
}

// loadChat reads chat:{id} through cmd (the client or a WATCHing Tx).
func (s *Store) loadChat(ctx context.Context, cmd redis.Cmdable, id int64) (news.Chat, bool, error) {
	data, err := cmd.Get(ctx, s.k.chat(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return news.Chat{}, false, nil
	}
	if err != nil {
		return news.Chat{}, false, fmt.Errorf("store: unable to read chat %d: %w", id, err)
	}
	var c news.Chat
	if err := json.Unmarshal(data, &c); err != nil {
		return news.Chat{}, false, fmt.Errorf("store: chat %d: %w: %w", id, errCorrupt, err)
	}
	c.ID = id
	return c, true, nil
}

// abortError carries the error of an UpdateChat callback out of the
// transaction unchanged.
type abortError struct{ err error }

func (e abortError) Error() string { return e.err.Error() }
func (e abortError) Unwrap() error { return e.err }

// UpdateChat loads the chat (or a zero Chat{ID: id} when unknown, with
// created true), lets fn change it and saves the result atomically with every
// index in step: the per-edition tag, keyword and breaking sets, the set of
// all chats, the per-language and inactive sets. A changed Lang moves the
// subscriptions to the new edition's indexes; an inactive chat keeps its
// settings but leaves the fan-out indexes.
//
// The write is optimistic (WATCH/MULTI) and retried on conflict, so fn may be
// called more than once and must only change the chat it is given. An error
// returned by fn aborts the update and is returned as is. Tags and keywords
// are normalized (text.NormalizeSlug, text.NormalizeKeyword), de-duplicated and sorted;
// an invalid one, an invalid Lang or ID 0 gives an error wrapping
// news.ErrInvalid. A new chat without Created gets the current time.
func (s *Store) UpdateChat(ctx context.Context, id int64, fn func(c *news.Chat, created bool) error) (news.Chat, error) {
	if err := checkChatID(id); err != nil {
		return news.Chat{}, err
	}
	if fn == nil {
		return news.Chat{}, fmt.Errorf("store: UpdateChat without a function: %w", news.ErrInvalid)
	}
	var saved news.Chat
	key := s.k.chat(id)
	err := s.watch(ctx, fmt.Sprintf("update chat %d", id), func(tx *redis.Tx) error {
		old, exists, err := s.loadChat(ctx, tx, id)
		corrupt := errors.Is(err, errCorrupt)
		if err != nil && !corrupt {
			return err
		}
		if corrupt {
			// Start again rather than lock the reader out for good.
			s.log.Warn("Replacing a chat whose stored settings are unreadable; its tag and keyword index entries may stay behind.",
				slog.Int64("chat_id", id), slog.Any("err", err))
		}
		c := old
		if !exists {
			c = news.Chat{ID: id}
		}
		if err := fn(&c, !exists); err != nil {
			return abortError{err}
		}
		c.ID = id
		if err := normalizeChat(&c); err != nil {
			return err
		}
		if !exists && c.Created.IsZero() {
			c.Created = s.now().UTC()
		}
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store: unable to encode chat %d: %w", id, err)
		}
		var before map[string]membership
		if exists {
			before = s.memberships(&old)
		}
		after := s.memberships(&c)
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, data, 0)
			p.SAdd(ctx, s.k.chats(chatShard(id)), id)
			s.saveTopic(ctx, p, &c)
			if corrupt {
				s.moveIndexes(ctx, p, id, s.everyFixedIndex(chatShard(id)), nil)
			}
			s.moveIndexes(ctx, p, id, before, after)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: unable to save chat %d: %w", id, err)
		}
		saved = c
		return nil
	}, key)
	if err != nil {
		var ae abortError
		if errors.As(err, &ae) {
			return news.Chat{}, ae.err
		}
		return news.Chat{}, err
	}
	return saved, nil
}

// DeleteChat removes the chat's settings and every index entry. Deleting an
// unknown chat is not an error.
func (s *Store) DeleteChat(ctx context.Context, id int64) error {
	if err := checkChatID(id); err != nil {
		return err
	}
	key := s.k.chat(id)
	return s.watch(ctx, fmt.Sprintf("delete chat %d", id), func(tx *redis.Tx) error {
		old, exists, err := s.loadChat(ctx, tx, id)
		var before map[string]membership
		switch {
		case errors.Is(err, errCorrupt):
			// Unreadable settings: drop what can be known without them.
			s.log.Warn("Deleting a chat whose stored settings are unreadable; its tag and keyword index entries may stay behind.",
				slog.Int64("chat_id", id), slog.Any("err", err))
			before = s.everyFixedIndex(chatShard(id))
		case err != nil:
			return err
		case exists:
			before = s.memberships(&old)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, key)
			p.SRem(ctx, s.k.chats(chatShard(id)), id)
			s.moveIndexes(ctx, p, id, before, nil)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: unable to delete chat %d: %w", id, err)
		}
		return nil
	}, key)
}

// MigrateChat moves a group's settings and index entries to its new
// supergroup ID. When the new ID already has settings the two are merged:
// tags and keywords are united, breaking alerts stay on when either had them,
// and the language of the old chat wins unless only the new one chose it.
// The migrated chat is active with no strikes. It returns an error wrapping
// news.ErrNotFound when from is unknown.
//
// The move is one transaction when both chats live in one Cluster slot (or
// on a single Redis). Across two slots it is two: the merged chat is written
// first, then the old one removed; a failure in between leaves both, and
// calling MigrateChat again finishes the move (the merge is idempotent).
func (s *Store) MigrateChat(ctx context.Context, from, to int64) error {
	if err := checkChatID(from); err != nil {
		return err
	}
	if err := checkChatID(to); err != nil {
		return err
	}
	if from == to {
		return fmt.Errorf("store: migrate chat %d to itself: %w", from, news.ErrInvalid)
	}
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster && chatShard(from) != chatShard(to) {
		return s.migrateAcrossSlots(ctx, from, to)
	}
	fromKey, toKey := s.k.chat(from), s.k.chat(to)
	return s.watch(ctx, fmt.Sprintf("migrate chat %d to %d", from, to), func(tx *redis.Tx) error {
		old, ok, err := s.loadChat(ctx, tx, from)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: migrate chat %d: %w", from, news.ErrNotFound)
		}
		return s.writeMigrated(ctx, tx, old, to, true)
	}, fromKey, toKey)
}

// writeMigrated merges old (the group's chat) into chat to, read through
// tx, and writes the result; with removeOld it also deletes old and its
// index entries in the same transaction.
func (s *Store) writeMigrated(ctx context.Context, tx *redis.Tx, old news.Chat, to int64, removeOld bool) error {
	prev, toExists, err := s.loadChat(ctx, tx, to)
	if err != nil {
		return err
	}
	c := mergeMigrated(old, prev, toExists, to)
	if err := normalizeChat(&c); err != nil {
		return err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: unable to encode chat %d: %w", to, err)
	}
	var toBefore map[string]membership
	if toExists {
		toBefore = s.memberships(&prev)
	}
	_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if removeOld {
			s.removeChat(ctx, p, &old)
		}
		p.Set(ctx, s.k.chat(to), data, 0)
		p.SAdd(ctx, s.k.chats(chatShard(to)), to)
		s.moveIndexes(ctx, p, to, toBefore, s.memberships(&c))
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: unable to migrate chat %d to %d: %w", old.ID, to, err)
	}
	return nil
}

// removeChat queues the commands deleting chat c and its index entries.
func (s *Store) removeChat(ctx context.Context, p redis.Pipeliner, c *news.Chat) {
	p.Del(ctx, s.k.chat(c.ID))
	p.SRem(ctx, s.k.chats(chatShard(c.ID)), c.ID)
	s.moveIndexes(ctx, p, c.ID, s.memberships(c), nil)
}

// mergeMigrated is the chat to after the group old moved into it; prev is
// what to held before, when toExists.
func mergeMigrated(old, prev news.Chat, toExists bool, to int64) news.Chat {
	c := old
	c.ID = to
	c.Inactive = false
	c.Strikes = 0
	c.Group = c.Group || news.IsGroupID(to)
	if toExists {
		c.Tags = append(slices.Clone(c.Tags), prev.Tags...)
		c.Keywords = append(slices.Clone(c.Keywords), prev.Keywords...)
		c.Mutes = append(slices.Clone(c.Mutes), prev.Mutes...)
		c.MutedTags = append(slices.Clone(c.MutedTags), prev.MutedTags...)
		c.Breaking = c.Breaking || prev.Breaking
		if !c.LangChosen && prev.LangChosen {
			c.Lang, c.LangChosen = prev.Lang, true
		}
		if c.Created.IsZero() || (!prev.Created.IsZero() && prev.Created.Before(c.Created)) {
			c.Created = prev.Created
		}
	}
	return c
}

// migrateAcrossSlots is MigrateChat for two chats in different Cluster
// slots: write the merged chat to (watching it), then remove from
// (watching it), starting again when from changed in between.
func (s *Store) migrateAcrossSlots(ctx context.Context, from, to int64) error {
	what := fmt.Sprintf("migrate chat %d to %d", from, to)
	for attempt := 1; ; attempt++ {
		old, ok, err := s.loadChat(ctx, s.rdb, from)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: migrate chat %d: %w", from, news.ErrNotFound)
		}
		err = s.watch(ctx, what, func(tx *redis.Tx) error {
			return s.writeMigrated(ctx, tx, old, to, false)
		}, s.k.chat(to))
		if err != nil {
			return err
		}
		changed := false
		err = s.watch(ctx, what, func(tx *redis.Tx) error {
			cur, ok, err := s.loadChat(ctx, tx, from)
			if err != nil || !ok {
				return err
			}
			if changed = !reflect.DeepEqual(cur, old); changed {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				s.removeChat(ctx, p, &cur)
				return nil
			})
			return err
		}, s.k.chat(from))
		if err != nil {
			return fmt.Errorf("store: unable to %s: %w", what, err)
		}
		if !changed {
			return nil
		}
		if attempt >= maxTxAttempts {
			return fmt.Errorf("store: unable to %s: chat %d keeps changing", what, from)
		}
	}
}

// ChatIDs returns every known chat, active or not, in ascending order.
func (s *Store) ChatIDs(ctx context.Context) ([]int64, error) {
	ids, err := s.unionIDs(ctx, shardKeys(s.k.chats))
	if err != nil {
		return nil, fmt.Errorf("store: unable to list chats: %w", err)
	}
	return ids, nil
}

// shardKeys lists key(n) for every chat shard n.
func shardKeys(key func(n int) string) []string {
	out := make([]string, chatShards)
	for n := range out {
		out[n] = key(n)
	}
	return out
}

// CountChats counts active and inactive chats, and active chats per
// language (every language is present in the map, possibly with 0).
func (s *Store) CountChats(ctx context.Context) (active, inactive int64, perLang map[news.Lang]int64, err error) {
	var all, in [chatShards]*redis.IntCmd
	langs := make(map[news.Lang]*[chatShards]*redis.IntCmd, len(news.Langs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range news.Langs {
			langs[l] = new([chatShards]*redis.IntCmd)
		}
		for n := range chatShards {
			all[n] = p.SCard(ctx, s.k.chats(n))
			in[n] = p.SCard(ctx, s.k.chatsInactive(n))
			for _, l := range news.Langs {
				langs[l][n] = p.SCard(ctx, s.k.chatsLang(n, l))
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("store: unable to count chats: %w", err)
	}
	sum := func(cmds []*redis.IntCmd) (total int64) {
		for _, c := range cmds {
			total += c.Val()
		}
		return total
	}
	perLang = make(map[news.Lang]int64, len(langs))
	for l, cmds := range langs {
		perLang[l] = sum(cmds[:])
	}
	return sum(all[:]) - sum(in[:]), sum(in[:]), perLang, nil
}

// Subscribers returns the active chats following slug in edition ed, in
// ascending order. The sets (one per chat shard) are read with SSCAN, so a
// large one does not block Redis.
func (s *Store) Subscribers(ctx context.Context, ed news.Lang, slug string) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	slug, err := normalizeSlug(slug)
	if err != nil {
		return nil, err
	}
	return s.shardUnion(ctx, func(n int) string { return s.k.tagSubs(n, ed, slug) }, "subscribers of %s/%s", ed, slug)
}

// BreakingSubscribers returns the active chats with breaking alerts on in
// edition ed, in ascending order.
func (s *Store) BreakingSubscribers(ctx context.Context, ed news.Lang) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	return s.shardUnion(ctx, func(n int) string { return s.k.breakingSubs(n, ed) }, "breaking subscribers of %s", ed)
}

// shardUnion reads one index set per chat shard (key names shard n's) and
// returns the union, ascending; what names the index in the error.
func (s *Store) shardUnion(ctx context.Context, key func(n int) string, what string, args ...any) ([]int64, error) {
	ids, err := s.unionIDs(ctx, shardKeys(key))
	if err != nil {
		return nil, fmt.Errorf("store: unable to read %s: %w", fmt.Sprintf(what, args...), err)
	}
	return ids, nil
}

// KeywordSubscribers returns, for every keyword followed in edition ed, the
// active chats following it (ascending).
func (s *Store) KeywordSubscribers(ctx context.Context, ed news.Lang) (map[string][]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	// Each shard counts its own followers per keyword: read the sets of
	// the keywords a shard has followers of.
	counts := make([]*redis.StringSliceCmd, chatShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range counts {
			counts[n] = p.ZRangeArgs(ctx, redis.ZRangeArgs{
				Key: s.k.keywords(n, ed), Start: "(0", Stop: "+inf", ByScore: true,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unable to list keywords of %s: %w", ed, err)
	}
	perKeyword := map[string][]string{}
	for n, c := range counts {
		for _, kw := range c.Val() {
			perKeyword[kw] = append(perKeyword[kw], s.k.keywordSubs(n, ed, kw))
		}
	}
	out := make(map[string][]int64, len(perKeyword))
	for kw, keys := range perKeyword {
		ids, err := s.unionIDs(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("store: unable to read subscribers of keyword %q: %w", kw, err)
		}
		if len(ids) > 0 {
			out[kw] = ids
		}
	}
	return out, nil
}

// unionIDs reads sets of chat IDs with SSCAN (the first page of every set
// in one pipeline, which a Cluster client splits by node), and returns
// their union, de-duplicated and sorted, nil when empty. Members that are
// not integers are skipped.
func (s *Store) unionIDs(ctx context.Context, keys []string) ([]int64, error) {
	cmds := make([]*redis.ScanCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.SScan(ctx, k, 0, "", scanCount)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i, c := range cmds {
		members, cursor := c.Val()
		if ids, err = s.scanIDs(ctx, ids, keys[i], members, cursor); err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	// SSCAN may return an element more than once.
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// scanIDs goes on with an SSCAN of key whose first reply was members and
// cursor, appending the IDs to ids.
func (s *Store) scanIDs(ctx context.Context, ids []int64, key string, members []string, cursor uint64) ([]int64, error) {
	for {
		for _, m := range members {
			if id, ok := parseID(m); ok {
				ids = append(ids, id)
			}
		}
		if cursor == 0 {
			return ids, nil
		}
		var err error
		if members, cursor, err = s.rdb.SScan(ctx, key, cursor, "", scanCount).Result(); err != nil {
			return nil, err
		}
	}
}

// membership is one set a chat belongs to; keyword sets also count their
// keyword in a zset.
type membership struct {
	counter string // zset counting subscribers per member, or ""
	member  string
}

// memberships lists the index sets chat c belongs to, by key.
func (s *Store) memberships(c *news.Chat) map[string]membership {
	n := chatShard(c.ID)
	if c.Inactive {
		return map[string]membership{s.k.chatsInactive(n): {}}
	}
	m := make(map[string]membership, 2+len(c.Tags)+len(c.Keywords))
	ed := c.Lang
	m[s.k.chatsLang(n, ed)] = membership{}
	if c.Breaking {
		m[s.k.breakingSubs(n, ed)] = membership{}
	}
	for _, t := range c.Tags {
		m[s.k.tagSubs(n, ed, t)] = membership{}
	}
	for _, kw := range c.Keywords {
		m[s.k.keywordSubs(n, ed, kw)] = membership{counter: s.k.keywords(n, ed), member: kw}
	}
	s.muteMemberships(m, c)
	return m
}

// everyFixedIndex lists the index sets of shard n whose names do not
// depend on a chat's tags or keywords.
func (s *Store) everyFixedIndex(n int) map[string]membership {
	m := map[string]membership{s.k.chatsInactive(n): {}}
	for _, l := range news.Langs {
		m[s.k.chatsLang(n, l)] = membership{}
		m[s.k.breakingSubs(n, l)] = membership{}
		m[s.k.breakingUnmuted(n, l)] = membership{}
	}
	return m
}

// moveIndexes queues the SREM/SADD (and keyword counter) commands that take
// chat id from the sets in before to those in after.
func (s *Store) moveIndexes(ctx context.Context, p redis.Pipeliner, id int64, before, after map[string]membership) {
	touched := map[string]bool{}
	for key, m := range before {
		if _, ok := after[key]; ok {
			continue
		}
		p.SRem(ctx, key, id)
		if m.counter != "" {
			p.ZIncrBy(ctx, m.counter, -1, m.member)
			touched[m.counter] = true
		}
	}
	for key, m := range after {
		if _, ok := before[key]; ok {
			continue
		}
		p.SAdd(ctx, key, id)
		if m.counter != "" {
			p.ZIncrBy(ctx, m.counter, 1, m.member)
		}
	}
	for counter := range touched {
		p.ZRemRangeByScore(ctx, counter, "-inf", "0")
	}
}

// normalizeChat validates c and puts its lists in canonical form.
func normalizeChat(c *news.Chat) error {
	if err := checkChatID(c.ID); err != nil {
		return err
	}
	if !c.Lang.Valid() {
		return fmt.Errorf("store: chat %d has no valid language (%q): %w", c.ID, clip(string(c.Lang)), news.ErrInvalid)
	}
	if len(c.Tags) > maxChatTags {
		return fmt.Errorf("store: chat %d follows more than %d tags: %w", c.ID, maxChatTags, news.ErrInvalid)
	}
	if len(c.Keywords) > maxChatKeywords {
		return fmt.Errorf("store: chat %d follows more than %d keywords: %w", c.ID, maxChatKeywords, news.ErrInvalid)
	}
	tags, err := normalizeList(c.Tags, normalizeSlug)
	if err != nil {
		return err
	}
	kws, err := normalizeList(c.Keywords, normalizeKeyword)
	if err != nil {
		return err
	}
	c.Tags, c.Keywords = tags, kws
	if err := checkChatTopic(c); err != nil {
		return err
	}
	if err := normalizeMutes(c); err != nil {
		return err
	}
	if c.Strikes < 0 {
		c.Strikes = 0
	}
	if !c.Created.IsZero() {
		c.Created = c.Created.UTC()
	}
	return nil
}

// normalizeList normalizes, sorts and de-duplicates; empty gives nil.
func normalizeList(in []string, norm func(string) (string, error)) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		n, err := norm(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// errCorrupt marks a stored record that cannot be decoded.
var errCorrupt = errors.New("stored record is corrupt")

// watch runs an optimistic transaction on keys, retrying with a short
// jittered back-off while other clients change them. Errors returned by fn
// come back as they are (fn prefixes its own); a failed WATCH is wrapped.
func (s *Store) watch(ctx context.Context, what string, fn func(*redis.Tx) error, keys ...string) error {
	for attempt := 1; ; attempt++ {
		called := false
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			called = true
			return fn(tx)
		}, keys...)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, redis.TxFailedErr) && !called:
			return fmt.Errorf("store: unable to %s: %w", what, err)
		case !errors.Is(err, redis.TxFailedErr):
			return err
		case attempt >= maxTxAttempts:
			return fmt.Errorf("store: unable to %s: still conflicting after %d attempts: %w", what, attempt, err)
		}
		backoff := 100*time.Microsecond + time.Duration(rand.Int64N(int64(min(attempt, 20))*int64(time.Millisecond)))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("store: unable to %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
