package store

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// NormalizeMute returns the canonical form of a muted word or phrase: the
// folding of keywords (text.FoldKeyword), so that a mute matches exactly
// what a name subscription would. It is 2 to news.MaxMuteRunes characters
// of word characters and single spaces, starting with a letter or a digit;
// anything else is rejected with an error wrapping news.ErrInvalid.
func NormalizeMute(m string) (string, error) {
	if text.HasHidden(m) {
		return "", fmt.Errorf("store: mute %q has a hidden character: %w", clip(m), news.ErrInvalid)
	}
	s := text.FoldKeyword(m)
	if n := utf8.RuneCountInString(s); n < 2 || n > news.MaxMuteRunes {
		return "", fmt.Errorf("store: a mute must have 2 to %d characters: %w", news.MaxMuteRunes, news.ErrInvalid)
	}
	for _, r := range s {
		if r != ' ' && !text.IsWordRune(r) {
			return "", fmt.Errorf("store: mute %q has a forbidden character %q: %w", clip(s), r, news.ErrInvalid)
		}
	}
	if first, _ := utf8.DecodeRuneInString(s); !text.IsLetterOrDigit(first) {
		return "", fmt.Errorf("store: mute %q must start with a letter or a digit: %w", clip(s), news.ErrInvalid)
	}
	return s, nil
}

// normalizeMutes puts c's mutes in canonical form and holds them to
// news.MaxMutes.
func normalizeMutes(c *news.Chat) error {
	if len(c.Mutes)+len(c.MutedTags) > news.MaxMutes*2 {
		return fmt.Errorf("store: chat %d has more than %d mutes: %w", c.ID, news.MaxMutes, news.ErrInvalid)
	}
	mutes, err := normalizeList(c.Mutes, NormalizeMute)
	if err != nil {
		return err
	}
	tags, err := normalizeList(c.MutedTags, normalizeSlug)
	if err != nil {
		return err
	}
	if len(mutes)+len(tags) > news.MaxMutes {
		return fmt.Errorf("store: chat %d has more than %d mutes: %w", c.ID, news.MaxMutes, news.ErrInvalid)
	}
	c.Mutes, c.MutedTags = mutes, tags
	return normalizeQuiet(c)
}

// normalizeQuiet checks c's quiet hours, daily digest time and time zone.
func normalizeQuiet(c *news.Chat) error {
	if c.TimeZone != "" {
		if _, err := news.LoadZone(c.TimeZone); err != nil {
			return fmt.Errorf("store: chat %d: %w", c.ID, err)
		}
	}
	if q := c.Quiet; q != nil && (q.From < 0 || q.From >= 24*60 || q.To < 0 || q.To >= 24*60) {
		return fmt.Errorf("store: chat %d has quiet hours outside a day: %w", c.ID, news.ErrInvalid)
	}
	if d := c.Digest; d != nil && (d.At < 0 || d.At >= 24*60) {
		return fmt.Errorf("store: chat %d has a daily digest time outside a day: %w", c.ID, news.ErrInvalid)
	}
	return nil
}

// muteMemberships adds the mute indexes of active chat c to m.
func (s *Store) muteMemberships(m map[string]membership, c *news.Chat) {
	n, ed := chatShard(c.ID), c.Lang
	for _, w := range c.Mutes {
		m[s.k.muteSubs(n, ed, w)] = membership{counter: s.k.mutes(n, ed), member: w}
	}
	for _, t := range c.MutedTags {
		m[s.k.mutedTagSubs(n, ed, t)] = membership{}
	}
	if c.Breaking && c.BreakingUnmuted {
		m[s.k.breakingUnmuted(n, ed)] = membership{}
	}
}

// MutedBy returns the active chats of edition ed muting a word or phrase
// for which match reports true, ascending. match is called once per
// distinct mute of the edition, and only the chats of the matching mutes
// are read: fan-out matches the words once per story, never once per
// reader.
func (s *Store) MutedBy(ctx context.Context, ed news.Lang, match func(mute string) bool) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	counts := make([]*redis.StringSliceCmd, chatShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range counts {
			counts[n] = p.ZRangeArgs(ctx, redis.ZRangeArgs{
				Key: s.k.mutes(n, ed), Start: "(0", Stop: "+inf", ByScore: true,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unable to list mutes of %s: %w", ed, err)
	}
	matched := map[string]bool{}
	var keys []string
	for n, c := range counts {
		for _, w := range c.Val() {
			ok, known := matched[w]
			if !known {
				ok = match(w)
				matched[w] = ok
			}
			if ok {
				keys = append(keys, s.k.muteSubs(n, ed, w))
			}
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	ids, err := s.unionIDs(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the chats muting words of %s: %w", ed, err)
	}
	return ids, nil
}

// MutedTagSubscribers returns the active chats muting tag slug in edition
// ed, ascending.
func (s *Store) MutedTagSubscribers(ctx context.Context, ed news.Lang, slug string) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	slug, err := normalizeSlug(slug)
	if err != nil {
		return nil, err
	}
	return s.shardUnion(ctx, func(n int) string { return s.k.mutedTagSubs(n, ed, slug) }, "the chats muting %s/%s", ed, slug)
}

// BreakingUnmutedSubscribers returns the active breaking subscribers of ed
// whose breaking alerts ignore their mutes, ascending.
func (s *Store) BreakingUnmutedSubscribers(ctx context.Context, ed news.Lang) ([]int64, error) {
	if err := checkEdition(ed); err != nil {
		return nil, err
	}
	return s.shardUnion(ctx, func(n int) string { return s.k.breakingUnmuted(n, ed) }, "the unmuted breaking subscribers of %s", ed)
}
