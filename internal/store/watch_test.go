package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestWatchWindow(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		clock := &fakeClock{t: epoch}
		st := newStore(rdb, store.Options{Now: clock.Now, WatchWindow: 24 * time.Hour})
		if err := st.Watch(ctx, news.Ukrainian, 1, "n|a"); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(20 * time.Hour)
		if err := st.Watch(ctx, news.Ukrainian, 2, "n|b"); err != nil {
			t.Fatal(err)
		}
		if err := st.Watch(ctx, news.Ukrainian, 1, "i|a"); err != nil { // keeps its first time
			t.Fatal(err)
		}
		got, err := st.Watched(ctx, news.Ukrainian, []int64{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int64]string{1: "i|a", 2: "n|b"}, got); diff != "" {
			t.Errorf("Watched() mismatch (-want +got):\n%s", diff)
		}
		if got, _ := st.Watched(ctx, news.Russian, []int64{1}); len(got) != 0 {
			t.Errorf("another edition sees %v", got)
		}
		clock.t = clock.t.Add(5 * time.Hour) // 25 h after story 1
		got, err = st.Watched(ctx, news.Ukrainian, []int64{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[int64]string{2: "n|b"}, got); diff != "" {
			t.Errorf("after the window (-want +got):\n%s", diff)
		}
		if n := rdb.HLen(ctx, st.Prefix()+"watch:{uk}").Val(); n != 1 {
			t.Errorf("watch hash holds %d stories, want 1 (the window bounds it)", n)
		}
		if err := st.Watch(ctx, news.Ukrainian, 3, string(make([]byte, 65))); err == nil {
			t.Error("an oversized state was accepted")
		}
	})
}
