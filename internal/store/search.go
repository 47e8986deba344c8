package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// The search index of an edition lives under the edition's hash tag, next
// to its windows: one sorted set of story IDs per word, a dictionary of the
// words (for word-start matching with ZRANGEBYLEX), the words of each story
// (to re-index it and to check the other words of a query) and the time
// each story was indexed (to drop it after ArticleTTL). The index script
// changes them together, in one slot; a search reads them with plain
// commands and intersects in Go. See docs/redis-keys.md.

const (
	// maxWordBytes is the longest word indexed; longer ones are cut.
	maxWordBytes = 48
	// maxStoryWords bounds the words indexed per story.
	maxStoryWords = 300
	// maxQueryWords bounds the words of a query taken into account.
	maxQueryWords = 8
	// maxExpansions bounds the dictionary words a query word stands for;
	// a shorter prefix than that (one or two letters) finds the stories of
	// its first maxExpansions words only.
	maxExpansions = 1000
	// expirePerSave is how many stories past ArticleTTL each SaveArticle
	// drops from the index.
	expirePerSave = 20
	// indexAttempts bounds the retries of a re-index raced by another.
	indexAttempts = 5
	// MaxSearchResults is the most stories Search returns.
	MaxSearchResults = 50
)

// indexScript moves one story's entries in the search index of an edition
// from its old words to its new ones.
//
// KEYS[1] dictionary zset, KEYS[2] indexed-at zset, KEYS[3] story words
// hash, KEYS[4..] word zsets: first the ARGV[4] words dropped, then the words
// added. ARGV[1] ID, ARGV[2] indexing time (Unix s; "" removes the story),
// ARGV[3] the story's words as read before ("" for none: the script does
// nothing and returns 0 when they changed meanwhile), ARGV[4] the number of
// dropped words, ARGV[5] the new words separated by spaces, ARGV[6..] the
// words of KEYS[4..], in the same order.
var indexScript = redis.NewScript(`
local id = ARGV[1]
local old = redis.call('HGET', KEYS[3], id) or ''
if old ~= ARGV[3] then
  return 0
end
local dropped = tonumber(ARGV[4])
for i = 4, #KEYS do
  local word = ARGV[i + 2]
  if i - 3 <= dropped then
    redis.call('ZREM', KEYS[i], id)
    if redis.call('ZCARD', KEYS[i]) == 0 then
      redis.call('ZREM', KEYS[1], word)
    end
  else
    redis.call('ZADD', KEYS[i], id, id)
    redis.call('ZADD', KEYS[1], 0, word)
  end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
else
  redis.call('HSET', KEYS[3], id, ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[2], id)
end
return 1
`)

// SearchWords returns the distinct words of text as the search index keeps
// them, in order of appearance: the words keyword subscriptions match
// (text.SearchWords: text.Fold, then text.Words), with ё as е,
// trimmed of '-', the apostrophe and '.' at their ends and cut to 48 bytes.
func SearchWords(s string) []string {
	fields := text.Words(strings.ReplaceAll(text.Fold(s), "ё", "е"))
	var out []string
	for _, f := range fields {
		f = strings.Trim(f, "-'.")
		if f == "" {
			continue
		}
		if len(f) > maxWordBytes {
			f = strings.ToValidUTF8(f[:maxWordBytes], "")
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// storyWords is what the index keeps of a story: the words of its
// headline, lead and tag names.
func storyWords(a *news.Article) []string {
	parts := []string{a.Headline, a.Lead}
	for _, t := range a.Tags {
		parts = append(parts, t.Name)
	}
	w := SearchWords(strings.Join(parts, " "))
	return w[:min(len(w), maxStoryWords)]
}

// index writes a saved story's words to its edition's search index and
// drops the stories indexed longer than ArticleTTL ago.
func (s *Store) index(ctx context.Context, a *news.Article) error {
	at := strconv.FormatInt(s.now().Unix(), 10)
	if err := s.reindex(ctx, a.Edition, a.ID, storyWords(a), at); err != nil {
		return err
	}
	cutoff := strconv.FormatInt(s.now().Add(-s.opts.ArticleTTL).Unix(), 10)
	old, err := s.rdb.ZRangeByScore(ctx, s.k.searchAt(a.Edition), &redis.ZRangeBy{
		Min: "-inf", Max: cutoff, Count: expirePerSave}).Result()
	if err != nil {
		return fmt.Errorf("store: unable to read the %s search index: %w", a.Edition, err)
	}
	for _, v := range old {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		if err := s.reindex(ctx, a.Edition, id, nil, ""); err != nil {
			return err
		}
	}
	return nil
}

// reindex replaces story id's words in the index of ed with words, at
// indexing time at ("" removes the story), retrying when another writer
// changed them in between.
func (s *Store) reindex(ctx context.Context, ed news.Lang, id int64, words []string, at string) error {
	for range indexAttempts {
		old, err := s.rdb.HGet(ctx, s.k.searchDoc(ed), strconv.FormatInt(id, 10)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("store: unable to read the indexed words of %s/%d: %w", ed, id, err)
		}
		oldWords := strings.Fields(old)
		var dropped, added []string
		for _, w := range oldWords {
			if !slices.Contains(words, w) {
				dropped = append(dropped, w)
			}
		}
		for _, w := range words {
			if !slices.Contains(oldWords, w) {
				added = append(added, w)
			}
		}
		keys := []string{s.k.searchDict(ed), s.k.searchAt(ed), s.k.searchDoc(ed)}
		args := []any{id, at, old, len(dropped), strings.Join(words, " ")}
		for _, w := range append(dropped, added...) {
			keys = append(keys, s.k.searchWord(ed, w))
			args = append(args, w)
		}
		done, err := indexScript.Run(ctx, s.rdb, keys, args...).Int()
		if err != nil {
			return fmt.Errorf("store: unable to index %s/%d: %w", ed, id, err)
		}
		if done == 1 {
			return nil
		}
	}
	return fmt.Errorf("store: unable to index %s/%d: its words kept changing", ed, id)
}

// Search returns up to limit (at most MaxSearchResults) stored stories of
// edition ed whose headline, lead or tag names hold every word of query at
// the start of one of their words, folded as SearchWords folds them; newest
// (highest ID) first. A query without words finds nothing. Stories stay
// searchable for ArticleTTL after they were last saved. An unknown edition
// gives an error wrapping news.ErrInvalid.
func (s *Store) Search(ctx context.Context, ed news.Lang, query string, limit int) ([]*news.Article, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	words := queryWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	limit = min(limit, MaxSearchResults)
	expansions, err := s.expand(ctx, ed, words)
	if err != nil || expansions == nil {
		return nil, err
	}
	var ids []string
	if len(words) == 1 {
		ids, err = s.newestOf(ctx, ed, expansions[0], limit)
	} else {
		ids, err = s.intersect(ctx, ed, words, expansions, limit)
	}
	if err != nil {
		return nil, err
	}
	return s.articles(ctx, ed, ids)
}

// queryWords are the distinct words of a search query, at most
// maxQueryWords, less those that start another one (which finds fewer
// stories and implies them).
func queryWords(query string) []string {
	words := SearchWords(query)
	words = words[:min(len(words), maxQueryWords)]
	var out []string
	for i, w := range words {
		implied := false
		for j, o := range words {
			if i != j && strings.HasPrefix(o, w) && (o != w || j < i) {
				implied = true
			}
		}
		if !implied {
			out = append(out, w)
		}
	}
	return out
}

// expand finds the dictionary words each query word starts; nil when one
// of them starts none (no story can match).
func (s *Store) expand(ctx context.Context, ed news.Lang, words []string) ([][]string, error) {
	cmds := make([]*redis.StringSliceCmd, len(words))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range words {
			cmds[i] = p.ZRangeByLex(ctx, s.k.searchDict(ed), &redis.ZRangeBy{
				Min: "[" + w, Max: "[" + w + "\xff", Count: maxExpansions})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unable to search %s: %w", ed, err)
	}
	out := make([][]string, len(words))
	for i, c := range cmds {
		if out[i] = c.Val(); len(out[i]) == 0 {
			return nil, nil
		}
	}
	return out, nil
}

// newestOf returns the limit highest story IDs in the union of the word
// sets: the highest of each set, merged.
func (s *Store) newestOf(ctx context.Context, ed news.Lang, words []string, limit int) ([]string, error) {
	cmds := make([]*redis.StringSliceCmd, len(words))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range words {
			cmds[i] = p.ZRevRange(ctx, s.k.searchWord(ed, w), 0, int64(limit-1))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unable to search %s: %w", ed, err)
	}
	var all []string
	for _, c := range cmds {
		all = append(all, c.Val()...)
	}
	ids := sortIDsDesc(all)
	return ids[:min(len(ids), limit)], nil
}

// sortIDsDesc parses, deduplicates and sorts decimal IDs, highest first.
func sortIDsDesc(vs []string) []string {
	nums := make([]int64, 0, len(vs))
	for _, v := range vs {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	nums = slices.Compact(nums)
	slices.Reverse(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = strconv.FormatInt(n, 10)
	}
	return out
}
