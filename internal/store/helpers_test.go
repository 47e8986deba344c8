package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/store/embedded"
)

// backend is a Redis server the store must work with: a real redis-server
// (the production setup with REDIS_URL), a real Redis Cluster and the
// embedded miniredis.
type backend struct {
	name  string
	start func(t testing.TB) redis.UniversalClient
}

var backends = []backend{
	{"redis", func(t testing.TB) redis.UniversalClient {
		return redistest.Start(t).Client()
	}},
	{"cluster", func(t testing.TB) redis.UniversalClient {
		return sharedCluster(t)
	}},
	{"embedded", func(t testing.TB) redis.UniversalClient {
		srv, err := embedded.Start(context.Background(), embedded.Options{DataDir: t.TempDir(), SaveEvery: time.Hour, Logger: quiet})
		if err != nil {
			t.Fatalf("embedded.Start: %v", err)
		}
		t.Cleanup(func() { srv.Close() })
		rdb, err := store.Open(context.Background(), srv.URL())
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}},
}

// The test binary shares one Redis Cluster (started by TestMain when
// redis-server can run one): a test takes it for itself, emptied.
var shared *redistest.SharedCluster

func TestMain(m *testing.M) {
	var err error
	if shared, err = redistest.StartShared(); err != nil {
		fmt.Fprintln(os.Stderr, "store tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

// sharedCluster hands the cluster, emptied, to one test at a time (until
// the test ends), or skips the test when there is no cluster.
func sharedCluster(t testing.TB) redis.UniversalClient { return shared.Take(t) }

// eachMaster runs fn on every master of a cluster client, or on rdb.
func eachMaster(t testing.TB, rdb redis.UniversalClient, fn func(c redis.Cmdable)) {
	t.Helper()
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		fn(rdb)
		return
	}
	var mu sync.Mutex
	err := cc.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		fn(m)
		return nil
	})
	if err != nil {
		t.Fatalf("ForEachMaster: %v", err)
	}
}

// allKeys is KEYS pattern on every master.
func allKeys(t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	var out []string
	eachMaster(t, rdb, func(c redis.Cmdable) {
		keys, err := c.Keys(context.Background(), pattern).Result()
		if err != nil {
			t.Errorf("KEYS %s: %v", pattern, err)
		}
		out = append(out, keys...)
	})
	slices.Sort(out)
	return out
}

// flushAll empties every master.
func flushAll(t testing.TB, rdb redis.UniversalClient) {
	t.Helper()
	eachMaster(t, rdb, func(c redis.Cmdable) {
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHDB: %v", err)
		}
	})
}

// shard is a chat's shard, computed here independently of the store: the
// absolute value of its ID modulo 16.
func shard(id int64) string {
	if id < 0 {
		id = -id
	}
	return fmt.Sprintf("{c%d}", id%16)
}

// eachBackend runs fn once per backend, each with a fresh empty server.
func eachBackend(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.start(t))
		})
	}
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

// quiet drops the store's warnings, which some tests provoke on purpose.
var quiet = slog.New(slog.DiscardHandler)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newStore(rdb redis.UniversalClient, opts store.Options) *store.Store {
	if opts.Now == nil {
		opts.Now = (&fakeClock{t: epoch}).Now
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	return store.New(rdb, opts)
}

// setChat replaces a chat's settings with c.
func setChat(t *testing.T, st *store.Store, c news.Chat) news.Chat {
	t.Helper()
	got, err := st.UpdateChat(context.Background(), c.ID, func(dst *news.Chat, _ bool) error {
		*dst = c
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateChat(%d): %v", c.ID, err)
	}
	return got
}

// wantIndexes computes, independently of the store's code, what the index
// keys must hold for these chats: set keys → sorted members, the keyword
// counters → "keyword=count".
func wantIndexes(prefix string, chats []news.Chat) map[string][]string {
	m := map[string][]string{}
	add := func(key, member string) { m[prefix+key] = append(m[prefix+key], member) }
	kwCount := map[string]map[string]int{}
	for _, c := range chats {
		id, sh := fmt.Sprint(c.ID), shard(c.ID)
		add("chats:"+sh, id)
		if c.Inactive {
			add("chats:"+sh+":inactive", id)
			continue
		}
		ed := sh + ":" + string(c.Lang)
		add("chats:"+sh+":lang:"+string(c.Lang), id)
		if c.Breaking {
			add("sub:"+ed+":breaking", id)
		}
		for _, tag := range c.Tags {
			add("sub:"+ed+":tag:"+tag, id)
		}
		for _, kw := range c.Keywords {
			add("sub:"+ed+":kw:"+kw, id)
			if kwCount[ed] == nil {
				kwCount[ed] = map[string]int{}
			}
			kwCount[ed][kw]++
		}
	}
	for ed, counts := range kwCount {
		for kw, n := range counts {
			add("sub:"+ed+":keywords", fmt.Sprintf("%s=%d", kw, n))
		}
	}
	for k := range m {
		slices.Sort(m[k])
	}
	return m
}

// gotIndexes reads every index key (chats*, sub:*) from Redis.
func gotIndexes(t *testing.T, rdb redis.UniversalClient, prefix string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	m := map[string][]string{}
	for _, pattern := range []string{prefix + "chats*", prefix + "sub:*"} {
		for _, k := range allKeys(t, rdb, pattern) {
			switch typ := rdb.Type(ctx, k).Val(); typ {
			case "set":
				m[k] = rdb.SMembers(ctx, k).Val()
			case "zset":
				for _, z := range rdb.ZRangeWithScores(ctx, k, 0, -1).Val() {
					m[k] = append(m[k], fmt.Sprintf("%s=%v", z.Member, z.Score))
				}
			default:
				t.Fatalf("index key %s has type %s", k, typ)
			}
			slices.Sort(m[k])
		}
	}
	return m
}

// checkIndexes fails the test when the index keys disagree with the chats
// stored in Redis.
func checkIndexes(t *testing.T, st *store.Store, rdb redis.UniversalClient) {
	t.Helper()
	b, err := st.Export(context.Background())
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	want := wantIndexes(st.Prefix(), b.Chats)
	if diff := cmp.Diff(want, gotIndexes(t, rdb, st.Prefix())); diff != "" {
		t.Errorf("index keys disagree with the chats (-want +got):\n%s", diff)
	}
}

// keyCount is DBSIZE.
func keyCount(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	n, err := rdb.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatalf("DBSIZE: %v", err)
	}
	return n
}

func article(ed news.Lang, id int64, tags ...string) *news.Article {
	a := &news.Article{
		ID: id, Edition: ed,
		URL:      fmt.Sprintf("https://www.pravda.com.ua/news/2026/03/01/%d/", id),
		Headline: fmt.Sprintf("Headline %d", id),
	}
	for _, tg := range tags {
		slug, name, _ := strings.Cut(tg, "=")
		if name == "" {
			name = strings.ToUpper(slug)
		}
		a.Tags = append(a.Tags, news.Tag{Slug: slug, Name: name})
	}
	return a
}
