package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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
// are normalized (NormalizeSlug, NormalizeKeyword), de-duplicated and sorted;
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
			p.SAdd(ctx, s.k.chats(), id)
			if corrupt {
				s.moveIndexes(ctx, p, id, s.everyFixedIndex(), nil)
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
			before = s.everyFixedIndex()
		case err != nil:
			return err
		case exists:
			before = s.memberships(&old)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, key)
			p.SRem(ctx, s.k.chats(), id)
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
	fromKey, toKey := s.k.chat(from), s.k.chat(to)
	return s.watch(ctx, fmt.Sprintf("migrate chat %d to %d", from, to), func(tx *redis.Tx) error {
		old, ok, err := s.loadChat(ctx, tx, from)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: migrate chat %d: %w", from, news.ErrNotFound)
		}
		prev, toExists, err := s.loadChat(ctx, tx, to)
		if err != nil {
			return err
		}
		c := old
		c.ID = to
		c.Inactive = false
		c.Strikes = 0
		c.Group = c.Group || news.IsGroupID(to)
		if toExists {
			c.Tags = append(slices.Clone(c.Tags), prev.Tags...)
			c.Keywords = append(slices.Clone(c.Keywords), prev.Keywords...)
			c.Breaking = c.Breaking || prev.Breaking
			if !c.LangChosen && prev.LangChosen {
				c.Lang, c.LangChosen = prev.Lang, true
			}
			if c.Created.IsZero() || (!prev.Created.IsZero() && prev.Created.Before(c.Created)) {
				c.Created = prev.Created
			}
		}
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
			p.Del(ctx, fromKey)
			p.SRem(ctx, s.k.chats(), from)
			s.moveIndexes(ctx, p, from, s.memberships(&old), nil)
			p.Set(ctx, toKey, data, 0)
			p.SAdd(ctx, s.k.chats(), to)
			s.moveIndexes(ctx, p, to, toBefore, s.memberships(&c))
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: unable to migrate chat %d to %d: %w", from, to, err)
		}
		return nil
	}, fromKey, toKey)
}

// ChatIDs returns every known chat, active or not, in ascending order.
func (s *Store) ChatIDs(ctx context.Context) ([]int64, error) {
	ids, err := s.setIDs(ctx, s.k.chats())
	if err != nil {
		return nil, fmt.Errorf("store: unable to list chats: %w", err)
	}
	return ids, nil
}

// CountChats counts active and inactive chats, and active chats per
// language (every language is present in the map, possibly with 0).
func (s *Store) CountChats(ctx context.Context) (active, inactive int64, perLang map[news.Lang]int64, err error) {
	var all, in *redis.IntCmd
	langs := make(map[news.Lang]*redis.IntCmd, len(news.Langs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.SCard(ctx, s.k.chats())
		in = p.SCard(ctx, s.k.chatsInactive())
		for _, l := range news.Langs {
			langs[l] = p.SCard(ctx, s.k.chatsLang(l))
		}
		return nil
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("store: unable to count chats: %w", err)
	}
	perLang = make(map[news.Lang]int64, len(langs))
	for l, c := range langs {
		perLang[l] = c.Val()
	}
	return all.Val() - in.Val(), in.Val(), perLang, nil
}

// Subscribers returns the active chats following slug in edition ed, in
// ascending order. The set is read with SSCAN, so a large one does not block
// Redis.
func (s *Store) Subscribers(ctx context.Context, ed news.Lang, slug string) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	slug, err := NormalizeSlug(slug)
	if err != nil {
		return nil, err
	}
	ids, err := s.setIDs(ctx, s.k.tagSubs(ed, slug))
	if err != nil {
		return nil, fmt.Errorf("store: unable to read subscribers of %s/%s: %w", ed, slug, err)
	}
	return ids, nil
}

// BreakingSubscribers returns the active chats with breaking alerts on in
// edition ed, in ascending order.
func (s *Store) BreakingSubscribers(ctx context.Context, ed news.Lang) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	ids, err := s.setIDs(ctx, s.k.breakingSubs(ed))
	if err != nil {
		return nil, fmt.Errorf("store: unable to read breaking subscribers of %s: %w", ed, err)
	}
	return ids, nil
}

// KeywordSubscribers returns, for every keyword followed in edition ed, the
// active chats following it (ascending).
func (s *Store) KeywordSubscribers(ctx context.Context, ed news.Lang) (map[string][]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	kws, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.k.keywords(ed), Start: "(0", Stop: "+inf", ByScore: true,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: unable to list keywords of %s: %w", ed, err)
	}
	// One pipelined SSCAN per keyword; the rare large set is read on.
	cmds := make([]*redis.ScanCmd, len(kws))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, kw := range kws {
			cmds[i] = p.SScan(ctx, s.k.keywordSubs(ed, kw), 0, "", scanCount)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unable to read keyword subscribers of %s: %w", ed, err)
	}
	out := make(map[string][]int64, len(kws))
	for i, kw := range kws {
		members, cursor := cmds[i].Val()
		ids, err := s.scanIDs(ctx, s.k.keywordSubs(ed, kw), members, cursor)
		if err != nil {
			return nil, fmt.Errorf("store: unable to read subscribers of keyword %q: %w", kw, err)
		}
		if len(ids) > 0 {
			out[kw] = ids
		}
	}
	return out, nil
}

// setIDs reads a set of chat IDs with SSCAN, de-duplicated and sorted.
// Members that are not integers are skipped.
func (s *Store) setIDs(ctx context.Context, key string) ([]int64, error) {
	members, cursor, err := s.rdb.SScan(ctx, key, 0, "", scanCount).Result()
	if err != nil {
		return nil, err
	}
	return s.scanIDs(ctx, key, members, cursor)
}

// scanIDs goes on with an SSCAN whose first reply was members and cursor.
func (s *Store) scanIDs(ctx context.Context, key string, members []string, cursor uint64) ([]int64, error) {
	ids := make([]int64, 0, len(members))
	rounds := 1
	for {
		for _, m := range members {
			if id, ok := parseID(m); ok {
				ids = append(ids, id)
			}
		}
		if cursor == 0 {
			break
		}
		var err error
		if members, cursor, err = s.rdb.SScan(ctx, key, cursor, "", scanCount).Result(); err != nil {
			return nil, err
		}
		rounds++
	}
	slices.Sort(ids)
	if rounds > 1 {
		// SSCAN may return an element more than once.
		ids = slices.Compact(ids)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// membership is one set a chat belongs to; keyword sets also count their
// keyword in a zset.
type membership struct {
	counter string // zset counting subscribers per member, or ""
	member  string
}

// memberships lists the index sets chat c belongs to, by key.
func (s *Store) memberships(c *news.Chat) map[string]membership {
	if c.Inactive {
		return map[string]membership{s.k.chatsInactive(): {}}
	}
	m := make(map[string]membership, 2+len(c.Tags)+len(c.Keywords))
	ed := c.Lang
	m[s.k.chatsLang(ed)] = membership{}
	if c.Breaking {
		m[s.k.breakingSubs(ed)] = membership{}
	}
	for _, t := range c.Tags {
		m[s.k.tagSubs(ed, t)] = membership{}
	}
	for _, kw := range c.Keywords {
		m[s.k.keywordSubs(ed, kw)] = membership{counter: s.k.keywords(ed), member: kw}
	}
	return m
}

// everyFixedIndex lists the index sets whose names do not depend on a
// chat's tags or keywords.
func (s *Store) everyFixedIndex() map[string]membership {
	m := map[string]membership{s.k.chatsInactive(): {}}
	for _, l := range news.Langs {
		m[s.k.chatsLang(l)] = membership{}
		m[s.k.breakingSubs(l)] = membership{}
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
	tags, err := normalizeList(c.Tags, NormalizeSlug)
	if err != nil {
		return err
	}
	kws, err := normalizeList(c.Keywords, NormalizeKeyword)
	if err != nil {
		return err
	}
	c.Tags, c.Keywords = tags, kws
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
