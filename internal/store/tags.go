package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// Defaults and bounds for tag searches.
const (
	defaultFindLimit = 10
	maxFindLimit     = 100
	maxTopLimit      = 1000
)

// TopTags returns the tags of edition ed's recent articles, by count
// (descending), then name, from offset on, at most limit of them, and the
// total number of such tags. A tag without a known name in ed is shown by its
// slug. A negative offset or a non-positive limit gives an error wrapping
// news.ErrInvalid.
func (s *Store) TopTags(ctx context.Context, ed news.Lang, offset, limit int) (tags []news.TagCount, total int, err error) {
	if err := checkEdition(ed); err != nil {
		return nil, 0, err
	}
	if offset < 0 || limit <= 0 {
		return nil, 0, fmt.Errorf("store: top tags offset %d limit %d: %w", offset, limit, news.ErrInvalid)
	}
	limit = min(limit, maxTopLimit)
	counts, err := s.rdb.ZRangeWithScores(ctx, s.k.tagCounts(ed), 0, -1).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: unable to read %s tag counts: %w", ed, err)
	}
	all := make([]news.TagCount, 0, len(counts))
	slugs := make([]string, 0, len(counts))
	for _, z := range counts {
		slug, _ := z.Member.(string)
		if z.Score <= 0 || slug == "" {
			continue
		}
		slugs = append(slugs, slug)
		all = append(all, news.TagCount{Tag: news.Tag{Slug: slug}, Count: int64(z.Score)})
	}
	if len(slugs) > 0 {
		names, err := s.rdb.HMGet(ctx, s.k.tagNames(ed), slugs...).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("store: unable to read %s tag names: %w", ed, err)
		}
		for i, n := range names {
			all[i].Name, _ = n.(string)
			if all[i].Name == "" {
				all[i].Name = all[i].Slug
			}
		}
	}
	slices.SortFunc(all, byCountThenName)
	total = len(all)
	if offset >= total {
		return nil, total, nil
	}
	return all[offset:min(total, offset+limit)], total, nil
}

// byCountThenName orders tags by count (descending), folded name, slug.
func byCountThenName(a, b news.TagCount) int {
	return cmp.Or(
		cmp.Compare(b.Count, a.Count),
		strings.Compare(text.FoldName(a.Name), text.FoldName(b.Name)),
		strings.Compare(a.Slug, b.Slug),
	)
}

// FindTags looks a tag up by what a reader typed. matches are the tags
// whose name in edition ed equals the query (ignoring case, Unicode form,
// apostrophe variants, ё/е and extra white space) or whose slug equals it.
// When there is not exactly one match, suggestions lists the closest other
// known tags, best first: names or words starting with the query, then
// names containing it, then names or words within a small edit distance;
// ties go to the more frequent tag. Both lists hold at most limit tags (10
// when limit <= 0). An empty or overlong query gives an error wrapping
// news.ErrInvalid.
func (s *Store) FindTags(ctx context.Context, ed news.Lang, query string, limit int) (matches, suggestions []news.TagCount, err error) {
	if err := checkEdition(ed); err != nil {
		return nil, nil, err
	}
	q := text.FoldName(strings.ToValidUTF8(query, ""))
	if q == "" || utf8.RuneCountInString(q) > maxQueryRunes {
		return nil, nil, fmt.Errorf("store: tag query must have 1 to %d characters: %w", maxQueryRunes, news.ErrInvalid)
	}
	if limit <= 0 {
		limit = defaultFindLimit
	}
	limit = min(limit, maxFindLimit)
	qSlug, _ := text.NormalizeSlug(query) // "" for no slug: none matches

	var (
		namesCmd  *redis.MapStringStringCmd
		countsCmd *redis.ZSliceCmd
	)
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		namesCmd = p.HGetAll(ctx, s.k.tagNames(ed))
		countsCmd = p.ZRangeWithScores(ctx, s.k.tagCounts(ed), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("store: unable to read %s tags: %w", ed, err)
	}
	counts := make(map[string]int64, len(countsCmd.Val()))
	for _, z := range countsCmd.Val() {
		if m, ok := z.Member.(string); ok {
			counts[m] = int64(z.Score)
		}
	}
	qRunes := []rune(q)
	maxDist := fuzzyDistance(len(qRunes))
	type candidate struct {
		tc   news.TagCount
		rank int // 0 prefix, 1 substring, 2 edit distance
		dist int
	}
	var cands []candidate
	for slug, name := range namesCmd.Val() {
		tc := news.TagCount{Tag: news.Tag{Slug: slug, Name: name}, Count: counts[slug]}
		fn := text.FoldName(name)
		if fn == q || slug == qSlug {
			matches = append(matches, tc)
			continue
		}
		words := text.Words(fn)
		switch {
		case text.HasWordPrefix(fn, words, q):
			cands = append(cands, candidate{tc: tc, rank: 0})
		case strings.Contains(fn, q):
			cands = append(cands, candidate{tc: tc, rank: 1})
		case maxDist > 0:
			d := editDistance(qRunes, []rune(fn), maxDist)
			for _, w := range words {
				d = min(d, editDistance(qRunes, []rune(w), maxDist))
			}
			if d <= maxDist {
				cands = append(cands, candidate{tc: tc, rank: 2, dist: d})
			}
		}
	}
	slices.SortFunc(matches, byCountThenName)
	if len(matches) > limit {
		matches = matches[:limit]
	}
	if len(matches) == 1 {
		return matches, nil, nil
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.dist, b.dist), byCountThenName(a.tc, b.tc))
	})
	for _, c := range cands[:min(len(cands), limit)] {
		suggestions = append(suggestions, c.tc)
	}
	return matches, suggestions, nil
}

// TagName returns the display name of a tag in edition ed, or "" when it
// is not known there.
func (s *Store) TagName(ctx context.Context, ed news.Lang, slug string) (string, error) {
	if err := checkEdition(ed); err != nil {
		return "", err
	}
	slug, err := normalizeSlug(slug)
	if err != nil {
		return "", err
	}
	name, err := s.rdb.HGet(ctx, s.k.tagNames(ed), slug).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: unable to read the %s name of tag %s: %w", ed, slug, err)
	}
	return name, nil
}

// fuzzyDistance is the largest edit distance accepted for a query of n
// runes: none below 4, then one typo per 4 runes or so, at most 3.
func fuzzyDistance(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 7:
		return 1
	case n < 11:
		return 2
	default:
		return 3
	}
}

// maxEditRunes bounds the work of one editDistance call.
const maxEditRunes = 64

// editDistance is the Levenshtein distance between a and b, or limit+1 as
// soon as it is known to exceed limit.
func editDistance(a, b []rune, limit int) int {
	if len(a) > maxEditRunes || len(b) > maxEditRunes {
		return limit + 1
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseID parses a decimal chat or article ID.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}
