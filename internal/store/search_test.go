package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

func TestSearchWords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Зеленський: «Ми вистоїмо!»", "зеленський ми вистоїмо"},
		{"Йолка, ЁЛКА и ёж", "йолка елка и еж"},
		{"NATO's summit — U.S. and ... Kyiv's", "nato's summit u.s and kyiv's"},
		{"Зеленський зеленський", "зеленський"},
		{"м’яч м'яч", "м'яч"},
	} {
		got := fmt.Sprint(store.SearchWords(tc.in))
		if want := fmt.Sprint(strings.Fields(tc.want)); got != want {
			t.Errorf("SearchWords(%q) = %s, want %s", tc.in, got, want)
		}
	}
}

func searchIDs(t *testing.T, st *store.Store, ed news.Lang, q string, limit int) []int64 {
	t.Helper()
	arts, err := st.Search(context.Background(), ed, q, limit)
	if err != nil {
		t.Fatalf("Search(%s, %q): %v", ed, q, err)
	}
	ids := []int64{}
	for _, a := range arts {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		clock := &fakeClock{t: epoch}
		st := newStore(rdb, store.Options{Now: clock.Now, ArticleTTL: 48 * time.Hour})
		save := func(ed news.Lang, id int64, headline, lead string, tags ...string) {
			t.Helper()
			a := article(ed, id, tags...)
			a.Headline, a.Lead = headline, lead
			if err := st.SaveArticle(ctx, a); err != nil {
				t.Fatalf("SaveArticle(%d): %v", id, err)
			}
		}
		save(news.Ukrainian, 10, "Зеленський зустрівся з генсеком НАТО", "Розмова тривала годину.", "nato=НАТО")
		save(news.Ukrainian, 11, "Уряд ухвалив бюджет", "Зеленському передали закон.", "ekonomika=Економіка")
		save(news.Ukrainian, 12, "Бюджет на 2027 рік", "Депутати сперечались.", "ekonomika=Економіка")
		save(news.Russian, 20, "Зеленский встретился с генсеком НАТО", "Разговор длился час.")
		save(news.English, 30, "Zelensky meets the NATO chief", "The talks lasted an hour.", "war=War")
		save(news.English, 31, "Senate passes the budget", "Donato Rossi abstained.")

		for _, tc := range []struct {
			ed    news.Lang
			q     string
			limit int
			want  []int64
		}{
			{news.Ukrainian, "зеленськ", 10, []int64{11, 10}},         // word start, newest first
			{news.Ukrainian, "ЗЕЛЕНСЬКИЙ нато", 10, []int64{10}},      // every word, folded
			{news.Ukrainian, "бюджет", 1, []int64{12}},                // limit
			{news.Ukrainian, "економіка бюджет", 10, []int64{12, 11}}, // tag names count
			{news.Ukrainian, "ленськ", 10, []int64{}},                 // never inside a word
			{news.Ukrainian, "бюджет генсек", 10, []int64{}},          // not all words
			{news.Ukrainian, "  !!! ", 10, []int64{}},                 // no words
			{news.Russian, "зеленский", 10, []int64{20}},
			{news.Russian, "зеленськ", 10, []int64{}}, // editions apart
			{news.English, "nato", 10, []int64{30}},   // not "Donato"
			{news.English, "hour talk", 10, []int64{30}},
			{news.English, "war", 10, []int64{30}},
		} {
			if diff := cmp.Diff(tc.want, searchIDs(t, st, tc.ed, tc.q, tc.limit)); diff != "" {
				t.Errorf("Search(%s, %q) (-want +got):\n%s", tc.ed, tc.q, diff)
			}
		}

		// A story saved again with another headline is found by its new
		// words only.
		save(news.Ukrainian, 10, "Прем'єр зустрівся з генсеком", "Розмова тривала годину.")
		if diff := cmp.Diff([]int64{11}, searchIDs(t, st, news.Ukrainian, "зеленськ", 10)); diff != "" {
			t.Errorf("after re-saving (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{10}, searchIDs(t, st, news.Ukrainian, "прем'єр", 10)); diff != "" {
			t.Errorf("new words after re-saving (-want +got):\n%s", diff)
		}

		// After ArticleTTL the next save drops the old stories from the
		// index, and their words from the dictionary.
		clock.t = epoch.Add(49 * time.Hour)
		save(news.Ukrainian, 13, "Нова новина", "")
		if diff := cmp.Diff([]int64{}, searchIDs(t, st, news.Ukrainian, "бюджет", 10)); diff != "" {
			t.Errorf("after ArticleTTL (-want +got):\n%s", diff)
		}
		dict, err := rdb.ZRange(ctx, st.Prefix()+"search:{uk}:dict", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"нова", "новина"}, dict); diff != "" {
			t.Errorf("dictionary after ArticleTTL (-want +got):\n%s", diff)
		}
		if n := rdb.HLen(ctx, st.Prefix()+"search:{uk}:doc").Val(); n != 1 {
			t.Errorf("indexed uk stories = %d, want 1", n)
		}
		if _, err := st.Search(ctx, news.Lang("xx"), "a", 10); err == nil {
			t.Error("Search in an unknown edition gave no error")
		}
	})
}
