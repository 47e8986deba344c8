package upravda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/source/fetch"
	"newsbot/internal/source/upravda/site"
	"newsbot/internal/source/upravda/upravdatest"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// hookRecorder is the Observer of the tests' Source: it records every call.
type hookRecorder struct {
	mu         sync.Mutex
	failures   []string // "edition layer"
	drifts     []DriftAlert
	discovered map[news.Lang]int
	polls      int
}

var _ Observer = (*hookRecorder)(nil)

func (h *hookRecorder) Discovered(ed news.Lang, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.discovered == nil {
		h.discovered = make(map[news.Lang]int)
	}
	h.discovered[ed] = n
}

func (h *hookRecorder) LayerFailed(ed news.Lang, layer string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, string(ed)+" "+layer)
}

func (h *hookRecorder) Drifted(a DriftAlert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drifts = append(h.drifts, a)
}

func (h *hookRecorder) DiscoverTook(news.Lang, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polls++
}

func (h *hookRecorder) failuresOf(layer string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.failures {
		if strings.HasSuffix(f, " "+layer) {
			n++
		}
	}
	return n
}

func (h *hookRecorder) driftCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.drifts)
}

// statusRecorder is an http.RoundTripper that records answer statuses.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
}

func (r *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.statuses = append(r.statuses, resp.StatusCode)
		r.mu.Unlock()
	}
	return resp, err
}

func (r *statusRecorder) last() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return 0
	}
	return r.statuses[len(r.statuses)-1]
}

type env struct {
	site  *upravdatest.Site
	src   *Source
	clock *fakeClock
	hooks *hookRecorder
	logs  *logBuffer
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	site := upravdatest.New()
	t.Cleanup(site.Close)
	e := &env{site: site, clock: newFakeClock(), hooks: &hookRecorder{}, logs: &logBuffer{}}
	cfg := Config{
		BaseURL:  site.URL(),
		Logger:   slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      e.clock.Now,
		Observer: e.hooks,
	}
	if mod != nil {
		mod(&cfg)
	}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.src = src
	return e
}

var kyivMarch5 = time.Date(2026, 3, 5, 10, 0, 0, 0, site.Kyiv())

func publishSample(site *upravdatest.Site) {
	site.Publish(upravdatest.Article{ID: 8030001, Edition: news.Ukrainian, Headline: "Перша", Lead: "Лід першої.",
		Body: []string{"Лід першої.", "Друге речення."}, Tags: []news.Tag{{Slug: "sud", Name: "суд"}},
		Authors: []string{"Олена Тестова"}, Published: kyivMarch5, PhotoURL: "https://img.example.org/1.jpg", PhotoCredit: "Фото: X"})
	site.Publish(upravdatest.Article{ID: 8030005, Edition: news.Ukrainian, Headline: "Важлива", Lead: "Лід важливої.",
		Body: []string{"Лід важливої."}, Tags: []news.Tag{{Slug: "viyna", Name: "війна"}}, Important: true, Published: kyivMarch5.Add(time.Hour)})
	site.Publish(upravdatest.Article{ID: 8030003, Edition: news.Ukrainian, Family: "articles", Headline: "Публікація",
		Lead: "Лід публікації.", Body: []string{"Лід публікації.", "Текст."}, Authors: []string{"Анна", "Борис"},
		Tags: []news.Tag{{Slug: "sud", Name: "суд"}}, Published: kyivMarch5.Add(30 * time.Minute)})
	site.Publish(upravdatest.Article{ID: 8030001, Edition: news.Russian, Headline: "Первая", Lead: "Лид первой.",
		Body: []string{"Лид первой."}, Tags: []news.Tag{{Slug: "sud", Name: "суд"}}, Published: kyivMarch5})
	site.Publish(upravdatest.Article{ID: 8030044, Edition: news.English, Headline: "English only", Lead: "An English lead.",
		Body: []string{"An English lead.", "More text."}, Tags: []news.Tag{{Slug: "sud", Name: "court"}}, OldMarkup: true,
		NoJSONLD: true, Authors: []string{"Jane Example"}, Published: kyivMarch5.Add(2 * time.Hour)})
}

// readTestdata reads a file below this package's directory (the testdata
// of the discover and extract packages).
func readTestdata(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// junkWords must never reach an article's body.
var junkWords = []string{
	"Реклама", "Advertisement", "Читайте також", "Читайте также", "Read more", "Patreon",
	"Поділитися", "Ссылка скопирована", "window.", "Підпис до фото", "Подпись", "Інша новина", "Related headline",
}

func assertClean(t *testing.T, a *news.Article) {
	t.Helper()
	for _, w := range junkWords {
		if strings.Contains(a.Body, w) {
			t.Errorf("body contains junk %q:\n%s", w, a.Body)
		}
	}
	if a.Summary == "" && (a.Lead != "" || a.Body != "") {
		t.Errorf("summary is empty though lead or body is not")
	}
	for _, w := range []string{"Source:", "Джерело:", "Источник:"} {
		if strings.Contains(a.Summary, w) {
			t.Errorf("summary holds the attribution line %q: %q", w, a.Summary)
		}
	}
}

func ids(items []news.ListItem) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func importantIDs(items []news.ListItem) []int64 {
	var out []int64
	for _, it := range items {
		if it.Important {
			out = append(out, it.ID)
		}
	}
	return out
}

func TestDiscoverEditions(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news", "mainnews", "pubs"} })
	publishSample(e.site)
	tests := []struct {
		edition   news.Lang
		wantIDs   []int64
		important []int64
	}{
		{news.Ukrainian, []int64{8030005, 8030003, 8030001}, []int64{8030005}},
		{news.Russian, []int64{8030001}, nil},
		{news.English, []int64{8030044}, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.edition), func(t *testing.T) {
			items, err := e.src.Discover(context.Background(), tt.edition)
			if err != nil {
				t.Fatalf("Discover() error = %v", err)
			}
			if diff := cmp.Diff(tt.wantIDs, ids(items)); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.important, importantIDs(items)); diff != "" {
				t.Errorf("important IDs mismatch (-want +got):\n%s", diff)
			}
			for _, it := range items {
				if it.Edition != tt.edition || !strings.HasPrefix(it.URL, e.site.URL()) || it.Title == "" || it.Published.IsZero() {
					t.Errorf("bad item %+v", it)
				}
			}
		})
	}
	if e.hooks.discovered[news.Ukrainian] != 3 || e.hooks.polls != 3 {
		t.Errorf("hooks: discovered %v, polls %d", e.hooks.discovered, e.hooks.polls)
	}
	if n := e.hooks.failuresOf(LayerFeedPrefix + FeedPubs); n != 0 {
		t.Errorf("empty pubs feeds of ru/en counted as %d failures", n)
	}
}

func TestDiscoverItemFields(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	items, err := e.src.Discover(context.Background(), news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	want := news.ListItem{
		ID:          8030001,
		Edition:     news.Ukrainian,
		URL:         e.site.URL() + "/news/2026/03/05/8030001/",
		Title:       "Перша",
		Published:   kyivMarch5,
		Description: "Лід першої.",
		ImageURL:    "https://img.example.org/1.jpg",
	}
	got := items[len(items)-1]
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("item mismatch (-want +got):\n%s", diff)
	}
}

func TestDiscoverConditionalGET(t *testing.T) {
	rec := &statusRecorder{}
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"}; c.HTTPClient = &http.Client{Transport: rec} })
	publishSample(e.site)
	ctx := context.Background()
	first, err := e.src.Discover(ctx, news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if rec.last() != http.StatusOK {
		t.Fatalf("first answer %d, want 200", rec.last())
	}
	second, err := e.src.Discover(ctx, news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if rec.last() != http.StatusNotModified {
		t.Errorf("second answer %d, want 304", rec.last())
	}
	if diff := cmp.Diff(ids(first), ids(second)); diff != "" {
		t.Errorf("304 did not return the previous items (-want +got):\n%s", diff)
	}
	e.site.Publish(upravdatest.Article{ID: 8030010, Edition: news.Ukrainian, Headline: "Нова", Published: kyivMarch5.Add(3 * time.Hour)})
	third, err := e.src.Discover(ctx, news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if rec.last() != http.StatusOK || third[0].ID != 8030010 {
		t.Errorf("after a publish: answer %d, first ID %d; want 200, 8030010", rec.last(), third[0].ID)
	}
	if got := e.site.Requests("/rss/view_news/"); got != 3 {
		t.Errorf("feed requests = %d, want 3", got)
	}
}

func TestDiscoverTTL(t *testing.T) {
	tests := []struct {
		name      string
		maxTTL    time.Duration
		siteTTL   int
		steps     []time.Duration // clock advance before each further Discover
		wantCalls []int           // feed requests after each Discover (first included)
	}{
		{"ttl ignored by default", 0, 60, []time.Duration{time.Minute, 5 * time.Minute}, []int{1, 2, 3}},
		{"ttl honoured up to the cap", 2 * time.Hour, 60, []time.Duration{30 * time.Minute, 31 * time.Minute}, []int{1, 1, 2}},
		{"negative MaxTTL ignores ttl", -1, 60, []time.Duration{0, 0}, []int{1, 2, 3}},
		{"no ttl in the feed", 0, 0, []time.Duration{0}, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"}; c.MaxTTL = tt.maxTTL })
			publishSample(e.site)
			e.site.SetTTL(tt.siteTTL)
			var calls []int
			for i := 0; i <= len(tt.steps); i++ {
				if i > 0 {
					e.clock.Advance(tt.steps[i-1])
				}
				items, err := e.src.Discover(context.Background(), news.Ukrainian)
				if err != nil || len(items) != 2 {
					t.Fatalf("Discover() = %d items, %v", len(items), err)
				}
				calls = append(calls, e.site.Requests("/rss/view_news/"))
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("feed requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscoverFallbackToList(t *testing.T) {
	tests := []struct {
		name        string
		breakFeed   func(*upravdatest.Site)
		markup      upravdatest.ListMarkup
		wantLayers  []string // layers that must have failed
		wantLogPart string
	}{
		{
			name:        "feed answers 500",
			breakFeed:   func(s *upravdatest.Site) { s.Fail("/rss/view_news/", http.StatusInternalServerError, -1) },
			markup:      upravdatest.ListCurrent,
			wantLayers:  []string{"feed:news"},
			wantLogPart: "500",
		},
		{
			name: "feed holds only off-site items",
			breakFeed: func(s *upravdatest.Site) {
				s.Handle("/rss/view_news/", upravdatest.Raw{ContentType: "application/rss+xml", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://life.pravda.com.ua/society/2026/03/05/1/</link></item></channel></rss>`)})
			},
			markup:      upravdatest.ListOld,
			wantLayers:  []string{"feed:news", "list:current"},
			wantLogPart: "none an article",
		},
		{
			name: "feed is an HTML error page",
			breakFeed: func(s *upravdatest.Site) {
				s.Handle("/rss/view_news/", upravdatest.Raw{ContentType: "text/html", Body: []byte("<html>oops</html>")})
			},
			markup:      upravdatest.ListCurrent,
			wantLayers:  []string{"feed:news"},
			wantLogPart: "unexpected content type",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			publishSample(e.site)
			e.site.SetListMarkup(tt.markup)
			tt.breakFeed(e.site)
			items, err := e.src.Discover(context.Background(), news.Ukrainian)
			if err != nil {
				t.Fatalf("Discover() error = %v", err)
			}
			// The list shows news only; the mainnews feed still marks 8030005.
			if diff := cmp.Diff([]int64{8030005, 8030001}, ids(items)); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int64{8030005}, importantIDs(items)); diff != "" {
				t.Errorf("important mismatch (-want +got):\n%s", diff)
			}
			if e.site.Requests("/news/") != 1 {
				t.Errorf("list requests = %d, want 1", e.site.Requests("/news/"))
			}
			for _, l := range tt.wantLayers {
				if e.hooks.failuresOf(l) != 1 {
					t.Errorf("layer %s failures = %d, want 1 (all: %v)", l, e.hooks.failuresOf(l), e.hooks.failures)
				}
			}
			if logs := e.logs.String(); !strings.Contains(logs, "layer=feed:news") || !strings.Contains(logs, tt.wantLogPart) {
				t.Errorf("log lacks the failing layer or cause %q:\n%s", tt.wantLogPart, logs)
			}
		})
	}
}

func TestDiscoverListImportance(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
	publishSample(e.site)
	e.site.Fail("/rss/view_news/", http.StatusBadRequest, -1)
	items, err := e.src.Discover(context.Background(), news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	// Without the mainnews feed, the list page's bold class marks importance.
	if diff := cmp.Diff([]int64{8030005}, importantIDs(items)); diff != "" {
		t.Errorf("important mismatch (-want +got):\n%s", diff)
	}
}

func TestDiscoverBackoff(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
	publishSample(e.site)
	e.site.Fail("/rss/view_news/", http.StatusForbidden, 1)
	e.site.Fail("/news/", http.StatusForbidden, 1)
	ctx := context.Background()

	_, err := e.src.Discover(ctx, news.Ukrainian)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusForbidden {
		t.Fatalf("Discover() error = %v, want a 403 StatusError", err)
	}
	if !strings.Contains(e.logs.String(), "backing off") {
		t.Errorf("no log line about the backoff:\n%s", e.logs.String())
	}

	// Within the backoff window nothing is requested.
	e.clock.Advance(10 * time.Second)
	_, err = e.src.Discover(ctx, news.Ukrainian)
	if !errors.Is(err, ErrBackoff) {
		t.Errorf("Discover() in the window: error = %v, want ErrBackoff", err)
	}
	if f, l := e.site.Requests("/rss/view_news/"), e.site.Requests("/news/"); f != 1 || l != 1 {
		t.Errorf("requests in the window: feed %d, list %d; want 1, 1", f, l)
	}
	// The first delay is at most the backoff base; after it, requests resume.
	e.clock.Advance(fetch.DefaultBackoffBase)
	items, err := e.src.Discover(ctx, news.Ukrainian)
	if err != nil || len(items) != 2 {
		t.Fatalf("Discover() after the window = %d items, %v", len(items), err)
	}
	// Failures while backing off are not counted again for drift.
	if n := e.hooks.failuresOf("feed:news"); n != 1 {
		t.Errorf("feed:news failures = %d, want 1", n)
	}
}

func TestBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	u := e.site.ArticleURL(upravdatest.Article{ID: 8030001, Edition: news.Ukrainian, Published: kyivMarch5})
	item := news.ListItem{ID: 8030001, Edition: news.Ukrainian, URL: u}
	ctx := context.Background()

	// 429 with Retry-After: the whole host waits at least that long.
	e.site.Handle("/news/2026/03/05/8030001/", upravdatest.Raw{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"120"}}})
	if _, err := e.src.Fetch(ctx, item); err == nil {
		t.Fatal("Fetch() succeeded on 429")
	}
	e.site.Unhandle("/news/2026/03/05/8030001/")
	e.clock.Advance(100 * time.Second)
	if _, err := e.src.Discover(ctx, news.Ukrainian); !errors.Is(err, ErrBackoff) {
		t.Errorf("other URL of the host during Retry-After: error = %v, want ErrBackoff", err)
	}
	e.clock.Advance(21 * time.Second)
	if _, err := e.src.Fetch(ctx, item); err != nil {
		t.Errorf("Fetch() after Retry-After: %v", err)
	}

	// Consecutive 503s: the delay grows (jittered within [d/2, d]).
	base := fetch.DefaultBackoffBase
	for i, wantMax := range []time.Duration{base, 2 * base, 4 * base} {
		e.site.Fail("/news/2026/03/05/8030001/", http.StatusServiceUnavailable, 1)
		start := e.clock.Now()
		if _, err := e.src.Fetch(ctx, item); err == nil {
			t.Fatal("Fetch() succeeded on 503")
		}
		until, ok := e.src.fetch.HeldUntil(e.site.URL() + "/news/2026/03/05/8039999/") // any URL of the host
		if !ok {
			t.Fatalf("failure %d: no backoff", i+1)
		}
		if d := until.Sub(start); d < wantMax/2 || d > wantMax {
			t.Errorf("failure %d: backoff %v, want within [%v, %v]", i+1, d, wantMax/2, wantMax)
		}
		e.clock.Advance(wantMax + time.Second)
	}
}

func TestDriftAlertOnce(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"}; c.DriftThreshold = 3 })
	publishSample(e.site)
	junkFeed := upravdatest.Raw{ContentType: "application/rss+xml", Body: []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>x</title><link>https://www.epravda.com.ua/news/2026/03/05/813999/</link></item></channel></rss>`)}
	ctx := context.Background()
	poll := func(n int) {
		for range n {
			if _, err := e.src.Discover(ctx, news.Ukrainian); err != nil {
				t.Fatalf("Discover() error = %v (the list page still works)", err)
			}
		}
	}
	e.site.Handle("/rss/view_news/", junkFeed)
	poll(5)
	if n := e.hooks.failuresOf("feed:news"); n != 5 {
		t.Errorf("layer failures = %d, want 5", n)
	}
	if n := e.hooks.driftCount(); n != 1 {
		t.Fatalf("drift alerts after 5 failures = %d, want 1", n)
	}
	a := e.hooks.drifts[0]
	if a.Edition != news.Ukrainian || a.Layer != "feed:news" || a.Failures != 3 || a.Err == nil {
		t.Errorf("alert = %+v", a)
	}
	if !strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("no error log for the drift:\n%s", e.logs.String())
	}

	// Recovery, then a new outage: one more alert.
	e.site.Unhandle("/rss/view_news/")
	poll(1)
	e.site.Handle("/rss/view_news/", junkFeed)
	poll(2)
	if n := e.hooks.driftCount(); n != 1 {
		t.Errorf("alerts after 2 new failures = %d, want still 1", n)
	}
	poll(1)
	if n := e.hooks.driftCount(); n != 2 {
		t.Errorf("alerts after recovery and 3 new failures = %d, want 2", n)
	}
	if !strings.Contains(e.logs.String(), "works again") {
		t.Errorf("recovery not logged")
	}
}

func TestFetch(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	ctx := context.Background()
	tests := []struct {
		name       string
		item       upravdatest.Article
		important  bool
		wantLayers []string // failed layers
		check      func(t *testing.T, a *news.Article)
	}{
		{
			name:      "current news",
			item:      upravdatest.Article{ID: 8030005, Edition: news.Ukrainian, Published: kyivMarch5.Add(time.Hour)},
			important: true,
			check: func(t *testing.T, a *news.Article) {
				if !a.Important || a.Headline != "Важлива" || a.TagsMissing || a.Tags[0].Slug != "viyna" {
					t.Errorf("article = %+v", a)
				}
			},
		},
		{
			name: "current publication with two authors",
			item: upravdatest.Article{ID: 8030003, Edition: news.Ukrainian, Family: "articles", Published: kyivMarch5},
			check: func(t *testing.T, a *news.Article) {
				if diff := cmp.Diff([]string{"Анна", "Борис"}, a.Authors); diff != "" {
					t.Errorf("authors (-want +got):\n%s", diff)
				}
				if a.Body != "Лід публікації.\n\nТекст." || a.Family != "articles" {
					t.Errorf("body %q, family %q", a.Body, a.Family)
				}
			},
		},
		{
			name:       "older markup without JSON-LD",
			item:       upravdatest.Article{ID: 8030044, Edition: news.English, Published: kyivMarch5},
			wantLayers: []string{LayerArticleJSONLD},
			check: func(t *testing.T, a *news.Article) {
				want := kyivMarch5.Add(2 * time.Hour)
				if !a.Published.Equal(want) || a.Headline != "English only" || a.Authors[0] != "Jane Example" || a.Tags[0].Name != "court" {
					t.Errorf("article = %+v", a)
				}
				if a.Summary != "An English lead. More text." {
					t.Errorf("summary %q", a.Summary)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.hooks.failures)
			u := e.site.ArticleURL(tt.item)
			a, err := e.src.Fetch(ctx, news.ListItem{ID: tt.item.ID, Edition: tt.item.Edition, URL: u, Important: tt.important})
			if err != nil {
				t.Fatalf("Fetch() error = %v", err)
			}
			if a.ID != tt.item.ID || a.Edition != tt.item.Edition || a.URL != u || a.Summary == "" {
				t.Errorf("identity: %d %s %s, summary %q", a.ID, a.Edition, a.URL, a.Summary)
			}
			assertClean(t, a)
			tt.check(t, a)
			var got []string
			for _, f := range e.hooks.failures[before:] {
				got = append(got, strings.SplitN(f, " ", 2)[1])
			}
			if diff := cmp.Diff(tt.wantLayers, got); diff != "" {
				t.Errorf("failed layers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchWithoutTagsStillServes(t *testing.T) {
	e := newEnv(t, nil)
	e.site.Publish(upravdatest.Article{ID: 8040000, Edition: news.Ukrainian, Headline: "Без тегів", Lead: "Лід.",
		Body: []string{"Лід."}, Published: kyivMarch5})
	u := e.site.ArticleURL(upravdatest.Article{ID: 8040000, Published: kyivMarch5})
	a, err := e.src.Fetch(context.Background(), news.ListItem{ID: 8040000, Edition: news.Ukrainian, URL: u, Important: true})
	if err != nil {
		t.Fatal(err)
	}
	if !a.TagsMissing || len(a.Tags) != 0 || !a.Important {
		t.Errorf("TagsMissing %v, Tags %v, Important %v; want true, none, true", a.TagsMissing, a.Tags, a.Important)
	}
	if e.hooks.failuresOf(LayerArticleTags) != 1 {
		t.Errorf("tags layer failure not recorded: %v", e.hooks.failures)
	}
}

func TestFetchFillsGapsFromItem(t *testing.T) {
	e := newEnv(t, nil)
	// A page in an unknown template with no headline, date or description.
	path := "/news/2026/03/05/8040001/"
	e.site.Handle(path, upravdatest.Raw{ContentType: "text/html; charset=utf-8", Body: []byte(`<html lang="uk"><body><main class="v4"><p>Текст.</p></main></body></html>`)})
	item := news.ListItem{ID: 8040001, Edition: news.Ukrainian, URL: e.site.URL() + path, Title: "Заголовок зі стрічки",
		Published: kyivMarch5, Description: "Опис зі стрічки. Друге речення.", ImageURL: "https://img.example.org/f.jpg"}
	a, err := e.src.Fetch(context.Background(), item)
	if err != nil {
		t.Fatal(err)
	}
	want := &news.Article{
		ID: 8040001, Edition: news.Ukrainian, URL: item.URL, Family: "news", Headline: item.Title, Published: kyivMarch5,
		Lead: item.Description, Summary: "Опис зі стрічки. Друге речення.", Photo: &news.Photo{URL: item.ImageURL}, TagsMissing: true,
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("Fetch() mismatch (-want +got):\n%s", diff)
	}
	for _, l := range []string{LayerArticleHeadline, LayerArticleJSONLD, LayerArticleMarkup, LayerArticleTags} {
		if e.hooks.failuresOf(l) != 1 {
			t.Errorf("layer %s not recorded as failed: %v", l, e.hooks.failures)
		}
	}
	// Without a title in the item either, there is nothing to show.
	item.Title = ""
	if _, err := e.src.Fetch(context.Background(), item); !errors.Is(err, ErrNoHeadline) {
		t.Errorf("Fetch() without any headline: error = %v, want ErrNoHeadline", err)
	}
}

func TestFetchErrors(t *testing.T) {
	big := bytes.Repeat([]byte("<p>слово </p>"), 10<<20/len("<p>слово </p>")+1) // just over 10 MB
	tests := []struct {
		name    string
		raw     *upravdatest.Raw
		fail    int
		url     string // overrides the article URL
		want    error
		wantMsg string
	}{
		{name: "404", want: news.ErrNotFound, wantMsg: "404"},
		{name: "10 MB page, streamed", raw: &upravdatest.Raw{ContentType: "text/html", Body: big}, want: ErrTooLarge, wantMsg: "larger than"},
		{name: "10 MB page, announced", raw: &upravdatest.Raw{ContentType: "text/html", Header: http.Header{"Content-Length": {fmt.Sprint(len(big))}}, Body: big}, want: ErrTooLarge, wantMsg: "announces"},
		{name: "image instead of a page", raw: &upravdatest.Raw{ContentType: "image/jpeg", Body: []byte("\xff\xd8\xff")}, want: ErrContentType, wantMsg: "image/jpeg"},
		{name: "JSON instead of a page", raw: &upravdatest.Raw{ContentType: "application/json", Body: []byte("{}")}, want: ErrContentType, wantMsg: "application/json"},
		{name: "off-site URL", url: "https://www.epravda.com.ua/news/2026/03/05/813999/", want: news.ErrInvalid, wantMsg: "not an article URL"},
		{name: "not an article URL", url: "/tags/sud/", want: news.ErrInvalid},
		{name: "403", fail: http.StatusForbidden, wantMsg: "403 Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			path := "/news/2026/03/05/8050000/"
			if tt.raw != nil {
				e.site.Handle(path, *tt.raw)
			}
			if tt.fail != 0 {
				e.site.Fail(path, tt.fail, 1)
			}
			u := e.site.URL() + path
			if tt.url != "" {
				u = tt.url
			}
			_, err := e.src.Fetch(context.Background(), news.ListItem{ID: 8050000, Edition: news.Ukrainian, URL: u, Title: "t"})
			if err == nil {
				t.Fatal("Fetch() succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Fetch() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "upravda: ") {
				t.Errorf("error message %q lacks %q or the package prefix", err, tt.wantMsg)
			}
			if tt.fail == http.StatusForbidden {
				// Backoff: the immediate retry is not sent.
				_, err := e.src.Fetch(context.Background(), news.ListItem{ID: 8050000, Edition: news.Ukrainian, URL: u})
				if !errors.Is(err, ErrBackoff) || e.site.Requests(path) != 1 {
					t.Errorf("retry: error %v, requests %d; want ErrBackoff, 1", err, e.site.Requests(path))
				}
			}
		})
	}
}

func TestMaxConcurrent(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><body><article class="post_news"><h1 class="post_news_title">T</h1></article></body></html>`)
	}))
	defer srv.Close()
	src, err := New(Config{BaseURL: srv.URL, MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			u := fmt.Sprintf("%s/news/2026/03/05/%d/", srv.URL, 8060000+i)
			if _, err := src.Fetch(context.Background(), news.ListItem{URL: u}); err != nil {
				t.Errorf("Fetch() error = %v", err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak requests in flight = %d, want 1..2", p)
	}
}

func TestWindows1251FeedFromSite(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
	e.site.SetFeedCharset("windows-1251")
	e.site.Publish(upravdatest.Article{ID: 8070000, Edition: news.Russian, Headline: "Ґанок і Їжак ʼапостроф", Lead: "Опис.", Published: kyivMarch5})
	items, err := e.src.Discover(context.Background(), news.Russian)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Ґанок і Їжак ʼапостроф" {
		t.Errorf("items = %+v", items)
	}
}

func TestTruncatedFeedFromSite(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
	body := readTestdata(t, "discover/testdata/feed_truncated.xml")
	body = bytes.ReplaceAll(body, []byte("https://www.pravda.com.ua"), []byte(e.site.URL()))
	e.site.Handle("/rss/view_news/", upravdatest.Raw{ContentType: "application/rss+xml", Body: body})
	items, err := e.src.Discover(context.Background(), news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{8030001}, ids(items)); diff != "" {
		t.Errorf("IDs mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.logs.String(), "cut short") {
		t.Errorf("no log line about the truncated feed:\n%s", e.logs.String())
	}
	if e.site.Requests("/news/") != 0 {
		t.Error("the list page was read although the truncated feed had items")
	}
}

// TestPollerPath is what the bot's poller does: discover, fetch the new IDs,
// and pick up an article published mid-run.
func TestPollerPath(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxTTL = -1 })
	publishSample(e.site)
	e.site.SetTTL(60)
	ctx := context.Background()
	seen := make(map[string]bool)
	poll := func() []*news.Article {
		var fresh []*news.Article
		for _, ed := range news.Langs {
			items, err := e.src.Discover(ctx, ed)
			if err != nil {
				t.Fatalf("Discover(%s) error = %v", ed, err)
			}
			for _, it := range items {
				k := fmt.Sprint(ed, it.ID)
				if seen[k] {
					continue
				}
				seen[k] = true
				a, err := e.src.Fetch(ctx, it)
				if err != nil {
					t.Fatalf("Fetch(%s) error = %v", it.URL, err)
				}
				fresh = append(fresh, a)
			}
		}
		return fresh
	}
	// Default feeds (news, mainnews): the uk publication is not announced.
	if got := len(poll()); got != 4 {
		t.Fatalf("first poll: %d articles, want 4", got)
	}
	if got := len(poll()); got != 0 {
		t.Fatalf("second poll: %d articles, want 0", got)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		e.site.Publish(upravdatest.Article{Edition: news.English, Headline: "Breaking", Lead: "Lead.", Body: []string{"Lead."},
			Tags: []news.Tag{{Slug: "sud", Name: "court"}}, Important: true})
	})
	wg.Wait()
	fresh := poll()
	if len(fresh) != 1 || fresh[0].Headline != "Breaking" || !fresh[0].Important || fresh[0].Tags[0].Slug != "sud" {
		t.Fatalf("third poll: %+v", fresh)
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxTTL = -1 })
	publishSample(e.site)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 5 {
				e.site.Publish(upravdatest.Article{Edition: news.Langs[(i+j)%3], Headline: "Конкурентна", Lead: "Лід.", Body: []string{"Лід."}})
				for _, ed := range news.Langs {
					items, err := e.src.Discover(ctx, ed)
					if err != nil {
						t.Errorf("Discover() error = %v", err)
						return
					}
					if _, err := e.src.Fetch(ctx, items[0]); err != nil {
						t.Errorf("Fetch() error = %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"all feeds", Config{Feeds: []string{"news", " MainNews ", "pubs", "news"}}, true},
		{"unknown feed", Config{Feeds: []string{"sport"}}, false},
		{"relative base", Config{BaseURL: "/www.pravda.com.ua"}, false},
		{"ftp base", Config{BaseURL: "ftp://www.pravda.com.ua"}, false},
		{"base with query", Config{BaseURL: "https://www.pravda.com.ua/?x=1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New() error = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, news.ErrInvalid) {
				t.Errorf("error %v does not wrap news.ErrInvalid", err)
			}
			if s != nil && s.BaseURL() != "https://www.pravda.com.ua/" {
				t.Errorf("BaseURL() = %q", s.BaseURL())
			}
		})
	}
	s, _ := New(Config{Feeds: []string{"news", " MainNews ", "pubs", "news"}})
	if diff := cmp.Diff([]string{"news", "mainnews", "pubs"}, s.feeds); diff != "" {
		t.Errorf("feeds mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.Discover(context.Background(), news.Lang("de")); !errors.Is(err, news.ErrInvalid) {
		t.Errorf("Discover(de) error = %v, want news.ErrInvalid", err)
	}
}

func TestFeedLabelledHTML(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
	body := readTestdata(t, "discover/testdata/feed_news.xml")
	body = bytes.ReplaceAll(body, []byte("https://www.pravda.com.ua"), []byte(e.site.URL()))
	e.site.Handle("/rss/view_news/", upravdatest.Raw{ContentType: "text/html; charset=utf-8", Body: append([]byte("\xef\xbb\xbf\n"), body...)})
	items, err := e.src.Discover(context.Background(), news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{8030001, 8029998}, ids(items)); diff != "" {
		t.Errorf("IDs mismatch (-want +got):\n%s", diff)
	}
	if e.site.Requests("/news/") != 0 {
		t.Error("the list page was read although the feed was usable")
	}
}
