package fetch

import (
	"bytes"
	"context"
	"regexp"
	"sync"

	"golang.org/x/net/html/charset"
)

// hostSlots lets at most n requests run at once per host.
type hostSlots struct {
	n  int
	mu sync.Mutex
	m  map[string]*hostSlot
}

type hostSlot struct {
	sem   chan struct{}
	users int // callers holding or waiting for a slot; the entry goes at 0
}

func newHostSlots(n int) *hostSlots {
	return &hostSlots{n: n, m: make(map[string]*hostSlot)}
}

// acquire waits for a slot of host, or for ctx to end.
func (h *hostSlots) acquire(ctx context.Context, host string) error {
	h.mu.Lock()
	s := h.m[host]
	if s == nil {
		s = &hostSlot{sem: make(chan struct{}, h.n)}
		h.m[host] = s
	}
	s.users++
	h.mu.Unlock()
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		h.done(host, s)
		return ctx.Err()
	}
}

// release frees the slot acquire took.
func (h *hostSlots) release(host string) {
	h.mu.Lock()
	s := h.m[host]
	h.mu.Unlock()
	<-s.sem
	h.done(host, s)
}

// done drops a caller of s, and s itself when nobody uses it, so that the
// map holds only the hosts being fetched.
func (h *hostSlots) done(host string, s *hostSlot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.users--
	if s.users == 0 {
		delete(h.m, host)
	}
}

// metaCharset finds a charset declared in a meta tag: <meta charset=…> or
// content="…; charset=…".
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)

// declaresCharset reports whether the start of a page declares, in a meta
// tag, a charset that can be read.
func declaresCharset(head []byte) bool {
	m := metaCharset.FindSubmatch(head)
	if m == nil {
		return false
	}
	enc, _ := charset.Lookup(string(bytes.ToLower(m[1])))
	return enc != nil
}
