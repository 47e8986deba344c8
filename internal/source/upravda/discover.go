package upravda

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"newsbot/internal/news"
)

// Discover returns the articles currently listed for an edition, newest
// (highest ID) first, deduplicated by ID. The configured feeds are read
// first, in parallel; the HTML list page is read when the news feed fails or
// yields no usable item. Important is set for items of the mainnews feed
// and for items a list page marks bold or red. Only article URLs of the
// base URL's host in that edition are kept.
//
// A feed answered with 304 Not Modified yields the items of its previous
// answer; within min(ttl, Config.MaxTTL) of its last fetch a feed is not
// requested at all.
//
// Discover returns an error only when nothing could be read; the error then
// joins the failures (errors.Is works for ErrBackoff, news.ErrNotFound, ...).
// It returns an error wrapping news.ErrInvalid for an unknown edition.
func (s *Source) Discover(ctx context.Context, edition news.Lang) ([]news.ListItem, error) {
	if !edition.Valid() {
		return nil, fmt.Errorf("upravda: unknown edition %q: %w", edition, news.ErrInvalid)
	}
	start := s.now()
	defer func() {
		if s.hooks.OnPollDuration != nil {
			s.hooks.OnPollDuration(edition, s.now().Sub(start))
		}
	}()

	type outcome struct {
		items []news.ListItem
		err   error
	}
	outcomes := make([]outcome, len(s.feeds))
	var wg sync.WaitGroup
	for i, f := range s.feeds {
		wg.Go(func() {
			items, err := s.pollFeed(ctx, edition, f)
			outcomes[i] = outcome{items, err}
		})
	}
	wg.Wait()

	merged := newMerger()
	var errs []error
	newsFailed := false
	for i, f := range s.feeds {
		o := outcomes[i]
		if o.err != nil {
			errs = append(errs, o.err)
			if f == FeedNews {
				newsFailed = true
			}
			continue
		}
		merged.add(o.items, f == FeedMainNews)
	}
	if newsFailed || merged.len() == 0 {
		items, err := s.pollList(ctx, edition)
		if err != nil {
			errs = append(errs, err)
		} else {
			merged.add(items, false)
		}
	}
	items := merged.sorted()
	if len(items) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errEmptyFeed)
		}
		return nil, fmt.Errorf("upravda: nothing to read for edition %s: %w", edition, errors.Join(errs...))
	}
	if len(errs) > 0 {
		s.log.Info("Discovered items despite failures.", slog.String("edition", string(edition)),
			slog.Int("items", len(items)), slog.Any("error", errors.Join(errs...)))
	}
	if s.hooks.OnDiscovered != nil {
		s.hooks.OnDiscovered(edition, len(items))
	}
	return items, nil
}

// pollFeed reads one feed of an edition, from memory within its ttl.
func (s *Source) pollFeed(ctx context.Context, edition news.Lang, feed string) ([]news.ListItem, error) {
	u := s.editionURL(edition, "rss/view_"+feed+"/")
	layer := LayerFeedPrefix + feed
	s.mu.Lock()
	prev := s.cache[u]
	if prev != nil && s.maxTTL > 0 && prev.ttl > 0 && s.now().Before(prev.fetched.Add(min(prev.ttl, s.maxTTL))) {
		items := slices.Clone(prev.items)
		s.mu.Unlock()
		return items, nil
	}
	cond := validators(prev)
	s.mu.Unlock()

	resp, err := s.get(ctx, u, kindFeed, edition, cond)
	if err != nil {
		if !errors.Is(err, ErrBackoff) && ctx.Err() == nil {
			s.drift.fail(edition, layer, err)
		}
		return nil, err
	}
	if resp.notModified {
		s.mu.Lock()
		prev.fetched = s.now()
		items := slices.Clone(prev.items)
		s.mu.Unlock()
		s.drift.ok(edition, layer)
		return items, nil
	}
	res, err := parseFeed(resp.body, resp.contentType)
	if err != nil {
		err = fmt.Errorf("upravda: feed %s: %w", u, err)
		s.drift.fail(edition, layer, err)
		return nil, err
	}
	if res.Truncated {
		s.log.Warn("The feed was cut short; reading its complete items.", slog.String("url", u),
			slog.Int("items", len(res.Entries)))
	}
	items := s.feedItems(res.Entries, edition)
	if len(res.Entries) == 0 && feed != FeedNews {
		// A well-formed but empty secondary feed is a quiet moment, not
		// drift: nothing is important right now.
		s.storeFeed(u, resp, res, nil)
		s.drift.ok(edition, layer)
		return nil, nil
	}
	if len(items) == 0 {
		err := fmt.Errorf("upravda: feed %s: %d entries, none an article of edition %s: %w", u, len(res.Entries), edition, errEmptyFeed)
		s.drift.fail(edition, layer, err)
		return nil, err
	}
	s.storeFeed(u, resp, res, items)
	s.drift.ok(edition, layer)
	return slices.Clone(items), nil
}

// storeFeed remembers a feed's answer for conditional GETs and its ttl.
func (s *Source) storeFeed(u string, resp *response, res feedResult, items []news.ListItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache[u] = &cacheEntry{
		etag:         resp.etag,
		lastModified: resp.lastMod,
		items:        items,
		fetched:      s.now(),
		ttl:          res.TTL,
	}
}

// feedItems keeps the entries that are articles of the edition on the
// Source's host.
func (s *Source) feedItems(entries []feedEntry, edition news.Lang) []news.ListItem {
	keep := s.keepFor(edition)
	var out []news.ListItem
	for _, e := range entries {
		ref, ok := keep(e.Link)
		if !ok {
			continue
		}
		out = append(out, news.ListItem{
			ID:          ref.ID,
			Edition:     ref.Edition,
			URL:         resolve(s.base.String(), e.Link),
			Title:       e.Title,
			Published:   e.Published,
			Description: e.Description,
			ImageURL:    absURL(e.ImageURL),
		})
	}
	return out
}

// pollList reads the edition's news list page (/news/).
func (s *Source) pollList(ctx context.Context, edition news.Lang) ([]news.ListItem, error) {
	u := s.editionURL(edition, "news/")
	s.mu.Lock()
	prev := s.cache[u]
	cond := validators(prev)
	s.mu.Unlock()
	resp, err := s.get(ctx, u, kindHTML, edition, cond)
	if err != nil {
		if !errors.Is(err, ErrBackoff) && ctx.Err() == nil {
			s.drift.fail(edition, LayerList, err)
		}
		return nil, err
	}
	if resp.notModified {
		s.mu.Lock()
		items := slices.Clone(prev.items)
		s.mu.Unlock()
		return items, nil
	}
	res, err := parseList(resp.body, u)
	if err != nil {
		s.drift.fail(edition, LayerList, err)
		return nil, err
	}
	if res.Markup == markupCurrent {
		s.drift.ok(edition, LayerListCurrent)
	} else {
		s.drift.fail(edition, LayerListCurrent, fmt.Errorf("upravda: list %s: no item in the current markup (read: %q)", u, res.Markup))
	}
	items := listItems(res.Entries, s.keepFor(edition))
	if len(items) == 0 {
		err := fmt.Errorf("upravda: list %s: %d entries, none an article of edition %s: %w", u, len(res.Entries), edition, errEmptyFeed)
		s.drift.fail(edition, LayerList, err)
		return nil, err
	}
	s.drift.ok(edition, LayerList)
	s.mu.Lock()
	s.cache[u] = &cacheEntry{etag: resp.etag, lastModified: resp.lastMod, items: items, fetched: s.now()}
	s.mu.Unlock()
	return slices.Clone(items), nil
}

// validators copies the ETag and Last-Modified of a cache entry for a
// conditional GET (nil for none). The caller holds s.mu.
func validators(e *cacheEntry) *cacheEntry {
	if e == nil {
		return nil
	}
	return &cacheEntry{etag: e.etag, lastModified: e.lastModified}
}

// merger combines items of several feeds by ID.
type merger struct {
	byID map[int64]*news.ListItem
}

func newMerger() *merger { return &merger{byID: make(map[int64]*news.ListItem)} }

func (m *merger) len() int { return len(m.byID) }

// add merges items; important marks them all important. An item seen
// before keeps its fields and gains the missing ones.
func (m *merger) add(items []news.ListItem, important bool) {
	for _, it := range items {
		it.Important = it.Important || important
		have, ok := m.byID[it.ID]
		if !ok {
			m.byID[it.ID] = &it
			continue
		}
		have.Important = have.Important || it.Important
		if have.Title == "" {
			have.Title = it.Title
		}
		if have.Published.IsZero() {
			have.Published = it.Published
		}
		if have.Description == "" {
			have.Description = it.Description
		}
		if have.ImageURL == "" {
			have.ImageURL = it.ImageURL
		}
	}
}

// sorted returns the items, highest ID first.
func (m *merger) sorted() []news.ListItem {
	out := make([]news.ListItem, 0, len(m.byID))
	for _, it := range m.byID {
		out = append(out, *it)
	}
	slices.SortFunc(out, func(a, b news.ListItem) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// Fetch reads one article page and returns the article with its summary.
// The item's fields fill what the page leaves out: Title when no layer has a
// headline, Published, Description (as the lead and the summary's
// fallback), ImageURL; Important is the item's. The article's ID, edition,
// family and URL come from the item's URL, which must be an article URL on
// the base URL's host (news.ErrInvalid otherwise).
//
// Fetch fails with a *StatusError (matching news.ErrNotFound for 404),
// ErrTooLarge, ErrContentType, ErrBackoff, or ErrNoHeadline when neither the
// page nor the item has a headline. Layers that fail (JSON-LD, markup,
// headline, tags) are recorded for drift alerts; an article without tags is
// returned with TagsMissing set.
func (s *Source) Fetch(ctx context.Context, item news.ListItem) (*news.Article, error) {
	u := resolve(s.base.String(), item.URL)
	ref, ok := s.articleRef(u)
	if !ok {
		return nil, fmt.Errorf("upravda: %q is not an article URL of %s: %w", item.URL, s.host, news.ErrInvalid)
	}
	resp, err := s.get(ctx, u, kindHTML, ref.Edition, nil)
	if err != nil {
		return nil, err
	}
	x, err := extract(resp.body, u, ref.Edition, s.now(), s.budget)
	if err != nil {
		return nil, err
	}
	a := x.Article
	ed := ref.Edition
	s.drift.record(ed, LayerArticleJSONLD, errIf(!x.JSONLD, "upravda: %s: no Article in JSON-LD", u))
	s.drift.record(ed, LayerArticleMarkup, errIf(x.Markup == "", "upravda: %s: no known markup", u))
	s.drift.record(ed, LayerArticleHeadline, errIf(a.Headline == "", "upravda: %s: no headline", u))
	s.drift.record(ed, LayerArticleTags, errIf(a.TagsMissing, "upravda: %s: no tags", u))

	a.ID, a.Edition, a.Family, a.URL = ref.ID, ref.Edition, ref.Family, u
	if a.Headline == "" {
		a.Headline = item.Title
	}
	if a.Headline == "" {
		return nil, fmt.Errorf("upravda: unable to read %s: %w", u, ErrNoHeadline)
	}
	if a.Published.IsZero() {
		a.Published = item.Published
	}
	if a.Lead == "" {
		a.Lead = item.Description
	}
	if a.Photo == nil && absURL(item.ImageURL) != "" {
		a.Photo = &news.Photo{URL: item.ImageURL}
	}
	a.Important = a.Important || item.Important
	a.Summary = summarize(a, firstNonEmpty(x.Description, item.Description), s.budget)
	return a, nil
}

func errIf(cond bool, format string, args ...any) error {
	if !cond {
		return nil
	}
	return fmt.Errorf(format, args...)
}
