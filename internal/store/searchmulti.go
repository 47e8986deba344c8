package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
)

// firstCheckPage is how many candidate stories a search of several words
// checks in its first round trip; each further round checks four times as
// many.
const firstCheckPage = 64

// intersect returns the limit highest IDs of the stories holding every
// query word. It walks the candidates of the rarest query word (the fewest
// IDs over its dictionary words) newest first, a page at a time, and checks
// the other words against each candidate's indexed words, so its cost
// follows the rarest word and the depth of the first matches, not the
// commonest word.
func (s *Store) intersect(ctx context.Context, ed news.Lang, words []string, expansions [][]string, limit int) ([]string, error) {
	driver, err := s.rarest(ctx, ed, expansions)
	if err != nil {
		return nil, err
	}
	others := slices.Delete(slices.Clone(words), driver, driver+1)
	var out []string
	cursor := "+inf"
	for page := firstCheckPage; len(out) < limit; page *= 4 {
		batch, err := s.pageBelow(ctx, ed, expansions[driver], cursor, page)
		if err != nil || len(batch) == 0 {
			return out, err
		}
		cursor = "(" + batch[len(batch)-1]
		docs, err := s.rdb.HMGet(ctx, s.k.searchDoc(ed), batch...).Result()
		if err != nil {
			return nil, fmt.Errorf("store: unable to search %s: %w", ed, err)
		}
		for i, d := range docs {
			if v, ok := d.(string); ok && holdsAll(strings.Fields(v), others) && len(out) < limit {
				out = append(out, batch[i])
			}
		}
	}
	return out, nil
}

// pageBelow returns the n highest IDs below cursor (a ZRANGE score bound)
// in the union of the word sets, highest first: the n highest of each set,
// merged.
func (s *Store) pageBelow(ctx context.Context, ed news.Lang, words []string, cursor string, n int) ([]string, error) {
	cmds := make([]*redis.StringSliceCmd, len(words))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range words {
			cmds[i] = p.ZRevRangeByScore(ctx, s.k.searchWord(ed, w), &redis.ZRangeBy{Max: cursor, Min: "-inf", Count: int64(n)})
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
	return ids[:min(len(ids), n)], nil
}

// rarest returns the index of the query word whose dictionary words hold
// the fewest story IDs in all.
func (s *Store) rarest(ctx context.Context, ed news.Lang, expansions [][]string) (int, error) {
	cmds := make([][]*redis.IntCmd, len(expansions))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ws := range expansions {
			for _, w := range ws {
				cmds[i] = append(cmds[i], p.ZCard(ctx, s.k.searchWord(ed, w)))
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: unable to search %s: %w", ed, err)
	}
	best, bestN := 0, int64(-1)
	for i, cs := range cmds {
		var n int64
		for _, c := range cs {
			n += c.Val()
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best, nil
}

// holdsAll reports whether every query word starts one of the story's
// words.
func holdsAll(story, query []string) bool {
	for _, q := range query {
		if !slices.ContainsFunc(story, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return true
}
