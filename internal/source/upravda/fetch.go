package upravda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"newsbot/internal/news"
)

// Errors of fetching. Callers test them with errors.Is.
var (
	// ErrBackoff means the request was not made: the URL or the host
	// answered 403, 429 or 5xx recently and is left alone for a while.
	ErrBackoff = errors.New("backing off after an error answer")
	// ErrTooLarge means a body exceeded Config.MaxBodyBytes.
	ErrTooLarge = errors.New("response body too large")
	// ErrContentType means the answer was not of the expected type (an
	// image instead of a page, HTML instead of a feed).
	ErrContentType = errors.New("unexpected content type")
)

// StatusError is an unexpected HTTP status. It matches news.ErrNotFound
// for 404 and 410.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("upravda: %s answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Is makes 404 and 410 match news.ErrNotFound.
func (e *StatusError) Is(target error) bool {
	return target == news.ErrNotFound && (e.Code == http.StatusNotFound || e.Code == http.StatusGone)
}

// Backoff schedule after 403, 429 and 5xx: the delay doubles from
// Config.BackoffBase (backoffBase by default) up to backoffMax with each
// failure in a row and is jittered into [d/2, d]; a longer Retry-After (up
// to retryAfterMax) wins.
const (
	backoffBase   = 30 * time.Second
	backoffMax    = 30 * time.Minute
	retryAfterMax = 2 * time.Hour
)

// browserUserAgent is what the site's CDN expects from a reader.
const browserUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

type kind int

const (
	kindHTML kind = iota
	kindFeed
)

// cacheEntry is what the Source remembers of a feed or list URL.
type cacheEntry struct {
	etag         string
	lastModified string
	items        []news.ListItem
	fetched      time.Time
	ttl          time.Duration
}

type backoff struct {
	failures int
	until    time.Time
}

// response is a successful answer.
type response struct {
	notModified bool
	body        []byte // UTF-8 for HTML; as sent for feeds
	contentType string
	etag        string
	lastMod     string
}

// get fetches a URL politely: browser-like headers, a conditional GET when
// cond is given, at most MaxConcurrent requests at once, a capped body, the
// status and content type checked, HTML decoded to UTF-8. After 403, 429 or
// 5xx the URL (for 429 and 502-504 the whole host) is left alone for a
// jittered, growing delay; calls in that window fail with ErrBackoff
// without a request.
func (s *Source) get(ctx context.Context, rawURL string, k kind, edition news.Lang, cond *cacheEntry) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("upravda: bad URL %q: %w", rawURL, news.ErrInvalid)
	}
	hostKey := "host:" + u.Host
	if until, ok := s.backingOff(rawURL, hostKey); ok {
		return nil, fmt.Errorf("upravda: not fetching %s until %s: %w", rawURL, until.Format(time.RFC3339), ErrBackoff)
	}

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("upravda: unable to fetch %s: %w", rawURL, ctx.Err())
	}
	defer func() { <-s.sem }()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to build a request for %s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", s.ua)
	if k == kindFeed {
		req.Header.Set("Accept", "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	} else {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}
	req.Header.Set("Accept-Language", acceptLanguage(edition))
	if cond != nil {
		if cond.etag != "" {
			req.Header.Set("If-None-Match", cond.etag)
		}
		if cond.lastModified != "" {
			req.Header.Set("If-Modified-Since", cond.lastModified)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()

	switch code := resp.StatusCode; {
	case code == http.StatusNotModified && cond != nil:
		s.clearBackoff(rawURL, hostKey)
		return &response{notModified: true}, nil
	case code == http.StatusOK:
	case code == http.StatusForbidden || code == http.StatusTooManyRequests || code >= 500:
		key := rawURL
		if code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout {
			key = hostKey
		}
		until := s.setBackoff(key, retryAfter(resp.Header.Get("Retry-After"), s.now()))
		s.log.Warn("The site refused a request; backing off.", slog.String("url", rawURL),
			slog.Int("status", code), slog.Time("retry_at", until))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: rawURL, Code: code}
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: rawURL, Code: code}
	}

	ct := resp.Header.Get("Content-Type")
	ctErr := checkContentType(ct, k)
	if ctErr != nil && k == kindHTML {
		return nil, fmt.Errorf("upravda: %s: %w", rawURL, ctErr)
	}
	if resp.ContentLength > s.maxBody {
		return nil, fmt.Errorf("upravda: %s announces %d bytes, more than %d: %w", rawURL, resp.ContentLength, s.maxBody, ErrTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("upravda: unable to read %s: %w", rawURL, err)
	}
	if int64(len(body)) > s.maxBody {
		return nil, fmt.Errorf("upravda: %s is larger than %d bytes: %w", rawURL, s.maxBody, ErrTooLarge)
	}
	if ctErr != nil && !looksLikeXML(body) {
		// Some servers label feeds text/html; the body decides.
		return nil, fmt.Errorf("upravda: %s: %w", rawURL, ctErr)
	}
	if ct == "" && !(k == kindFeed && looksLikeXML(body)) {
		ct = http.DetectContentType(body)
		if err := checkContentType(ct, k); err != nil {
			return nil, fmt.Errorf("upravda: %s: %w", rawURL, err)
		}
	}
	if k == kindHTML {
		body, err = decodeHTML(body, ct)
		if err != nil {
			return nil, fmt.Errorf("upravda: unable to decode %s: %w", rawURL, err)
		}
	}
	s.clearBackoff(rawURL, hostKey)
	return &response{
		body:        body,
		contentType: ct,
		etag:        resp.Header.Get("ETag"),
		lastMod:     resp.Header.Get("Last-Modified"),
	}, nil
}

// decodeHTML converts a page to UTF-8 from the charset named by the
// Content-Type, a BOM or a meta tag.
func decodeHTML(body []byte, contentType string) ([]byte, error) {
	enc, name, _ := charset.DetermineEncoding(body[:min(len(body), 1024)], contentType)
	if name == "utf-8" {
		return body, nil
	}
	return io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body)))
}

// checkContentType accepts HTML for pages and XML-ish or text types for
// feeds; an empty type is sniffed by the caller.
func checkContentType(ct string, k kind) error {
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrContentType, ct)
	}
	switch k {
	case kindHTML:
		if mt == "text/html" || mt == "application/xhtml+xml" {
			return nil
		}
	case kindFeed:
		if strings.Contains(mt, "xml") || strings.Contains(mt, "rss") || strings.Contains(mt, "atom") ||
			strings.HasPrefix(mt, "text/") && mt != "text/html" {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrContentType, mt)
}

// looksLikeXML reports whether a body starts like an XML feed (after a BOM
// and white space): an XML declaration, <rss, <feed or <rdf:RDF.
func looksLikeXML(body []byte) bool {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b[:min(len(b), 512)], " \t\r\n")
	for _, p := range []string{"<?xml", "<rss", "<feed", "<rdf:RDF"} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

func acceptLanguage(l news.Lang) string {
	switch l {
	case news.Russian:
		return "ru-UA,ru;q=0.9,uk;q=0.8,en;q=0.6"
	case news.English:
		return "en-US,en;q=0.9,uk;q=0.6"
	}
	return "uk-UA,uk;q=0.9,en;q=0.6"
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), retryAfterMax)
}

func (s *Source) backingOff(keys ...string) (time.Time, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if b := s.backoffs[k]; b != nil && now.Before(b.until) {
			return b.until, true
		}
	}
	return time.Time{}, false
}

// setBackoff records a failure of key and returns when it may be tried
// again.
func (s *Source) setBackoff(key string, atLeast time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.backoffs[key]
	if b == nil {
		b = &backoff{}
		s.backoffs[key] = b
	}
	b.failures++
	d := s.backoffBase << min(b.failures-1, 10)
	d = min(d, backoffMax)
	d = d/2 + rand.N(d/2+1)
	d = max(d, atLeast)
	b.until = s.now().Add(d)
	return b.until
}

func (s *Source) clearBackoff(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.backoffs, k)
	}
}
