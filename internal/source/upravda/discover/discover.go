// Package discover learns what Ukrainska Pravda lists now in an edition:
// it reads the RSS feeds (news, mainnews, pubs) and, when the news feed
// fails or yields nothing usable, the HTML list page, and merges them into
// one list of items, newest first, with importance decided from all of
// them together. Requests go through a Fetcher (the fetch package's
// Client); conditional GETs use the validators of the last answer read,
// and each layer's success or failure is told to a Recorder, for drift
// alerts.
package discover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
	"newsbot/internal/source/upravda/markup"
	"newsbot/internal/source/upravda/site"
)

// Feed names.
const (
	FeedNews     = "news"     // rss/view_news/: what to announce
	FeedMainNews = "mainnews" // rss/view_mainnews/: marks the most important
	FeedPubs     = "pubs"     // rss/view_pubs/: publications
)

// Layer names told to the Recorder.
const (
	LayerFeedPrefix  = "feed:"        // + feed name: fetch, parse, or no usable item
	LayerListCurrent = "list:current" // the list page yielded nothing in the current markup
	LayerList        = "list"         // the list page could not be fetched or yielded nothing at all
)

// kyiv is the site's time zone.
var kyiv = site.Kyiv()

// errEmptyFeed means a feed parsed but held no usable item.
var errEmptyFeed = errors.New("the feed has no usable item")

// Fetcher makes one GET; *fetch.Client implements it.
type Fetcher interface {
	Get(ctx context.Context, r fetch.Request) (*fetch.Response, error)
}

// Recorder hears how each layer fared: OK when it worked, Fail when it did
// not (a request not made because of a backoff, or cut by the context, is
// neither).
type Recorder interface {
	OK(edition news.Lang, layer string)
	Fail(edition news.Lang, layer string, err error)
}

// Config configures a Discoverer.
type Config struct {
	// BaseURL is the site's root with a trailing slash; default
	// "https://www.pravda.com.ua/". Only article URLs on its host (with or
	// without "www.") are kept.
	BaseURL *url.URL
	// Feeds are the feeds read, in order; default news, mainnews.
	Feeds []string
	// MaxTTL caps the feed's ttl: within min(ttl, MaxTTL) of the last
	// fetch, a feed is answered from memory without a request. Zero or
	// negative (what the bot uses): the ttl is ignored and every feed is
	// requested, conditionally, on every Discover.
	MaxTTL time.Duration
	// Fetcher makes the requests; nil: a fetch.Client with its defaults.
	Fetcher Fetcher
	// Recorder hears of each layer; nil: nobody.
	Recorder Recorder
	Logger   *slog.Logger
	Now      func() time.Time
}

// Discoverer reads the feeds and list pages of the site. It is safe for
// concurrent use.
type Discoverer struct {
	base   *url.URL
	host   string // normalised host of base
	feeds  []string
	maxTTL time.Duration
	fetch  Fetcher
	rec    Recorder
	log    *slog.Logger
	now    func() time.Time
	// cache holds, by request URL, the validators of the last answer read
	// and the items it gave.
	cache fetch.Cache[cached]
}

// cached is what a Discoverer remembers of a feed or list URL.
type cached struct {
	items   []news.ListItem
	fetched time.Time
	ttl     time.Duration
}

// New returns a Discoverer.
func New(cfg Config) *Discoverer {
	d := &Discoverer{
		base:   cfg.BaseURL,
		feeds:  cfg.Feeds,
		maxTTL: cfg.MaxTTL,
		fetch:  cfg.Fetcher,
		rec:    cfg.Recorder,
		log:    cfg.Logger,
		now:    cfg.Now,
	}
	if d.base == nil {
		d.base, _ = url.Parse("https://" + site.Host + "/")
	}
	d.host = site.NormHost(d.base.Host)
	if len(d.feeds) == 0 {
		d.feeds = []string{FeedNews, FeedMainNews}
	}
	if d.fetch == nil {
		d.fetch = fetch.New(fetch.Config{})
	}
	if d.rec == nil {
		d.rec = nopRecorder{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

type nopRecorder struct{}

func (nopRecorder) OK(news.Lang, string)          {}
func (nopRecorder) Fail(news.Lang, string, error) {}

// Discover returns the articles currently listed for an edition, newest
// (highest ID) first, deduplicated by ID. The configured feeds are read
// first, one after another and the news feed first; the HTML list page is read when the news feed fails or
// yields no usable item. Important is set for items of the mainnews feed
// and for items a list page marks bold or red. Only article URLs of the
// base URL's host in that edition are kept.
//
// Every feed is requested on every Discover, conditionally: a 304 Not
// Modified yields the items of its previous answer. Only when Config.MaxTTL
// is positive is a feed left unrequested within min(ttl, MaxTTL) of its
// last fetch.
//
// Discover returns an error only when nothing could be read; the error then
// joins the failures (errors.Is works for fetch.ErrBackoff,
// news.ErrNotFound, ...). The edition must be valid.
func (d *Discoverer) Discover(ctx context.Context, edition news.Lang) ([]news.ListItem, error) {
	type outcome struct {
		items []news.ListItem
		err   error
	}
	// One request after another, the news feed first: a story the site
	// adds to news and mainnews at once is then in the mainnews answer
	// whenever it was in the news answer, so it is never taken for
	// ordinary news (and a story seen only in mainnews is still listed).
	outcomes := make([]outcome, len(d.feeds))
	for _, i := range d.feedOrder() {
		items, err := d.pollFeed(ctx, edition, d.feeds[i])
		outcomes[i] = outcome{items, err}
	}

	merged := newMerger()
	var errs []error
	newsFailed := false
	for i, f := range d.feeds {
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
		items, err := d.pollList(ctx, edition)
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
		return nil, fmt.Errorf("discover: nothing to read for edition %s: %w", edition, errors.Join(errs...))
	}
	if len(errs) > 0 {
		d.log.Info("Discovered items despite failures.", slog.String("edition", string(edition)),
			slog.Int("items", len(items)), slog.Any("err", errors.Join(errs...)))
	}
	return items, nil
}

// feedOrder returns the indexes of the configured feeds, the news feed
// first.
func (d *Discoverer) feedOrder() []int {
	order := make([]int, 0, len(d.feeds))
	for i, f := range d.feeds {
		if f == FeedNews {
			order = append(order, i)
		}
	}
	for i, f := range d.feeds {
		if f != FeedNews {
			order = append(order, i)
		}
	}
	return order
}

// editionURL returns the URL of a path under an edition's root.
func (d *Discoverer) editionURL(edition news.Lang, path string) string {
	return d.base.String() + site.EditionPrefix(edition) + path
}

// fetchFailed tells the recorder of a failed request, unless it was not
// made (backoff) or was cut short by the caller.
func (d *Discoverer) fetchFailed(ctx context.Context, edition news.Lang, layer string, err error) {
	if !errors.Is(err, fetch.ErrBackoff) && ctx.Err() == nil {
		d.rec.Fail(edition, layer, err)
	}
}

// pollFeed reads one feed of an edition, from memory within its ttl.
func (d *Discoverer) pollFeed(ctx context.Context, edition news.Lang, feed string) ([]news.ListItem, error) {
	u := d.editionURL(edition, "rss/view_"+feed+"/")
	layer := LayerFeedPrefix + feed
	prev, ok := d.cache.Get(u)
	if ok && d.maxTTL > 0 && prev.Value.ttl > 0 && d.now().Before(prev.Value.fetched.Add(min(prev.Value.ttl, d.maxTTL))) {
		return slices.Clone(prev.Value.items), nil
	}
	resp, err := d.fetch.Get(ctx, fetch.Request{URL: u, Kind: fetch.Feed,
		AcceptLanguage: site.AcceptLanguage(edition), Validators: prev.Validators})
	if err != nil {
		d.fetchFailed(ctx, edition, layer, err)
		return nil, err
	}
	if resp.NotModified {
		now := d.now()
		d.cache.Update(u, func(c cached) cached { c.fetched = now; return c })
		d.rec.OK(edition, layer)
		return slices.Clone(prev.Value.items), nil
	}
	res, err := parseFeed(resp.Body, resp.ContentType)
	if err != nil {
		err = fmt.Errorf("discover: feed %s: %w", u, err)
		d.rec.Fail(edition, layer, err)
		return nil, err
	}
	if res.Truncated {
		d.log.Warn("The feed was cut short; reading its complete items.", slog.String("url", u),
			slog.Int("items", len(res.Entries)))
	}
	items := d.feedItems(res.Entries, edition)
	if len(res.Entries) == 0 && feed != FeedNews {
		// A well-formed but empty secondary feed is a quiet moment, not
		// drift: nothing is important right now.
		d.cache.Put(u, fetch.CacheEntry[cached]{Validators: resp.Validators, Value: cached{fetched: d.now(), ttl: res.TTL}})
		d.rec.OK(edition, layer)
		return nil, nil
	}
	if len(items) == 0 {
		err := fmt.Errorf("discover: feed %s: %d entries, none an article of edition %s: %w", u, len(res.Entries), edition, errEmptyFeed)
		d.rec.Fail(edition, layer, err)
		return nil, err
	}
	d.cache.Put(u, fetch.CacheEntry[cached]{Validators: resp.Validators, Value: cached{items: items, fetched: d.now(), ttl: res.TTL}})
	d.rec.OK(edition, layer)
	return slices.Clone(items), nil
}

// feedItems keeps the entries that are articles of the edition on the
// base URL's host.
func (d *Discoverer) feedItems(entries []feedEntry, edition news.Lang) []news.ListItem {
	keep := d.keepFor(edition)
	var out []news.ListItem
	for _, e := range entries {
		ref, ok := keep(e.Link)
		if !ok {
			continue
		}
		out = append(out, news.ListItem{
			ID:          ref.ID,
			Edition:     ref.Edition,
			URL:         site.Resolve(d.base.String(), e.Link),
			Title:       e.Title,
			Published:   e.Published,
			Description: e.Description,
			ImageURL:    site.AbsURL(e.ImageURL),
		})
	}
	return out
}

// keepFor returns a filter of article URLs of one edition on the base
// URL's host; relative URLs are resolved against the base URL.
func (d *Discoverer) keepFor(edition news.Lang) func(string) (site.Ref, bool) {
	return func(u string) (site.Ref, bool) {
		ref, ok := site.ParsePath(site.Resolve(d.base.String(), u))
		if !ok || ref.Host != d.host || ref.Edition != edition {
			return site.Ref{}, false
		}
		return ref, true
	}
}

// pollList reads the edition's news list page (/news/).
func (d *Discoverer) pollList(ctx context.Context, edition news.Lang) ([]news.ListItem, error) {
	u := d.editionURL(edition, "news/")
	prev, _ := d.cache.Get(u)
	resp, err := d.fetch.Get(ctx, fetch.Request{URL: u, Kind: fetch.HTML,
		AcceptLanguage: site.AcceptLanguage(edition), Validators: prev.Validators})
	if err != nil {
		d.fetchFailed(ctx, edition, LayerList, err)
		return nil, err
	}
	if resp.NotModified {
		return slices.Clone(prev.Value.items), nil
	}
	res, err := parseList(resp.Body, u)
	if err != nil {
		d.rec.Fail(edition, LayerList, err)
		return nil, err
	}
	if res.Markup == markup.Current {
		d.rec.OK(edition, LayerListCurrent)
	} else {
		d.rec.Fail(edition, LayerListCurrent, fmt.Errorf("discover: list %s: no item in the current markup (read: %q)", u, res.Markup))
	}
	items := listItems(res.Entries, d.keepFor(edition))
	if len(items) == 0 {
		err := fmt.Errorf("discover: list %s: %d entries, none an article of edition %s: %w", u, len(res.Entries), edition, errEmptyFeed)
		d.rec.Fail(edition, LayerList, err)
		return nil, err
	}
	d.rec.OK(edition, LayerList)
	d.cache.Put(u, fetch.CacheEntry[cached]{Validators: resp.Validators, Value: cached{items: items, fetched: d.now()}})
	return slices.Clone(items), nil
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
