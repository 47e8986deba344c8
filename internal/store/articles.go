package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// markSeenScript records article IDs as seen in one edition and returns
// those never seen before.
//
// KEYS[1] seen zset, KEYS[2] floor string; ARGV[1] the number of IDs kept,
// ARGV[2..] the IDs. An ID lower than the floor (the lowest ID kept when the
// zset was last trimmed) counts as seen. Trimming drops the lowest IDs.
var markSeenScript = redis.NewScript(`
local floor = tonumber(redis.call('GET', KEYS[2]) or '')
local fresh = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if not redis.call('ZSCORE', KEYS[1], id) then
    if floor == nil or tonumber(id) >= floor then
      redis.call('ZADD', KEYS[1], id, id)
      fresh[#fresh + 1] = id
    end
  end
end
local max = tonumber(ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n > max then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)
  local lowest = redis.call('ZRANGE', KEYS[1], 0, 0)
  redis.call('SET', KEYS[2], lowest[1])
end
return fresh
`)

// saveArticleScript keeps the recent window and the tag counts of an
// edition in step with a saved article (its JSON is written before, under
// its own key, which may live in another Cluster slot).
//
// KEYS[1] recent zset, KEYS[2] recent tags hash, KEYS[3] tag counts zset,
// KEYS[4] tag names hash (all under the edition's hash tag).
// ARGV[1] ID, ARGV[2] window size, ARGV[3] the article's slugs separated by
// spaces, ARGV[4..] slug/name pairs.
var saveArticleScript = redis.NewScript(`
local id = ARGV[1]
local old = redis.call('HGET', KEYS[2], id)
if old then
  for slug in string.gmatch(old, '%S+') do
    redis.call('ZINCRBY', KEYS[3], -1, slug)
  end
end
redis.call('ZADD', KEYS[1], id, id)
redis.call('HSET', KEYS[2], id, ARGV[3])
for slug in string.gmatch(ARGV[3], '%S+') do
  redis.call('ZINCRBY', KEYS[3], 1, slug)
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
end
local max = tonumber(ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
if n > max then
  local gone = redis.call('ZRANGE', KEYS[1], 0, n - max - 1)
  for _, gid in ipairs(gone) do
    local tags = redis.call('HGET', KEYS[2], gid)
    if tags then
      for slug in string.gmatch(tags, '%S+') do
        redis.call('ZINCRBY', KEYS[3], -1, slug)
      end
    end
    redis.call('HDEL', KEYS[2], gid)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', 0)
return n
`)

// MarkSeen atomically records ids as seen in edition ed and returns those
// never seen before, in input order without duplicates. Only the highest
// SeenPerEdition IDs are kept; once lower ones have been dropped, an ID lower
// than the lowest kept counts as seen. Non-positive IDs give an error
// wrapping news.ErrInvalid.
func (s *Store) MarkSeen(ctx context.Context, ed news.Lang, ids []int64) (fresh []int64, err error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > maxMarkSeenBatch {
		return nil, fmt.Errorf("store: more than %d IDs to mark seen at once: %w", maxMarkSeenBatch, news.ErrInvalid)
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, s.opts.SeenPerEdition)
	for _, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("store: article ID %d: %w", id, news.ErrInvalid)
		}
		args = append(args, id)
	}
	res, err := markSeenScript.Run(ctx, s.rdb, []string{s.k.seen(ed), s.k.seenFloor(ed)}, args...).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: unable to mark %s articles seen: %w", ed, err)
	}
	for _, v := range res {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: unexpected seen ID %q: %w", v, err)
		}
		fresh = append(fresh, id)
	}
	return fresh, nil
}

// Initialized reports whether the first poll of edition ed is done.
func (s *Store) Initialized(ctx context.Context, ed news.Lang) (bool, error) {
	if err := checkEdition(ed); err != nil {
		return false, err
	}
	n, err := s.rdb.Exists(ctx, s.k.initialized(ed)).Result()
	if err != nil {
		return false, fmt.Errorf("store: unable to read the %s initialized flag: %w", ed, err)
	}
	return n == 1, nil
}

// SetInitialized records that the first poll of edition ed is done.
func (s *Store) SetInitialized(ctx context.Context, ed news.Lang) error {
	if err := checkEdition(ed); err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.k.initialized(ed), "1", 0).Err(); err != nil {
		return fmt.Errorf("store: unable to set the %s initialized flag: %w", ed, err)
	}
	return nil
}

// SaveArticle stores a as JSON (expiring after ArticleTTL), indexes it for
// Search (for as long), adds it to its edition's recent window (by ID, newest first), records the display names
// of its tags in that edition and counts its tags: a tag's count is the
// number of recent articles carrying it, decremented when an article falls
// out of the window. Saving the same article again replaces it and moves the
// counts from its old tags to its new ones. An article without a positive ID,
// with an unknown edition or an invalid tag slug gives an error wrapping
// news.ErrInvalid. The stored article carries normalized slugs and cleaned
// tag names.
func (s *Store) SaveArticle(ctx context.Context, a *news.Article) error {
	if a == nil {
		return fmt.Errorf("store: nil article: %w", news.ErrInvalid)
	}
	if a.ID <= 0 {
		return fmt.Errorf("store: article ID %d: %w", a.ID, news.ErrInvalid)
	}
	if err := checkEdition(a.Edition); err != nil {
		return err
	}
	c := *a
	c.Tags = make([]news.Tag, 0, len(a.Tags))
	slugs := make([]string, 0, len(a.Tags))
	names := make([]any, 0, 2*len(a.Tags))
	for _, t := range a.Tags {
		slug, err := normalizeSlug(t.Slug)
		if err != nil {
			return fmt.Errorf("store: article %d: %w", a.ID, err)
		}
		if slices.Contains(slugs, slug) {
			continue
		}
		name := cleanTagName(t.Name)
		slugs = append(slugs, slug)
		c.Tags = append(c.Tags, news.Tag{Slug: slug, Name: name})
		if name != "" {
			names = append(names, slug, name)
		}
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("store: unable to encode article %d: %w", a.ID, err)
	}
	ed := a.Edition
	// The JSON first: an article listed in the window is always readable
	// (until its TTL), and one saved but not listed only waits for its TTL.
	if err := s.rdb.Set(ctx, s.k.article(ed, a.ID), data, s.opts.ArticleTTL).Err(); err != nil {
		return fmt.Errorf("store: unable to save article %s/%d: %w", ed, a.ID, err)
	}
	keys := []string{s.k.recent(ed), s.k.recentTags(ed), s.k.tagCounts(ed), s.k.tagNames(ed)}
	args := append([]any{a.ID, s.opts.RecentPerEdition, strings.Join(slugs, " ")}, names...)
	if err := saveArticleScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("store: unable to save article %s/%d: %w", ed, a.ID, err)
	}
	return s.index(ctx, &c)
}

// Article returns a stored article, or an error wrapping news.ErrNotFound.
func (s *Store) Article(ctx context.Context, ed news.Lang, id int64) (*news.Article, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	data, err := s.rdb.Get(ctx, s.k.article(ed, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: article %s/%d: %w", ed, id, news.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read article %s/%d: %w", ed, id, err)
	}
	var a news.Article
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("store: article %s/%d: %w: %w", ed, id, errCorrupt, err)
	}
	return &a, nil
}

// latestPage is how many recent IDs Latest examines per round trip when
// filtering by tag.
const latestPage = 100

// Latest returns up to n recent articles of edition ed, newest first; with a
// slug, only those carrying that tag. Articles whose JSON has expired are
// skipped. n must be positive.
func (s *Store) Latest(ctx context.Context, ed news.Lang, n int, slug string) ([]*news.Article, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("store: latest %d articles: %w", n, news.ErrInvalid)
	}
	n = min(n, s.opts.RecentPerEdition)
	if slug != "" {
		var err error
		if slug, err = normalizeSlug(slug); err != nil {
			return nil, err
		}
	}
	var out []*news.Article
	for start := int64(0); len(out) < n; start += latestPage {
		ids, err := s.rdb.ZRevRange(ctx, s.k.recent(ed), start, start+latestPage-1).Result()
		if err != nil {
			return nil, fmt.Errorf("store: unable to read recent %s articles: %w", ed, err)
		}
		if len(ids) == 0 {
			break
		}
		if slug != "" {
			if ids, err = s.idsWithTag(ctx, ed, ids, slug); err != nil {
				return nil, err
			}
		}
		arts, err := s.articles(ctx, ed, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, arts[:min(len(arts), n-len(out))]...)
	}
	return out, nil
}

// idsWithTag keeps the recent article IDs whose recorded tags include slug.
func (s *Store) idsWithTag(ctx context.Context, ed news.Lang, ids []string, slug string) ([]string, error) {
	tags, err := s.rdb.HMGet(ctx, s.k.recentTags(ed), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: unable to read recent %s tags: %w", ed, err)
	}
	var keep []string
	for i, t := range tags {
		if v, ok := t.(string); ok && slices.Contains(strings.Fields(v), slug) {
			keep = append(keep, ids[i])
		}
	}
	return keep, nil
}

// articles reads the articles with these IDs, in order, skipping missing
// and unreadable ones.
func (s *Store) articles(ctx context.Context, ed news.Lang, ids []string) ([]*news.Article, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(ids))
	for _, v := range ids {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		keys = append(keys, s.k.article(ed, id))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	// One GET per article in a pipeline: articles spread over the Cluster
	// slots, where one MGET could not reach them all.
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: unable to read %s articles: %w", ed, err)
	}
	out := make([]*news.Article, 0, len(cmds))
	for i, c := range cmds {
		str, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: unable to read %s articles: %w", ed, err)
		}
		var a news.Article
		if err := json.Unmarshal([]byte(str), &a); err != nil {
			s.log.Warn("Skipping an unreadable stored article.", slog.String("key", keys[i]), slog.Any("err", err))
			continue
		}
		out = append(out, &a)
	}
	return out, nil
}
