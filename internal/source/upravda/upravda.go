// Package upravda reads Ukrainska Pravda (www.pravda.com.ua) in its three
// editions: Ukrainian at the root, Russian under /rus/, English under
// /eng/. A Source puts the parts together: requests go through package
// fetch (politeness, bounds, backoff, conditional GETs, charsets), package
// discover learns what is new from the RSS feeds (the HTML list pages are
// the fallback), and package extract reads an article page layer by layer.
// Layers that keep failing are reported to the Observer so operators hear
// about drift once, not on every poll.
//
// Only the packages below this one import goquery and gofeed.
package upravda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
	"newsbot/internal/source/upravda/discover"
	"newsbot/internal/source/upravda/extract"
	"newsbot/internal/source/upravda/site"
	"newsbot/internal/summary"
)

// Defaults of Config.
const (
	DefaultBaseURL        = "https://www.pravda.com.ua"
	DefaultMaxBodyBytes   = fetch.DefaultMaxBodyBytes
	DefaultMaxConcurrent  = fetch.DefaultMaxConcurrent
	DefaultDriftThreshold = 3
)

// Feed names accepted in Config.Feeds.
const (
	FeedNews     = discover.FeedNews     // rss/view_news/: what to announce
	FeedMainNews = discover.FeedMainNews // rss/view_mainnews/: marks the most important
	FeedPubs     = discover.FeedPubs     // rss/view_pubs/: publications
)

// Layer names passed to the Observer and logged when a layer fails.
const (
	LayerFeedPrefix      = discover.LayerFeedPrefix  // + feed name: fetch, parse, or no usable item
	LayerListCurrent     = discover.LayerListCurrent // the list page yielded nothing in the current markup
	LayerList            = discover.LayerList        // the list page could not be fetched or yielded nothing at all
	LayerArticleJSONLD   = "article:jsonld"          // no Article object in JSON-LD
	LayerArticleMarkup   = "article:markup"          // neither the current nor an older markup matched
	LayerArticleHeadline = "article:headline"        // no layer yielded a headline
	LayerArticleTags     = "article:tags"            // no tag block
)

// Errors of a Source, from the packages that raise them. Callers test them
// with errors.Is (errors.As for *StatusError).
var (
	ErrBackoff     = fetch.ErrBackoff      // the request was not made: backing off after 403, 429 or 5xx
	ErrTooLarge    = fetch.ErrTooLarge     // a body exceeded Config.MaxBodyBytes
	ErrContentType = fetch.ErrContentType  // the answer was not a page (or a feed)
	ErrNoHeadline  = extract.ErrNoHeadline // neither the page nor the item has a headline
	ErrNoEdition   = extract.ErrNoEdition  // the edition of a saved page cannot be told
	// ErrOffSite means an article URL redirected to another host (a sister
	// site such as life.pravda.com.ua or champion.com.ua). Such a story is
	// not filed under the www ID; the error also matches news.ErrInvalid,
	// which tells the poller to skip the ID for good.
	ErrOffSite = errors.New("upravda: the article is on another site")
)

// StatusError is an unexpected HTTP status. It matches news.ErrNotFound
// for 404 and 410.
type StatusError = fetch.StatusError

// Config configures a Source. The zero value of every field is replaced by
// its default.
type Config struct {
	// BaseURL is the site's root; tests point it at upravdatest.
	// Default "https://www.pravda.com.ua". Only article URLs on its host
	// (with or without "www.") are kept.
	BaseURL string
	// Feeds is a subset of "news", "mainnews", "pubs"; default news,mainnews.
	Feeds []string
	// HTTPClient makes every request; nil: one with sane timeouts.
	HTTPClient *http.Client
	// MaxBodyBytes caps every response body; default 5 MiB. Bigger bodies
	// fail with ErrTooLarge.
	MaxBodyBytes int64
	// MaxConcurrent bounds the requests in flight; default 4.
	MaxConcurrent int
	// SummaryBudget is the summary length in characters; default 600.
	SummaryBudget int
	// DriftThreshold is the number of consecutive failures of a layer
	// after which Observer.Drifted is called; default 3.
	DriftThreshold int
	// MaxTTL, when positive, lets a feed's ttl hold back requests: within
	// min(ttl, MaxTTL) of the last fetch, Discover answers from memory.
	// Zero or negative (the default): the ttl is ignored and every feed is
	// requested on every Discover, conditionally (ETag, If-Modified-Since),
	// so a new story waits one poll interval, not the feed's 60 minutes.
	MaxTTL time.Duration
	// BackoffBase is the first delay after a 403, 429 or 5xx answer; it
	// doubles with each failure in a row, up to 30 minutes. Default 30s.
	BackoffBase time.Duration
	// UserAgent overrides the browser-like User-Agent sent with requests.
	UserAgent string
	Logger    *slog.Logger
	Now       func() time.Time
	// Observer hears about discoveries, failing layers and drift; none
	// when nil.
	Observer Observer
}

// Observer hears what a Source does, for metrics and admin alerts; the app
// implements it. Its methods are called synchronously from Discover and
// Fetch, so they must be quick and safe for concurrent use.
type Observer interface {
	// Discovered reports the number of items a Discover call returned.
	Discovered(edition news.Lang, n int)
	// DiscoverTook reports how long a Discover call took, failed or not.
	DiscoverTook(edition news.Lang, d time.Duration)
	// LayerFailed reports every failure of a layer ("feed:news",
	// "list:current", "article:jsonld", "article:tags", ...).
	LayerFailed(edition news.Lang, layer string)
	// Drifted is called once when a layer has failed DriftThreshold times
	// in a row, and again only after it has recovered and failed again.
	// The Source has logged it already.
	Drifted(alert DriftAlert)
}

// nopObserver is the Observer of a Source configured without one.
type nopObserver struct{}

func (nopObserver) Discovered(news.Lang, int)             {}
func (nopObserver) DiscoverTook(news.Lang, time.Duration) {}
func (nopObserver) LayerFailed(news.Lang, string)         {}
func (nopObserver) Drifted(DriftAlert)                    {}

// DriftAlert says that a layer has stopped working.
type DriftAlert struct {
	Edition  news.Lang
	Layer    string
	Failures int
	Err      error
}

// Source discovers and reads articles of the site. It is safe for
// concurrent use.
type Source struct {
	base   *url.URL
	host   string // normalised host of base
	feeds  []string
	fetch  *fetch.Client
	disc   *discover.Discoverer
	budget int
	now    func() time.Time
	obs    Observer
	drift  *driftTracker
	log    *slog.Logger
}

// New returns a Source. It returns an error wrapping news.ErrInvalid when
// BaseURL is not an absolute http(s) URL or Feeds names an unknown feed.
func New(cfg Config) (*Source, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("upravda: base URL %q is not an absolute http(s) URL: %w", base, news.ErrInvalid)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	feeds, err := cleanFeeds(cfg.Feeds)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Source{base: u, host: site.NormHost(u.Host), feeds: feeds, budget: cfg.SummaryBudget, now: now, obs: cfg.Observer, log: log}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	if s.budget <= 0 {
		s.budget = summary.DefaultBudget
	}
	threshold := cfg.DriftThreshold
	if threshold <= 0 {
		threshold = DefaultDriftThreshold
	}
	s.drift = newDriftTracker(threshold, log, s.obs)
	s.fetch = fetch.New(fetch.Config{
		HTTPClient: cfg.HTTPClient, MaxBodyBytes: cfg.MaxBodyBytes, MaxConcurrent: cfg.MaxConcurrent,
		BackoffBase: cfg.BackoffBase, UserAgent: cfg.UserAgent, Logger: log, Now: now,
	})
	maxTTL := cfg.MaxTTL
	s.disc = discover.New(discover.Config{
		BaseURL: u, Feeds: feeds, MaxTTL: maxTTL, Fetcher: s.fetch, Recorder: s.drift, Logger: log, Now: now,
	})
	return s, nil
}

// cleanFeeds lower-cases and deduplicates feed names (default news,
// mainnews); an unknown name is an error wrapping news.ErrInvalid.
func cleanFeeds(feeds []string) ([]string, error) {
	if len(feeds) == 0 {
		feeds = []string{FeedNews, FeedMainNews}
	}
	seen := make(map[string]bool)
	var clean []string
	for _, f := range feeds {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case FeedNews, FeedMainNews, FeedPubs:
		default:
			return nil, fmt.Errorf("upravda: unknown feed %q (want news, mainnews or pubs): %w", f, news.ErrInvalid)
		}
		if !seen[f] {
			seen[f] = true
			clean = append(clean, f)
		}
	}
	return clean, nil
}

// BaseURL returns the site root the Source reads, with a trailing slash.
func (s *Source) BaseURL() string { return s.base.String() }

// articleRef parses an article URL and checks that it is on the Source's
// host.
func (s *Source) articleRef(u string) (site.Ref, bool) {
	ref, ok := site.ParsePath(u)
	if !ok || ref.Host != s.host {
		return site.Ref{}, false
	}
	return ref, true
}

// Discover returns the articles currently listed for an edition, newest
// (highest ID) first, deduplicated by ID: see discover.Discoverer.Discover.
// The configured feeds are read first, in parallel; the HTML list page is
// read when the news feed fails or yields no usable item. Important is set
// for items of the mainnews feed and for items a list page marks bold or
// red.
//
// Discover returns an error only when nothing could be read; the error then
// joins the failures (errors.Is works for ErrBackoff, news.ErrNotFound, ...).
// It returns an error wrapping news.ErrInvalid for an unknown edition.
func (s *Source) Discover(ctx context.Context, edition news.Lang) ([]news.ListItem, error) {
	if !edition.Valid() {
		return nil, fmt.Errorf("upravda: unknown edition %q: %w", edition, news.ErrInvalid)
	}
	start := s.now()
	defer func() { s.obs.DiscoverTook(edition, s.now().Sub(start)) }()
	items, err := s.disc.Discover(ctx, edition)
	if err != nil {
		return nil, fmt.Errorf("upravda: %w", err)
	}
	s.obs.Discovered(edition, len(items))
	return items, nil
}

// Fetch reads one article page and returns the article with its summary.
// The item's fields fill what the page leaves out: Title when no layer has a
// headline, Published, Description (as the lead and the summary's
// fallback), ImageURL; Important is the item's. The article's ID, edition,
// family and URL come from the item's URL, which must be an article URL on
// the base URL's host (news.ErrInvalid otherwise).
//
// Fetch fails with a *StatusError (matching news.ErrNotFound for 404),
// ErrTooLarge, ErrContentType, ErrBackoff, ErrOffSite (also news.ErrInvalid)
// when the page redirects to another host, or ErrNoHeadline when neither the
// page nor the item has a headline. Layers that fail (JSON-LD, markup,
// headline, tags) are recorded for drift alerts; an article without tags is
// returned with TagsMissing set.
func (s *Source) Fetch(ctx context.Context, item news.ListItem) (*news.Article, error) {
	u := site.Resolve(s.base.String(), item.URL)
	ref, ok := s.articleRef(u)
	if !ok {
		return nil, fmt.Errorf("upravda: %q is not an article URL of %s: %w", item.URL, s.host, news.ErrInvalid)
	}
	resp, err := s.fetch.Get(ctx, fetch.Request{URL: u, Kind: fetch.HTML, AcceptLanguage: site.AcceptLanguage(ref.Edition)})
	if err != nil {
		return nil, fmt.Errorf("upravda: %w", err)
	}
	if err := s.checkFinalURL(ref.Edition, u, resp.FinalURL); err != nil {
		return nil, err
	}
	x, err := extract.Page(resp.Body, u, ref.Edition, extract.Options{Ref: s.now(), Budget: s.budget})
	if err != nil {
		return nil, fmt.Errorf("upravda: %w", err)
	}
	a := x.Article
	s.recordLayers(ref.Edition, u, x)

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
	if a.Photo == nil && site.AbsURL(item.ImageURL) != "" {
		a.Photo = &news.Photo{URL: item.ImageURL}
	}
	a.Important = a.Important || item.Important
	description := x.Description
	if description == "" {
		description = item.Description
	}
	a.Summary = extract.Summary(a, description, s.budget)
	return a, nil
}

// checkFinalURL refuses a page that a redirect took to another host: its
// ID belongs to that site's numbering and its tags to that site's
// namespace, so filing it as a www story could announce the wrong thing
// under an ID a real www story may take. The decision is logged once per
// article (the poller then skips the ID).
func (s *Source) checkFinalURL(ed news.Lang, u, final string) error {
	if final == "" || final == u {
		return nil
	}
	f, err := url.Parse(final)
	if err != nil || site.NormHost(f.Host) == s.host {
		return nil
	}
	s.log.Info("An article URL redirects to another site; skipping it.", slog.String("edition", string(ed)),
		slog.String("url", u), slog.String("final_url", final))
	return fmt.Errorf("upravda: %s redirects to %s: %w (%w)", u, final, ErrOffSite, news.ErrInvalid)
}

// recordLayers tells the drift tracker which layers of an article page
// worked.
func (s *Source) recordLayers(ed news.Lang, u string, x *extract.Result) {
	a := x.Article
	s.drift.record(ed, LayerArticleJSONLD, errIf(!x.JSONLD, "upravda: %s: no Article in JSON-LD", u))
	s.drift.record(ed, LayerArticleMarkup, errIf(x.Markup == "", "upravda: %s: no known markup", u))
	s.drift.record(ed, LayerArticleHeadline, errIf(a.Headline == "", "upravda: %s: no headline", u))
	s.drift.record(ed, LayerArticleTags, errIf(a.TagsMissing, "upravda: %s: no tags", u))
}

func errIf(cond bool, format string, args ...any) error {
	if !cond {
		return nil
	}
	return fmt.Errorf(format, args...)
}
