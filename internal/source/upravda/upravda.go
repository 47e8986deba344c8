// Package upravda reads Ukrainska Pravda (www.pravda.com.ua) in its three
// editions: Ukrainian at the root, Russian under /rus/, English under
// /eng/. Discover learns what is new from the RSS feeds (the HTML list
// pages are the fallback); Fetch and Extract read an article page layer by
// layer (JSON-LD, the current markup, the older ones, OpenGraph), so that
// the site's redesigns degrade the result instead of breaking it. Layers
// that keep failing are reported through Hooks so operators hear about
// drift once, not on every poll.
//
// This package is the only importer of goquery and gofeed.
package upravda

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/summary"
)

// Defaults of Config.
const (
	DefaultBaseURL        = "https://www.pravda.com.ua"
	DefaultMaxBodyBytes   = 5 << 20
	DefaultMaxConcurrent  = 4
	DefaultDriftThreshold = 3
	DefaultMaxTTL         = 5 * time.Minute
	defaultFetchTimeout   = 20 * time.Second
)

// Feed names accepted in Config.Feeds.
const (
	FeedNews     = "news"     // rss/view_news/: what to announce
	FeedMainNews = "mainnews" // rss/view_mainnews/: marks the most important
	FeedPubs     = "pubs"     // rss/view_pubs/: publications
)

// Layer names passed to Hooks and logged when a layer fails.
const (
	LayerFeedPrefix      = "feed:"            // + feed name: fetch, parse, or no usable item
	LayerListCurrent     = "list:current"     // the list page yielded nothing in the current markup
	LayerList            = "list"             // the list page could not be fetched or yielded nothing at all
	LayerArticleJSONLD   = "article:jsonld"   // no Article object in JSON-LD
	LayerArticleMarkup   = "article:markup"   // neither the current nor an older markup matched
	LayerArticleHeadline = "article:headline" // no layer yielded a headline
	LayerArticleTags     = "article:tags"     // no tag block
)

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
	// after which Hooks.OnDrift fires; default 3.
	DriftThreshold int
	// MaxTTL caps the feed's ttl: within min(ttl, MaxTTL) of the last
	// fetch, Discover answers from memory without a request. Default 5
	// minutes (the site asks for 60, which would delay news by an hour);
	// a negative value ignores the ttl entirely (tests, local runs).
	MaxTTL time.Duration
	// BackoffBase is the first delay after a 403, 429 or 5xx answer; it
	// doubles with each failure in a row, up to 30 minutes. Default 30s.
	BackoffBase time.Duration
	// UserAgent overrides the browser-like User-Agent sent with requests.
	UserAgent string
	Logger    *slog.Logger
	Now       func() time.Time
	Hooks     Hooks
}

// Hooks are optional callbacks for metrics and admin alerts. They are
// called synchronously and must not block.
type Hooks struct {
	// OnDiscovered reports the number of items a Discover call returned.
	OnDiscovered func(edition news.Lang, n int)
	// OnLayerFailure reports every failure of a layer ("feed:news",
	// "list:current", "article:jsonld", "article:tags", ...).
	OnLayerFailure func(edition news.Lang, layer string)
	// OnDrift fires once when a layer has failed DriftThreshold times in
	// a row, and again only after it has recovered and failed again.
	OnDrift func(alert DriftAlert)
	// OnPollDuration reports how long a Discover call took.
	OnPollDuration func(edition news.Lang, d time.Duration)
}

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
	base        *url.URL
	host        string // normalised host of base
	feeds       []string
	client      *http.Client
	maxBody     int64
	sem         chan struct{}
	budget      int
	maxTTL      time.Duration
	backoffBase time.Duration
	ua          string
	log         *slog.Logger
	now         func() time.Time
	hooks       Hooks
	drift       *driftTracker
	mu          sync.Mutex
	cache       map[string]*cacheEntry // by request URL
	backoffs    map[string]*backoff    // by request URL or "host:" + host
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
	feeds := cfg.Feeds
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
	s := &Source{
		base:        u,
		host:        normHost(u.Host),
		feeds:       clean,
		client:      cfg.HTTPClient,
		maxBody:     cfg.MaxBodyBytes,
		budget:      cfg.SummaryBudget,
		maxTTL:      cfg.MaxTTL,
		backoffBase: cfg.BackoffBase,
		ua:          cfg.UserAgent,
		log:         cfg.Logger,
		now:         cfg.Now,
		hooks:       cfg.Hooks,
		cache:       make(map[string]*cacheEntry),
		backoffs:    make(map[string]*backoff),
	}
	if s.client == nil {
		s.client = defaultClient()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	s.sem = make(chan struct{}, n)
	if s.budget <= 0 {
		s.budget = summary.DefaultBudget
	}
	if s.backoffBase <= 0 {
		s.backoffBase = backoffBase
	}
	if s.maxTTL == 0 {
		s.maxTTL = DefaultMaxTTL
	}
	if s.ua == "" {
		s.ua = browserUserAgent
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	threshold := cfg.DriftThreshold
	if threshold <= 0 {
		threshold = DefaultDriftThreshold
	}
	s.drift = newDriftTracker(threshold, s.log, s.hooks)
	return s, nil
}

// BaseURL returns the site root the Source reads, with a trailing slash.
func (s *Source) BaseURL() string { return s.base.String() }

// defaultClient has a timeout for every stage of a request.
func defaultClient() *http.Client {
	return &http.Client{
		Timeout: defaultFetchTimeout,
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   DefaultMaxConcurrent,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("upravda: too many redirects")
			}
			return nil
		},
	}
}

// editionURL returns the URL of a path under an edition's root.
func (s *Source) editionURL(edition news.Lang, path string) string {
	return s.base.String() + editionPrefix(edition) + path
}

// articleRef parses an article URL and checks that it is on the Source's
// host.
func (s *Source) articleRef(u string) (articleRef, bool) {
	ref, ok := parseArticlePath(u)
	if !ok || ref.Host != s.host {
		return articleRef{}, false
	}
	return ref, true
}

// keepFor returns a filter of article URLs of one edition on the Source's
// host; relative URLs are resolved against the base URL.
func (s *Source) keepFor(edition news.Lang) func(string) (articleRef, bool) {
	return func(u string) (articleRef, bool) {
		ref, ok := s.articleRef(resolve(s.base.String(), u))
		if !ok || ref.Edition != edition {
			return articleRef{}, false
		}
		return ref, true
	}
}

// summarize fills an article's summary from its lead and body, falling back
// to the description.
func summarize(a *news.Article, description string, budget int) string {
	fallback := description
	if fallback == "" {
		fallback = a.Lead
	}
	return summary.Summarize(a.Lead, a.Body, fallback, a.Edition, budget)
}
