package fetch

import "sync"

// Cache remembers, per URL, the validators of the last answer a caller
// accepted together with what it made of that answer (parsed items, say),
// so that a 304 to the next conditional request can be answered from it.
// A caller stores an entry only once it has accepted the body: an answer
// it could not use is fetched again in full. It is safe for concurrent use;
// the zero value is ready.
type Cache[T any] struct {
	mu      sync.Mutex
	entries map[string]CacheEntry[T]
}

// CacheEntry is what a Cache holds for one URL.
type CacheEntry[T any] struct {
	Validators Validators
	Value      T
}

// Get returns the entry of a URL.
func (c *Cache[T]) Get(url string) (CacheEntry[T], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[url]
	return e, ok
}

// Put stores the entry of a URL.
func (c *Cache[T]) Put(url string, e CacheEntry[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]CacheEntry[T])
	}
	c.entries[url] = e
}

// Update replaces the value of a URL's entry with f's result, keeping its
// validators; it does nothing when the URL has no entry.
func (c *Cache[T]) Update(url string, f func(T) T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[url]; ok {
		e.Value = f(e.Value)
		c.entries[url] = e
	}
}
