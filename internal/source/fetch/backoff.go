package fetch

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Backoff schedule after 403, 429 and 5xx: the delay doubles from
// Config.BackoffBase up to backoffMax with each failure in a row and is
// jittered into [d/2, d]; a longer Retry-After (up to retryAfterMax) wins.
const (
	backoffMax    = 30 * time.Minute
	retryAfterMax = 2 * time.Hour
)

// backoffs remembers, by request URL or "host:" + host, who answered 403,
// 429 or 5xx and until when they are left alone.
type backoffs struct {
	base time.Duration
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*backoff
}

type backoff struct {
	failures int
	until    time.Time
}

func newBackoffs(base time.Duration, now func() time.Time) *backoffs {
	return &backoffs{base: base, now: now, keys: make(map[string]*backoff)}
}

// active returns the end of the first backoff among keys that is not over.
func (b *backoffs) active(keys ...string) (time.Time, bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if e := b.keys[k]; e != nil && now.Before(e.until) {
			return e.until, true
		}
	}
	return time.Time{}, false
}

// set records a failure of key and returns when it may be tried again.
func (b *backoffs) set(key string, atLeast time.Duration) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.keys[key]
	if e == nil {
		e = &backoff{}
		b.keys[key] = e
	}
	e.failures++
	d := b.base << min(e.failures-1, 10)
	d = min(d, backoffMax)
	d = d/2 + rand.N(d/2+1)
	d = max(d, atLeast)
	e.until = b.now().Add(d)
	return e.until
}

func (b *backoffs) clear(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.keys, k)
	}
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
