package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestMarkSeen(t *testing.T) {
	// Each step runs against the state the previous steps left.
	steps := []struct {
		name      string
		ed        news.Lang
		ids       []int64
		wantFresh []int64
	}{
		{"first batch is fresh", news.Ukrainian, []int64{100, 101, 102}, []int64{100, 101, 102}},
		{"seen IDs are not fresh, duplicates count once", news.Ukrainian, []int64{101, 103, 103, 104}, []int64{103, 104}},
		{"editions are independent", news.English, []int64{101, 103}, []int64{101, 103}},
		// The window is 5: 50 is fresh (nothing was dropped yet) but, being
		// the lowest of six, is dropped at once.
		{"lower IDs are fresh while nothing was dropped", news.Ukrainian, []int64{50}, []int64{50}},
		{"a new ID beyond the window drops the lowest", news.Ukrainian, []int64{110}, []int64{110}},
		// Kept: 101 102 103 104 110.
		{"dropped IDs count as seen", news.Ukrainian, []int64{100, 50}, nil},
		{"unknown IDs lower than the lowest kept count as seen", news.Ukrainian, []int64{99, 60}, nil},
		{"unknown IDs within the window are fresh", news.Ukrainian, []int64{105}, []int64{105}},
		{"input order is kept", news.Ukrainian, []int64{130, 120, 125}, []int64{130, 120, 125}},
		{"empty batch", news.Ukrainian, nil, nil},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{SeenPerEdition: 5})
		for _, s := range steps {
			got, err := st.MarkSeen(ctx, s.ed, s.ids)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if diff := cmp.Diff(s.wantFresh, got); diff != "" {
				t.Errorf("%s: fresh IDs (-want +got):\n%s", s.name, diff)
			}
		}
		kept, err := rdb.ZRange(ctx, st.Prefix()+"seen:{uk}", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"105", "110", "120", "125", "130"}, kept); diff != "" {
			t.Errorf("seen IDs kept (-want +got):\n%s", diff)
		}
		for _, bad := range [][]int64{{0}, {5, -1}} {
			if _, err := st.MarkSeen(ctx, news.Ukrainian, bad); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("MarkSeen(%v): err = %v, want ErrInvalid", bad, err)
			}
		}
		if _, err := st.MarkSeen(ctx, "xx", []int64{1}); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("MarkSeen in edition xx: err = %v, want ErrInvalid", err)
		}
	})
}

func TestInitialized(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		for _, ed := range news.Langs {
			if ok, err := st.Initialized(ctx, ed); err != nil || ok {
				t.Fatalf("Initialized(%s) before = %v, %v", ed, ok, err)
			}
		}
		if err := st.SetInitialized(ctx, news.Russian); err != nil {
			t.Fatal(err)
		}
		got := map[news.Lang]bool{}
		for _, ed := range news.Langs {
			ok, err := st.Initialized(ctx, ed)
			if err != nil {
				t.Fatal(err)
			}
			got[ed] = ok
		}
		want := map[news.Lang]bool{news.Ukrainian: false, news.Russian: true, news.English: false}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Initialized (-want +got):\n%s", diff)
		}
	})
}

// tagCounts reads TopTags as slug → count.
func tagCounts(t *testing.T, st *store.Store, ed news.Lang) map[string]int64 {
	t.Helper()
	tags, total, err := st.TopTags(context.Background(), ed, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(tags) {
		t.Errorf("TopTags total = %d, but %d tags", total, len(tags))
	}
	m := map[string]int64{}
	for _, tc := range tags {
		m[tc.Slug] = tc.Count
	}
	return m
}

func TestSaveArticleWindowAndCounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{RecentPerEdition: 3, ArticleTTL: time.Hour})
		save := func(a *news.Article) {
			t.Helper()
			if err := st.SaveArticle(ctx, a); err != nil {
				t.Fatalf("SaveArticle(%d): %v", a.ID, err)
			}
		}
		save(article(news.Ukrainian, 10, "sud", "viyna"))
		save(article(news.Ukrainian, 11, "sud"))
		save(article(news.Ukrainian, 12, "viyna", "nato"))
		if diff := cmp.Diff(map[string]int64{"sud": 2, "viyna": 2, "nato": 1}, tagCounts(t, st, news.Ukrainian)); diff != "" {
			t.Errorf("counts with 3 articles (-want +got):\n%s", diff)
		}
		// Saving again is idempotent.
		save(article(news.Ukrainian, 12, "viyna", "nato"))
		save(article(news.Ukrainian, 12, "viyna", "nato", "viyna"))
		if diff := cmp.Diff(map[string]int64{"sud": 2, "viyna": 2, "nato": 1}, tagCounts(t, st, news.Ukrainian)); diff != "" {
			t.Errorf("counts after saving twice (-want +got):\n%s", diff)
		}
		// A fourth article pushes 10 out: its tags are decremented.
		save(article(news.Ukrainian, 13, "nato"))
		if diff := cmp.Diff(map[string]int64{"sud": 1, "viyna": 1, "nato": 2}, tagCounts(t, st, news.Ukrainian)); diff != "" {
			t.Errorf("counts after the window moved (-want +got):\n%s", diff)
		}
		// Re-saving with other tags moves the counts; a tag reaching 0 goes.
		save(article(news.Ukrainian, 11, "ekonomika"))
		if diff := cmp.Diff(map[string]int64{"ekonomika": 1, "viyna": 1, "nato": 2}, tagCounts(t, st, news.Ukrainian)); diff != "" {
			t.Errorf("counts after re-tagging (-want +got):\n%s", diff)
		}
		// An article older than the full window is stored but not counted.
		save(article(news.Ukrainian, 5, "sud"))
		if diff := cmp.Diff(map[string]int64{"ekonomika": 1, "viyna": 1, "nato": 2}, tagCounts(t, st, news.Ukrainian)); diff != "" {
			t.Errorf("counts after an old article (-want +got):\n%s", diff)
		}
		if _, err := st.Article(ctx, news.Ukrainian, 5); err != nil {
			t.Errorf("Article(5): %v", err)
		}
		if got := tagCounts(t, st, news.English); len(got) != 0 {
			t.Errorf("English counts = %v, want none", got)
		}
		// The article JSON expires after ArticleTTL.
		ttl, err := rdb.PTTL(ctx, st.Prefix()+"article:uk:13").Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("article TTL = %v, want about 1h", ttl)
		}
		n, err := rdb.ZCard(ctx, st.Prefix()+"recent:{uk}").Result()
		if err != nil || n != 3 {
			t.Errorf("recent window holds %d (%v), want 3", n, err)
		}
		n, err = rdb.HLen(ctx, st.Prefix()+"recent:{uk}:tags").Result()
		if err != nil || n != 3 {
			t.Errorf("recent tags hash holds %d (%v), want 3", n, err)
		}
	})
}

func TestArticleAndLatest(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{RecentPerEdition: 250})
		for id := int64(1000); id < 1200; id++ {
			a := article(news.English, id, "world")
			if id%50 == 0 {
				a.Tags = append(a.Tags, news.Tag{Slug: "Rare", Name: "  Rare\ttag \x01 "})
			}
			if err := st.SaveArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Article(ctx, news.English, 1050)
		if err != nil {
			t.Fatal(err)
		}
		want := article(news.English, 1050, "world=WORLD", "rare=Rare tag")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Article (-want +got):\n%s", diff)
		}
		if _, err := st.Article(ctx, news.Ukrainian, 1050); !errors.Is(err, news.ErrNotFound) {
			t.Errorf("Article in another edition: err = %v, want ErrNotFound", err)
		}
		ids := func(as []*news.Article) []int64 {
			var out []int64
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		latest, err := st.Latest(ctx, news.English, 3, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1199, 1198, 1197}, ids(latest)); diff != "" {
			t.Errorf("Latest 3 (-want +got):\n%s", diff)
		}
		// The tag filter has to look past the first page of 100.
		rare, err := st.Latest(ctx, news.English, 10, "RARE")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1150, 1100, 1050, 1000}, ids(rare)); diff != "" {
			t.Errorf("Latest with a tag (-want +got):\n%s", diff)
		}
		// An expired article is skipped.
		if err := rdb.Del(ctx, st.Prefix()+"article:en:1199").Err(); err != nil {
			t.Fatal(err)
		}
		latest, err = st.Latest(ctx, news.English, 2, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1198, 1197}, ids(latest)); diff != "" {
			t.Errorf("Latest after expiry (-want +got):\n%s", diff)
		}
		if got, err := st.Latest(ctx, news.Russian, 5, ""); err != nil || len(got) != 0 {
			t.Errorf("Latest of an empty edition = %v, %v", got, err)
		}
		for _, n := range []int{0, -1} {
			if _, err := st.Latest(ctx, news.English, n, ""); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("Latest(n=%d): err = %v, want ErrInvalid", n, err)
			}
		}
		if _, err := st.Latest(ctx, news.English, 1, "a b"); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("Latest with a bad slug: err = %v, want ErrInvalid", err)
		}
	})
}

func TestSaveArticleRejectsHostileInput(t *testing.T) {
	tests := []struct {
		name string
		a    *news.Article
	}{
		{"nil", nil},
		{"zero ID", article(news.Ukrainian, 0)},
		{"negative ID", article(news.Ukrainian, -3)},
		{"unknown edition", article("de", 1)},
		{"slug with a space", article(news.Ukrainian, 1, "two words")},
		{"slug with a colon", article(news.Ukrainian, 1, "a:b")},
		{"empty slug", article(news.Ukrainian, 1, "=Name")},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStore(rdb, store.Options{})
		for _, tt := range tests {
			if err := st.SaveArticle(context.Background(), tt.a); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
			}
		}
		if n := keyCount(t, rdb); n != 0 {
			t.Errorf("rejected articles left %d keys", n)
		}
	})
}
