package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newsbot/internal/news"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
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

func TestGetConditional(t *testing.T) {
	var mu sync.Mutex
	var lastIfNoneMatch, lastLang string
	last := func() (string, string) { mu.Lock(); defer mu.Unlock(); return lastIfNoneMatch, lastLang }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIfNoneMatch, lastLang = r.Header.Get("If-None-Match"), r.Header.Get("Accept-Language")
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss></rss>`))
	}))
	defer srv.Close()
	c := New(Config{})
	ctx := context.Background()

	first, err := c.Get(ctx, Request{URL: srv.URL, Kind: Feed, AcceptLanguage: "uk"})
	if _, lang := last(); err != nil || first.NotModified || first.Validators.ETag != `"v1"` || len(first.Body) == 0 || lang != "uk" {
		t.Fatalf("first Get() = %+v, %v (Accept-Language %q)", first, err, lang)
	}
	second, err := c.Get(ctx, Request{URL: srv.URL, Kind: Feed, Validators: first.Validators})
	if inm, _ := last(); err != nil || !second.NotModified || inm != `"v1"` {
		t.Errorf("conditional Get() = %+v, %v (If-None-Match %q); want NotModified", second, err, inm)
	}
}

func TestGetNotModifiedWithoutValidators(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	_, err := New(Config{}).Get(context.Background(), Request{URL: srv.URL})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotModified {
		t.Errorf("Get() error = %v, want a 304 StatusError", err)
	}
}

func TestGetBoundsAndDecodes(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        []byte
		kind        Kind
		want        error
		wantBody    string
	}{
		{"windows-1251 page", "text/html; charset=windows-1251", []byte("<p>\xcf\xf0\xe8\xe2\xb3\xf2</p>"), HTML, nil, "<p>Привіт</p>"},
		{"body over the cap", "text/html", bytes.Repeat([]byte("x"), 101), HTML, ErrTooLarge, ""},
		{"image instead of a page", "image/png", []byte("\x89PNG"), HTML, ErrContentType, ""},
		{"feed labelled HTML", "text/html", []byte("<rss></rss>"), Feed, nil, "<rss></rss>"},
		{"HTML instead of a feed", "text/html", []byte("<html></html>"), Feed, ErrContentType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write(tt.body)
			}))
			defer srv.Close()
			resp, err := New(Config{MaxBodyBytes: 100}).Get(context.Background(), Request{URL: srv.URL, Kind: tt.kind})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get() error = %v, want %v", err, tt.want)
			}
			if err == nil && string(resp.Body) != tt.wantBody {
				t.Errorf("body %q, want %q", resp.Body, tt.wantBody)
			}
		})
	}
}

func TestGetBacksOffPerHost(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	clock := &fakeClock{t: time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)}
	c := New(Config{Now: clock.Now, BackoffBase: time.Second})
	ctx := context.Background()
	if _, err := c.Get(ctx, Request{URL: srv.URL + "/a"}); err == nil {
		t.Fatal("Get() succeeded on 429")
	}
	until, ok := c.HeldUntil(srv.URL + "/b")
	if !ok || until.Sub(clock.Now()) < 120*time.Second {
		t.Errorf("HeldUntil(other URL of the host) = %v, %v; want at least Retry-After away", until, ok)
	}
	clock.Advance(time.Minute)
	if _, err := c.Get(ctx, Request{URL: srv.URL + "/b"}); !errors.Is(err, ErrBackoff) || requests.Load() != 1 {
		t.Errorf("Get() in the window: error %v, requests %d; want ErrBackoff, 1", err, requests.Load())
	}
}

func TestStatusErrorNotFound(t *testing.T) {
	for code, want := range map[int]bool{404: true, 410: true, 403: false} {
		if got := errors.Is(&StatusError{URL: "u", Code: code}, news.ErrNotFound); got != want {
			t.Errorf("StatusError %d is news.ErrNotFound = %v, want %v", code, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"999999", retryAfterMax},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestCache(t *testing.T) {
	var c Cache[int]
	if _, ok := c.Get("u"); ok {
		t.Fatal("empty cache has an entry")
	}
	c.Update("u", func(int) int { return 9 }) // no entry: nothing happens
	if _, ok := c.Get("u"); ok {
		t.Fatal("Update created an entry")
	}
	c.Put("u", CacheEntry[int]{Validators: Validators{ETag: "e"}, Value: 1})
	c.Update("u", func(v int) int { return v + 1 })
	if e, ok := c.Get("u"); !ok || e.Value != 2 || e.Validators.ETag != "e" {
		t.Errorf("Get() = %+v, %v", e, ok)
	}
}
