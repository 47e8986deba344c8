// Package fetch makes the HTTP requests of the sources, politely and
// bounded: browser-like headers, a timeout at every stage, at most so many
// requests at once and one at a time per host, a capped body, the status and content type checked
// before anything is parsed, pages decoded to UTF-8 from their declared
// charset, conditional GETs (ETag, Last-Modified) with a Cache of what the
// caller made of the last answer, and a growing, jittered backoff after
// 403, 429 and 5xx that honours Retry-After. It knows nothing of any site.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"unicode/utf8"

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
	return fmt.Sprintf("fetch: %s answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Is makes 404 and 410 match news.ErrNotFound.
func (e *StatusError) Is(target error) bool {
	return target == news.ErrNotFound && (e.Code == http.StatusNotFound || e.Code == http.StatusGone)
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes  = 5 << 20
	DefaultMaxConcurrent = 4
	DefaultMaxPerHost    = 1
	// DefaultBackoffBase is the first delay after a 403, 429 or 5xx.
	DefaultBackoffBase = 30 * time.Second
	// DefaultUserAgent is what the sites' CDNs expect from a reader.
	DefaultUserAgent    = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	defaultFetchTimeout = 20 * time.Second
)

// Config configures a Client. The zero value of every field is replaced by
// its default.
type Config struct {
	// HTTPClient makes every request; nil: one with a timeout at every
	// stage and at most 5 redirects.
	HTTPClient *http.Client
	// MaxBodyBytes caps every response body; default 5 MiB. Bigger bodies
	// fail with ErrTooLarge.
	MaxBodyBytes int64
	// MaxConcurrent bounds the requests in flight; default 4.
	MaxConcurrent int
	// MaxPerHost bounds the requests in flight to one host; default 1
	// (one request at a time per host, as a polite reader does).
	MaxPerHost int
	// BackoffBase is the first delay after a 403, 429 or 5xx answer; it
	// doubles with each failure in a row, up to 30 minutes. Default 30s.
	BackoffBase time.Duration
	// UserAgent overrides DefaultUserAgent.
	UserAgent string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Kind is what a request expects: it sets the Accept header, the content
// types accepted and whether the body is decoded to UTF-8.
type Kind int

const (
	// HTML is a web page, decoded to UTF-8 from its declared charset.
	HTML Kind = iota
	// Feed is an RSS or Atom feed, returned as sent (its XML declaration
	// names its encoding).
	Feed
)

// Validators are what a conditional GET sends back to the server.
type Validators struct {
	ETag         string
	LastModified string
}

// IsZero reports whether there is nothing to send.
func (v Validators) IsZero() bool { return v.ETag == "" && v.LastModified == "" }

// Request is one GET.
type Request struct {
	URL  string
	Kind Kind
	// AcceptLanguage is sent as the Accept-Language header when set.
	AcceptLanguage string
	// Validators, when not zero, make the request conditional: a 304
	// answer is then a Response with NotModified set.
	Validators Validators
}

// Response is a successful answer.
type Response struct {
	// NotModified is set for a 304 answer to a conditional request; the
	// other fields are then empty.
	NotModified bool
	// Body is UTF-8 for HTML, as sent for feeds.
	Body        []byte
	ContentType string
	// Validators are the answer's ETag and Last-Modified, for the next
	// conditional request.
	Validators Validators
	// FinalURL is the URL that answered, after redirects (the request's
	// URL when there was none).
	FinalURL string
}

// Client fetches politely. It is safe for concurrent use.
type Client struct {
	client  *http.Client
	maxBody int64
	sem     chan struct{}
	hosts   *hostSlots
	ua      string
	log     *slog.Logger
	now     func() time.Time
	backoff *backoffs
}

// New returns a Client.
func New(cfg Config) *Client {
	c := &Client{
		client:  cfg.HTTPClient,
		maxBody: cfg.MaxBodyBytes,
		ua:      cfg.UserAgent,
		log:     cfg.Logger,
		now:     cfg.Now,
	}
	if c.client == nil {
		c.client = defaultClient()
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	c.sem = make(chan struct{}, n)
	perHost := cfg.MaxPerHost
	if perHost <= 0 {
		perHost = DefaultMaxPerHost
	}
	c.hosts = newHostSlots(perHost)
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	base := cfg.BackoffBase
	if base <= 0 {
		base = DefaultBackoffBase
	}
	c.backoff = newBackoffs(base, c.now)
	return c
}

// MaxBodyBytes returns the cap on a body.
func (c *Client) MaxBodyBytes() int64 { return c.maxBody }

// HeldUntil reports whether requests to rawURL are held back after an
// error answer (of the URL itself or, for 429 and 502-504, of its host),
// and until when.
func (c *Client) HeldUntil(rawURL string) (time.Time, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}, false
	}
	return c.backoff.active(rawURL, "host:"+u.Host)
}

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
				return errors.New("fetch: too many redirects")
			}
			return nil
		},
	}
}

// Get fetches a URL politely: browser-like headers, a conditional GET when
// the request has validators, at most MaxConcurrent requests at once, a
// capped body, the status and content type checked, HTML decoded to UTF-8.
// Requests to one host wait for each other (Config.MaxPerHost).
// After 403, 429 or 5xx the URL (for 429 and 502-504 the whole host) is
// left alone for a jittered, growing delay; calls in that window fail with
// ErrBackoff without a request.
//
// Get fails with a *StatusError for any other status than 200 (and 304 to
// a conditional request), ErrTooLarge, ErrContentType, ErrBackoff, or the
// transport's error; news.ErrInvalid for a URL that does not parse.
func (c *Client) Get(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch: bad URL %q: %w", r.URL, news.ErrInvalid)
	}
	hostKey := "host:" + u.Host
	if until, ok := c.backoff.active(r.URL, hostKey); ok {
		return nil, fmt.Errorf("fetch: not fetching %s until %s: %w", r.URL, until.Format(time.RFC3339), ErrBackoff)
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("fetch: unable to fetch %s: %w", r.URL, ctx.Err())
	}
	defer func() { <-c.sem }()
	if err := c.hosts.acquire(ctx, u.Host); err != nil {
		return nil, fmt.Errorf("fetch: unable to fetch %s: %w", r.URL, err)
	}
	defer c.hosts.release(u.Host)

	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	switch code := resp.StatusCode; {
	case code == http.StatusNotModified && !r.Validators.IsZero():
		c.backoff.clear(r.URL, hostKey)
		return &Response{NotModified: true}, nil
	case code == http.StatusOK:
	case code == http.StatusForbidden || code == http.StatusTooManyRequests || code >= 500:
		key := r.URL
		if code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout {
			key = hostKey
		}
		until := c.backoff.set(key, retryAfter(resp.Header.Get("Retry-After"), c.now()))
		c.log.Warn("The site refused a request; backing off.", slog.String("url", r.URL),
			slog.Int("status", code), slog.Time("retry_at", until))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: r.URL, Code: code}
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: r.URL, Code: code}
	}

	out, err := c.read(resp, r)
	if err != nil {
		return nil, err
	}
	c.backoff.clear(r.URL, hostKey)
	return out, nil
}

// do sends the request with the headers a browser would.
func (c *Client) do(ctx context.Context, r Request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: unable to build a request for %s: %w", r.URL, err)
	}
	req.Header.Set("User-Agent", c.ua)
	if r.Kind == Feed {
		req.Header.Set("Accept", "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	} else {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}
	if r.AcceptLanguage != "" {
		req.Header.Set("Accept-Language", r.AcceptLanguage)
	}
	if r.Validators.ETag != "" {
		req.Header.Set("If-None-Match", r.Validators.ETag)
	}
	if r.Validators.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.Validators.LastModified)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: unable to fetch %s: %w", r.URL, err)
	}
	return resp, nil
}

// read reads a 200 answer's body within the cap and checks its type.
func (c *Client) read(resp *http.Response, r Request) (*Response, error) {
	ct := resp.Header.Get("Content-Type")
	ctErr := checkContentType(ct, r.Kind)
	if ctErr != nil && r.Kind == HTML {
		return nil, fmt.Errorf("fetch: %s: %w", r.URL, ctErr)
	}
	if resp.ContentLength > c.maxBody {
		return nil, fmt.Errorf("fetch: %s announces %d bytes, more than %d: %w", r.URL, resp.ContentLength, c.maxBody, ErrTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch: unable to read %s: %w", r.URL, err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, fmt.Errorf("fetch: %s is larger than %d bytes: %w", r.URL, c.maxBody, ErrTooLarge)
	}
	if ctErr != nil && !looksLikeXML(body) {
		// Some servers label feeds text/html; the body decides.
		return nil, fmt.Errorf("fetch: %s: %w", r.URL, ctErr)
	}
	if ct == "" && !(r.Kind == Feed && looksLikeXML(body)) {
		ct = http.DetectContentType(body)
		if err := checkContentType(ct, r.Kind); err != nil {
			return nil, fmt.Errorf("fetch: %s: %w", r.URL, err)
		}
	}
	if r.Kind == HTML {
		body, err = DecodeHTML(body, ct)
		if err != nil {
			return nil, fmt.Errorf("fetch: unable to decode %s: %w", r.URL, err)
		}
	}
	final := r.URL
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	return &Response{
		Body:        body,
		ContentType: ct,
		Validators:  Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")},
		FinalURL:    final,
	}, nil
}

// DecodeHTML converts a page to UTF-8 from the charset named by the
// Content-Type, a BOM or a meta tag. When none of them names a charset it
// can read (no declaration, "text/html; utf-8" without "charset=", an
// unknown label) and the bytes are valid UTF-8, the page is read as UTF-8:
// the HTML standard's windows-1252 default would garble every Cyrillic
// letter. A page that declares windows-1251 is decoded from it.
func DecodeHTML(body []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(body[:min(len(body), 1024)], contentType)
	if name == "utf-8" {
		return body, nil
	}
	if !certain && !declaresCharset(body[:min(len(body), 1024)]) && utf8.Valid(body) {
		return body, nil
	}
	return io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body)))
}

// checkContentType accepts HTML for pages and XML-ish or text types for
// feeds; an empty type is sniffed by the caller.
func checkContentType(ct string, k Kind) error {
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrContentType, ct)
	}
	switch k {
	case HTML:
		if mt == "text/html" || mt == "application/xhtml+xml" {
			return nil
		}
	case Feed:
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
