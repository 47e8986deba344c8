package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

func TestUpgradeLayoutMovesOldKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		if _, ok := rdb.(*redis.ClusterClient); ok {
			t.Skip("the layout before hash tags never ran on a Cluster")
		}
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		p := st.Prefix()
		// What a store of the previous layout held.
		old := map[string]string{
			"chat:7":     `{"lang":"uk","tags":["war"],"keywords":["nato"],"breaking":true,"created":"2025-01-02T03:04:05Z"}`,
			"chat:-1001": `{"lang":"en","group":true,"inactive":true}`,
			"chat:9":     `{not json`,
		}
		pipe := rdb.TxPipeline()
		for k, v := range old {
			pipe.Set(ctx, p+k, v, 0)
		}
		pipe.SAdd(ctx, p+"chats", 7, -1001, 9)
		pipe.SAdd(ctx, p+"chats:inactive", -1001)
		pipe.SAdd(ctx, p+"chats:lang:uk", 7)
		pipe.SAdd(ctx, p+"sub:uk:tag:war", 7)
		pipe.SAdd(ctx, p+"sub:uk:kw:nato", 7)
		pipe.SAdd(ctx, p+"sub:uk:breaking", 7)
		pipe.ZAdd(ctx, p+"sub:uk:keywords", redis.Z{Score: 1, Member: "nato"})
		pipe.ZAdd(ctx, p+"seen:uk", redis.Z{Score: 50, Member: 50}, redis.Z{Score: 60, Member: 60})
		pipe.Set(ctx, p+"seen:uk:floor", 50, 0)
		pipe.Set(ctx, p+"article:uk:60", `{"id":60,"edition":"uk"}`, time.Hour)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpgradeLayout(ctx); err != nil { // as the app does at start
			t.Fatalf("UpgradeLayout: %v", err)
		}
		got, err := st.Chat(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		want := news.Chat{ID: 7, Lang: news.Ukrainian, Tags: []string{"war"}, Keywords: []string{"nato"}, Breaking: true,
			Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("moved chat (-want +got):\n%s", diff)
		}
		if c, err := st.Chat(ctx, -1001); err != nil || !c.Inactive {
			t.Errorf("moved inactive chat = %+v, %v", c, err)
		}
		if _, err := st.Chat(ctx, 9); err == nil {
			t.Error("the unreadable chat became readable")
		}
		if ids, _ := st.ChatIDs(ctx); !slices.Equal(ids, []int64{-1001, 7, 9}) {
			t.Errorf("ChatIDs = %v, want [-1001 7 9]", ids)
		}
		if subs, _ := st.Subscribers(ctx, news.Ukrainian, "war"); !slices.Equal(subs, []int64{7}) {
			t.Errorf("Subscribers(war) = %v, want [7]", subs)
		}
		if fresh, _ := st.Unseen(ctx, news.Ukrainian, []int64{40, 50, 70}); !slices.Equal(fresh, []int64{70}) {
			t.Errorf("Unseen after the move = %v, want [70] (seen window and floor kept)", fresh)
		}
		if a, err := st.Article(ctx, news.Ukrainian, 60); err != nil || a.ID != 60 {
			t.Errorf("article after the move = %v, %v", a, err)
		}
		for _, k := range allKeys(t, rdb, "*") {
			if !strings.Contains(k, "{") && !strings.HasPrefix(k, p+"article:") {
				t.Errorf("key of the old layout left: %s", k)
			}
		}
		// Once moved, the chat is the store's: a second run changes nothing.
		if _, err := st.UpdateChat(ctx, 7, func(c *news.Chat, _ bool) error { c.Tags = nil; return nil }); err != nil {
			t.Fatal(err)
		}
		if n, err := st.UpgradeLayout(ctx); err != nil || n != 0 {
			t.Errorf("UpgradeLayout again = %d, %v; want 0, nil", n, err)
		}
		if c, _ := st.Chat(ctx, 7); len(c.Tags) != 0 {
			t.Errorf("a second upgrade changed the chat: %+v", c)
		}
		// The unreadable record moved as it was: UpdateChat replaces it.
		if _, err := st.UpdateChat(ctx, 9, func(c *news.Chat, _ bool) error { c.Lang = news.English; return nil }); err != nil {
			t.Fatal(err)
		}
		checkIndexes(t, st, rdb)
	})
}

func TestStoreThroughSentinelSurvivesFailover(t *testing.T) {
	s := redistest.StartSentinel(t, redistest.WithMinReplicasToWrite(0)) // writes at once after the failover
	ctx := context.Background()
	rdb, err := store.Open(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	st := newStore(rdb, store.Options{})
	setChat(t, st, news.Chat{ID: 11, Lang: news.Ukrainian, Tags: []string{"war"}})
	if err := rdb.Do(ctx, "WAIT", 1, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	from, to := s.Failover(t)
	if from == to {
		t.Fatal("no failover")
	}
	// The client finds the new master; commands may fail while it switches.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err = st.UpdateChat(ctx, 12, func(c *news.Chat, _ bool) error { c.Lang = news.English; c.Tags = []string{"war"}; return nil })
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("UpdateChat after the failover: %v", err)
	}
	if subs, err := st.Subscribers(ctx, news.Ukrainian, "war"); err != nil || !slices.Equal(subs, []int64{11}) {
		t.Errorf("Subscribers after the failover = %v, %v; want [11]", subs, err)
	}
	if ids, err := st.ChatIDs(ctx); err != nil || !slices.Equal(ids, []int64{11, 12}) {
		t.Errorf("ChatIDs after the failover = %v, %v", ids, err)
	}
	checkIndexes(t, st, rdb)
}

func TestOpenCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx := context.Background()
	rdb, err := store.Open(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("Open(%s) gave a %T, want a cluster client", c.URL(), rdb)
	}
	// A promoted replica is found within a second, not go-redis's 60 s.
	if iv := cc.Options().ClusterStateReloadInterval; iv <= 0 || iv > time.Second {
		t.Errorf("ClusterStateReloadInterval = %v, want ≤ 1s", iv)
	}
	st := newStore(rdb, store.Options{})
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Chats of every shard: their keys spread over the three masters.
	for id := int64(1); id <= 48; id++ {
		setChat(t, st, news.Chat{ID: id, Lang: news.Ukrainian, Tags: []string{"war"}})
	}
	perMaster := map[string]int64{}
	eachMaster(t, rdb, func(m redis.Cmdable) {
		perMaster[m.(*redis.Client).Options().Addr] = m.DBSize(ctx).Val()
	})
	for addr, n := range perMaster {
		if n == 0 {
			t.Errorf("master %s holds no key: %v", addr, perMaster)
		}
	}
	if subs, err := st.Subscribers(ctx, news.Ukrainian, "war"); err != nil || len(subs) != 48 {
		t.Errorf("Subscribers = %d chats, %v; want 48", len(subs), err)
	}
	if _, err := store.Open(ctx, "redis+cluster://user:s3cret@127.0.0.1:1/?dial_timeout=200ms&max_retries=-1"); err == nil {
		t.Error("Open of an unreachable cluster succeeded")
	} else if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open error leaks the password: %v", err)
	}
}

func TestLeasesOnEveryBackend(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		tok, err := st.AcquireLease(ctx, "poller", "a", time.Minute)
		if err != nil || tok != 1 {
			t.Fatalf("AcquireLease(a) = %d, %v; want 1", tok, err)
		}
		if other, err := st.AcquireLease(ctx, "poller", "b", time.Minute); err != nil || other != 0 {
			t.Errorf("AcquireLease(b) while a holds it = %d, %v; want 0", other, err)
		}
		if ok, err := st.RenewLease(ctx, "poller", "a", tok, time.Minute); err != nil || !ok {
			t.Errorf("RenewLease(a) = %v, %v", ok, err)
		}
		if err := st.ReleaseLease(ctx, "poller", "a", tok); err != nil {
			t.Fatal(err)
		}
		if tok2, err := st.AcquireLease(ctx, "poller", "b", time.Minute); err != nil || tok2 != 2 {
			t.Errorf("AcquireLease(b) after the release = %d, %v; want 2", tok2, err)
		}
		if holder, n, err := st.LeaseHolder(ctx, "poller"); err != nil || holder != "b" || n != 2 {
			t.Errorf("LeaseHolder = %q, %d, %v", holder, n, err)
		}
	})
}
