// Package store keeps newsbot's state in Redis: readers (chats) with their
// subscriptions and the per-edition indexes used for fan-out, the article IDs
// already seen, recent articles with the tags they carry, the Telegram update
// offset, and small flags. With package queue (delivery's state, built by
// the app on Client and Key("delivery")) it is the only package that
// imports go-redis.
//
// Every key is built in keys.go and documented in docs/redis-keys.md.
// Writes that touch more than one key are atomic (WATCH/MULTI or a Lua
// script), so an index never disagrees with the chat it comes from. The store
// works against a real Redis (6.2 or later), a Redis Cluster, a Redis behind
// Sentinel (see Open) and the embedded miniredis server of package embedded.
// Every key that a transaction or a script touches together carries the same
// hash tag, so it lives in one Cluster slot: one chat shard's record and
// indexes, or one edition's windows. Reads across shards (the subscribers of
// a tag, the list of chats) take the union of one set per shard; nothing
// sends a multi-key command across slots, and per-node commands (SCAN) run
// on every master. UpgradeLayout moves the data of the layout before hash
// tags.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for Options.
const (
	DefaultPrefix           = "newsbot:"
	DefaultRecentPerEdition = 500
	DefaultSeenPerEdition   = 20000
	DefaultArticleTTL       = 30 * 24 * time.Hour
)

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// Prefix starts every key, "newsbot:" by default. A ':' is appended
	// when missing.
	Prefix string
	// RecentPerEdition is the number of recent articles kept per edition
	// (for /latest and tag counts), 500 by default.
	RecentPerEdition int
	// SeenPerEdition is the number of seen article IDs kept per edition,
	// 20000 by default. Once older IDs have been dropped, an ID lower than
	// the lowest one kept counts as seen.
	SeenPerEdition int
	// ArticleTTL is how long an article's JSON is kept and the article
	// found by Search after it was last saved, 30 days by default.
	ArticleTTL time.Duration
	// WatchWindow is how long an announced story is watched for promotion
	// and corrections (Watch), DefaultWatchWindow (24h) by default.
	WatchWindow time.Duration
	// Now is the clock, time.Now by default.
	Now func() time.Time
	// Logger receives the rare warnings of the store (corrupt records);
	// slog.Default() by default.
	Logger *slog.Logger
}

// Store is newsbot's state in Redis. It is safe for concurrent use.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
	k    keys
	log  *slog.Logger
}

// New returns a Store using rdb. It does not talk to Redis; call Ping to
// check the connection.
func New(rdb redis.UniversalClient, opts Options) *Store {
	opts.Prefix = normalizePrefix(opts.Prefix)
	if opts.RecentPerEdition <= 0 {
		opts.RecentPerEdition = DefaultRecentPerEdition
	}
	if opts.SeenPerEdition <= 0 {
		opts.SeenPerEdition = DefaultSeenPerEdition
	}
	if opts.ArticleTTL <= 0 {
		opts.ArticleTTL = DefaultArticleTTL
	}
	if opts.WatchWindow <= 0 {
		opts.WatchWindow = DefaultWatchWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Store{rdb: rdb, opts: opts, k: keys{prefix: opts.Prefix}, log: opts.Logger}
}

func normalizePrefix(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	if !strings.HasSuffix(p, ":") {
		p += ":"
	}
	return p
}

// Client returns the Redis client the store uses.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Prefix returns the key prefix in use (always ending with ':').
func (s *Store) Prefix() string { return s.opts.Prefix }

// Ping checks that Redis answers. It changes nothing: the app runs
// UpgradeLayout once at start, after the first successful Ping.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: unable to reach Redis: %w", err)
	}
	return nil
}

// Key returns the prefix followed by parts joined with ':'. The app gives
// Key("delivery") to package queue as its prefix; the parts are not
// validated.
func (s *Store) Key(parts ...string) string {
	return s.opts.Prefix + strings.Join(parts, ":")
}

func (s *Store) now() time.Time { return s.opts.Now() }
