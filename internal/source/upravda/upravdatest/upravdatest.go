// Package upravdatest is a local stand-in for www.pravda.com.ua: a real
// HTTP server (httptest) that serves the three editions' RSS feeds, news
// list pages and article pages, written by this project from Go templates
// after the site's documented structure (docs/source.md). Tests publish
// articles into it at any time, make paths fail, serve raw bytes and count
// requests.
//
// Feeds are RSS 2.0 in UTF-8 (or windows-1251), newest first, with ETag and
// Last-Modified, answering 304 to conditional GETs, and `<ttl>60</ttl>` as
// the real site sends (SetTTL changes it; 0 leaves it out). List pages
// and articles come in the current markup (post_news_*, post_article_*) or,
// per article, the older one (post_*).
package upravdatest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newsbot/internal/news"
)

// Article is an article to publish. Zero fields get defaults: ID the next
// free one (from 8100000 up), Edition uk, Family "news", Published the
// time of publishing (to the minute).
type Article struct {
	ID        int64
	Edition   news.Lang
	Family    string // "news" (default), "articles", "columns", ...
	Headline  string
	Lead      string
	Body      []string // paragraphs
	Tags      []news.Tag
	Authors   []string
	Published time.Time
	Important bool // also listed in rss/view_mainnews/ and bold on the list page
	PhotoURL  string
	// PhotoCaption and PhotoCredit go under the photo.
	PhotoCaption string
	PhotoCredit  string
	// OldMarkup renders the page in the template used before autumn 2025
	// (article.post, h1.post_title, div.post_time, div.post_text,
	// div.post_tags).
	OldMarkup bool
	// NoJSONLD leaves the JSON-LD block out of the page.
	NoJSONLD bool
}

// Raw is a canned answer for a path.
type Raw struct {
	Status      int // default 200
	ContentType string
	Header      http.Header
	Body        []byte
}

// ListMarkup chooses the markup of the news list pages.
type ListMarkup int

// List page markups.
const (
	ListCurrent ListMarkup = iota // div.article_news_list > div.article_title > a
	ListOld                       // div.article_news_list > div.article_content > div.article_header > a
)

// firstID is the first ID handed out to articles published without one.
const firstID = 8100000

// defaultFeedLimit is how many items a feed lists, as on the site.
const defaultFeedLimit = 20

// defaultTTL is the feeds' <ttl> in minutes, as on the site in 2026.
const defaultTTL = 60

// Site is the fake site. It is safe for concurrent use.
type Site struct {
	srv *httptest.Server

	mu          sync.Mutex
	articles    map[artKey]Article
	nextID      int64
	modified    map[news.Lang]time.Time
	failures    map[string]*failRule
	requests    map[string]int
	raw         map[string]Raw
	ttl         int
	charset     string
	before      func(path string)
	listMarkup  ListMarkup
	feedLimit   int
	conditional bool
	junk        bool
}

type artKey struct {
	edition news.Lang
	id      int64
}

type failRule struct {
	status int
	left   int // <0: until cleared
}

// New starts a site. Close it when done.
func New() *Site {
	s := &Site{
		articles:    make(map[artKey]Article),
		nextID:      firstID,
		modified:    make(map[news.Lang]time.Time),
		failures:    make(map[string]*failRule),
		requests:    make(map[string]int),
		raw:         make(map[string]Raw),
		feedLimit:   defaultFeedLimit,
		ttl:         defaultTTL,
		conditional: true,
		junk:        true,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the site's root, to be used as the source's base URL.
func (s *Site) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Site) Close() { s.srv.Close() }

// Publish adds an article: its page is served, and it is listed in its
// edition's feeds (rss/, rss/view_news/ for news or rss/view_pubs/ for
// other families, rss/view_mainnews/ when Important) and on the news list
// page. Publishing an article with the ID of one already in the edition
// replaces it. Publish is safe at any time, concurrently with requests.
func (s *Site) Publish(a Article) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.normalize(&a)
	s.articles[artKey{a.Edition, a.ID}] = a
	s.touch(a.Edition)
}

// normalize fills the defaults of a; the caller holds s.mu.
func (s *Site) normalize(a *Article) {
	if !a.Edition.Valid() {
		a.Edition = news.Ukrainian
	}
	if a.Family == "" {
		a.Family = "news"
	}
	if a.ID == 0 {
		a.ID = s.nextID
	}
	if a.ID >= s.nextID {
		s.nextID = a.ID + 1
	}
	if a.Published.IsZero() {
		a.Published = time.Now()
	}
	a.Published = a.Published.In(kyiv).Truncate(time.Minute)
}

// touch moves an edition's Last-Modified forward; the caller holds s.mu.
func (s *Site) touch(ed news.Lang) {
	t := time.Now().Truncate(time.Second)
	if prev := s.modified[ed]; !t.After(prev) {
		t = prev.Add(time.Second)
	}
	s.modified[ed] = t
}

// ArticleURL returns the absolute URL of an article's page, with defaults
// applied as Publish would (an article without an ID gets the next free
// one, but it is not reserved).
func (s *Site) ArticleURL(a Article) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == 0 {
		a.ID = s.nextID
	}
	if !a.Edition.Valid() {
		a.Edition = news.Ukrainian
	}
	if a.Family == "" {
		a.Family = "news"
	}
	if a.Published.IsZero() {
		a.Published = time.Now()
	}
	return s.srv.URL + articlePath(a)
}

// Published returns the article stored for an edition and ID, with the
// defaults Publish filled in.
func (s *Site) Published(edition news.Lang, id int64) (Article, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.articles[artKey{edition, id}]
	return a, ok
}

// Fail makes the next n requests for path answer status (n < 0: every
// request until Fail is called again for the path with n == 0, which
// clears the rule). path is as requested, e.g. "/rss/view_news/" or
// "/eng/news/"; the leading slash may be omitted.
func (s *Site) Fail(path string, status int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path = normPath(path)
	if n == 0 {
		delete(s.failures, path)
		return
	}
	s.failures[path] = &failRule{status: status, left: n}
}

// Requests returns how many requests a path got (failed ones included).
func (s *Site) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[normPath(path)]
}

// ResetRequests sets every request count to zero.
func (s *Site) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.requests)
}

// Handle serves r at path instead of whatever the site would serve there.
func (s *Site) Handle(path string, r Raw) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw[normPath(path)] = r
}

// Unhandle removes what Handle set for path.
func (s *Site) Unhandle(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.raw, normPath(path))
}

// SetTTL sets the feeds' <ttl> in minutes (default 60, as on the site); 0
// leaves it out.
func (s *Site) SetTTL(minutes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = minutes
}

// SetFeedCharset sets the feeds' encoding: "utf-8" (the default) or
// "windows-1251" (declared in the XML prolog and the Content-Type, as the
// site's feeds were until the 2020s).
func (s *Site) SetFeedCharset(charset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.charset = strings.ToLower(charset)
}

// SetListMarkup sets the markup of the news list pages.
func (s *Site) SetListMarkup(m ListMarkup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listMarkup = m
}

// SetFeedLimit sets how many items a feed lists (default 20).
func (s *Site) SetFeedLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feedLimit = max(n, 0)
}

// SetConditional turns the answers 304 Not Modified to conditional GETs on
// (the default) or off.
func (s *Site) SetConditional(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conditional = on
}

// SetJunk turns on (the default) or off the off-site and malformed items
// that every feed and list page carries, as the real ones do: a link to
// epravda.com.ua, one to life.pravda.com.ua and a bare video ID.
func (s *Site) SetJunk(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.junk = on
}

func normPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

var (
	feedRe    = regexp.MustCompile(`^/(?:(rus|eng)/)?rss/(?:view_(news|mainnews|pubs)/)?$`)
	listRe    = regexp.MustCompile(`^/(?:(rus|eng)/)?news/$`)
	articleRe = regexp.MustCompile(`^/(?:(rus|eng)/)?([a-z]+)/(\d{4})/(\d{1,2})/(\d{1,2})/(\d+)/?$`)
)

func editionOf(prefix string) news.Lang {
	switch prefix {
	case "rus":
		return news.Russian
	case "eng":
		return news.English
	}
	return news.Ukrainian
}

func prefixOf(l news.Lang) string {
	switch l {
	case news.Russian:
		return "/rus"
	case news.English:
		return "/eng"
	}
	return ""
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	s.runBefore(path)
	s.mu.Lock()
	s.requests[path]++
	if rule := s.failures[path]; rule != nil {
		status := rule.status
		if rule.left > 0 {
			rule.left--
			if rule.left == 0 {
				delete(s.failures, path)
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status))
		return
	}
	if raw, ok := s.raw[path]; ok {
		s.mu.Unlock()
		for k, v := range raw.Header {
			w.Header()[k] = v
		}
		if raw.ContentType != "" {
			w.Header().Set("Content-Type", raw.ContentType)
		}
		status := raw.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(raw.Body)
		return
	}
	var (
		body        []byte
		contentType string
		modified    time.Time
		err         error
		found       = true
	)
	switch {
	case feedRe.MatchString(path):
		m := feedRe.FindStringSubmatch(path)
		ed := editionOf(m[1])
		body, contentType, err = s.renderFeed(ed, m[2])
		modified = s.modified[ed]
	case listRe.MatchString(path):
		m := listRe.FindStringSubmatch(path)
		ed := editionOf(m[1])
		body, err = s.renderList(ed)
		contentType = "text/html; charset=utf-8"
		modified = s.modified[ed]
	case articleRe.MatchString(path):
		m := articleRe.FindStringSubmatch(path)
		id, _ := strconv.ParseInt(m[6], 10, 64)
		a, ok := s.articles[artKey{editionOf(m[1]), id}]
		if !ok || a.Family != m[2] {
			found = false
			break
		}
		body, err = s.renderArticle(a)
		contentType = "text/html; charset=utf-8"
	default:
		found = false
	}
	conditional := s.conditional
	s.mu.Unlock()

	if !found {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "upravdatest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if !modified.IsZero() {
		w.Header().Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if conditional && notModified(r, etag, modified) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// notModified applies If-None-Match, then If-Modified-Since.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for t := range strings.SplitSeq(inm, ",") {
			if strings.TrimSpace(t) == etag || strings.TrimSpace(t) == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

// listed returns the edition's articles of the families that keep
// accepts, newest first; the caller holds s.mu.
func (s *Site) listed(ed news.Lang, keep func(Article) bool) []Article {
	var out []Article
	for k, a := range s.articles {
		if k.edition == ed && keep(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Article) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		switch {
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
	return out
}

// articlePath returns the path of an article's page.
func articlePath(a Article) string {
	p := a.Published.In(kyiv)
	return fmt.Sprintf("%s/%s/%04d/%02d/%02d/%d/", prefixOf(a.Edition), a.Family, p.Year(), int(p.Month()), p.Day(), a.ID)
}
