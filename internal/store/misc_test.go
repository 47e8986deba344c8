package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

func TestUpdateOffset(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		if n, err := st.UpdateOffset(ctx); err != nil || n != 0 {
			t.Fatalf("UpdateOffset before = %d, %v; want 0", n, err)
		}
		if err := st.SetUpdateOffset(ctx, 734001); err != nil {
			t.Fatal(err)
		}
		if n, err := st.UpdateOffset(ctx); err != nil || n != 734001 {
			t.Errorf("UpdateOffset = %d, %v; want 734001", n, err)
		}
		if err := st.SetUpdateOffset(ctx, -1); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("negative offset: err = %v", err)
		}
	})
}

func TestFirstTimeUpdateAndSetOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{Prefix: "t1"})
		var got []bool
		for _, id := range []int{5, 5, 6, 5} {
			ok, err := st.FirstTimeUpdate(ctx, id, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ok)
		}
		if want := []bool{true, false, true, false}; !equalBools(want, got) {
			t.Errorf("FirstTimeUpdate = %v, want %v", got, want)
		}
		if ttl := rdb.TTL(ctx, "t1:tg:update:5").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("update dedupe TTL = %v, want about 1h", ttl)
		}
		if _, err := st.FirstTimeUpdate(ctx, 7, 0); err != nil {
			t.Fatal(err)
		}
		if ttl := rdb.TTL(ctx, "t1:tg:update:7").Val(); ttl <= 23*time.Hour {
			t.Errorf("default dedupe TTL = %v, want 24h", ttl)
		}

		got = got[:0]
		for range 3 {
			ok, err := st.SetOnce(ctx, "admins:told:redis-down", 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ok)
		}
		if want := []bool{true, false, false}; !equalBools(want, got) {
			t.Errorf("SetOnce = %v, want %v", got, want)
		}
		if ttl := rdb.TTL(ctx, st.Key("admins", "told", "redis-down")).Val(); ttl <= 9*time.Minute {
			t.Errorf("SetOnce TTL = %v, want 10m", ttl)
		}
		for _, bad := range []string{"", "with space", "nl\n", strings.Repeat("k", 201)} {
			if _, err := st.SetOnce(ctx, bad, time.Minute); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("SetOnce(%q): err = %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMeta(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		if v, err := st.Meta(ctx, "poll:uk"); err != nil || v != "" {
			t.Fatalf("Meta before = %q, %v", v, err)
		}
		if err := st.SetMeta(ctx, "poll:uk", "2026-03-01T12:00:00Z"); err != nil {
			t.Fatal(err)
		}
		if v, err := st.Meta(ctx, "poll:uk"); err != nil || v != "2026-03-01T12:00:00Z" {
			t.Errorf("Meta = %q, %v", v, err)
		}
		if err := st.SetMeta(ctx, "bad name", "x"); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("SetMeta with a space: err = %v", err)
		}
	})
}

func TestKeyAndPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		parts  []string
		want   string
	}{
		{"", []string{"queue", "uk"}, "newsbot:queue:uk"},
		{"bot2", []string{"q"}, "bot2:q"},
		{"bot3:", []string{"a", "b", "c"}, "bot3:a:b:c"},
	}
	for _, tt := range tests {
		if got := store.New(nil, store.Options{Prefix: tt.prefix}).Key(tt.parts...); got != tt.want {
			t.Errorf("Key(%q, %v) = %q, want %q", tt.prefix, tt.parts, got, tt.want)
		}
	}
}

func TestOpenAndPing(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb, err := store.Open(ctx, srv.URL()+"?db=3")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{})
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Client() != rdb {
		t.Error("Client() is not the client given to New")
	}
	if err := st.SetMeta(ctx, "x", "y"); err != nil {
		t.Fatal(err)
	}
	// db=3 was selected: database 0 stays empty.
	if n := srv.Client().DBSize(ctx).Val(); n != 0 {
		t.Errorf("database 0 has %d keys, want 0", n)
	}

	_, err = store.Open(ctx, "redis://user:s3cret-pass@127.0.0.1:1/0?dial_timeout=200ms&max_retries=-1")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error should name REDIS_URL and hide the password: %v", err)
	}
	st.Client().Close()
	if err := st.Ping(ctx); err == nil {
		t.Error("Ping on a closed client succeeded")
	}
}
