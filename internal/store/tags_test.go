package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/store"
)

// seedTags saves Ukrainian articles so that each slug is carried by count
// articles and named as given.
func seedTags(t *testing.T, st *store.Store, tags []news.TagCount) {
	t.Helper()
	id := int64(1)
	for _, tc := range tags {
		for range tc.Count {
			if err := st.SaveArticle(context.Background(), &news.Article{
				ID: id, Edition: news.Ukrainian, Headline: "h", Tags: []news.Tag{tc.Tag},
			}); err != nil {
				t.Fatal(err)
			}
			id++
		}
	}
}

func tc(slug, name string, n int64) news.TagCount {
	return news.TagCount{Tag: news.Tag{Slug: slug, Name: name}, Count: n}
}

var ukTags = []news.TagCount{
	tc("zelenskyy", "Зеленський", 5),
	tc("volodymyr-zelenskyy", "Володимир Зеленський", 2),
	tc("zelenyi-kurs", "Зелений курс", 1),
	tc("sud", "Суд", 3),
	tc("verkhovna-rada", "Верховна Рада", 4),
	tc("yes", "ЄС", 4),
	tc("yolka", "Ёлка", 1),
	tc("myaso", "М’ясо", 1),
	tc("nato", "НАТО", 6),
	tc("rada-bezpeky", "Рада безпеки ООН", 1),
	tc("parad", "Парад", 7),
}

func TestFindTags(t *testing.T) {
	tests := []struct {
		query           string
		limit           int
		wantMatches     []news.TagCount
		wantSuggestions []news.TagCount
	}{
		{query: "Зеленський", wantMatches: []news.TagCount{tc("zelenskyy", "Зеленський", 5)}},
		{query: "  ЗЕЛЕНСЬКИЙ ", wantMatches: []news.TagCount{tc("zelenskyy", "Зеленський", 5)}},
		{query: "володимир   зеленський", wantMatches: []news.TagCount{tc("volodymyr-zelenskyy", "Володимир Зеленський", 2)}},
		{query: "єс", wantMatches: []news.TagCount{tc("yes", "ЄС", 4)}},
		{query: "елка", wantMatches: []news.TagCount{tc("yolka", "Ёлка", 1)}},
		{query: "м'ясо", wantMatches: []news.TagCount{tc("myaso", "М’ясо", 1)}},
		{query: "sud", wantMatches: []news.TagCount{tc("sud", "Суд", 3)}},
		{query: "Verkhovna-Rada", wantMatches: []news.TagCount{tc("verkhovna-rada", "Верховна Рада", 4)}},
		{
			// Names and words starting with the query, the most frequent first.
			query: "зелен",
			wantSuggestions: []news.TagCount{
				tc("zelenskyy", "Зеленський", 5),
				tc("volodymyr-zelenskyy", "Володимир Зеленський", 2),
				tc("zelenyi-kurs", "Зелений курс", 1),
			},
		},
		{
			query: "рада",
			wantSuggestions: []news.TagCount{
				tc("verkhovna-rada", "Верховна Рада", 4),
				tc("rada-bezpeky", "Рада безпеки ООН", 1),
			},
		},
		{
			// A typo: edit distance.
			query: "зеленскій",
			wantSuggestions: []news.TagCount{
				tc("zelenskyy", "Зеленський", 5),
				tc("volodymyr-zelenskyy", "Володимир Зеленський", 2),
			},
		},
		{
			// Prefix before substring, whatever the counts.
			query: "ра",
			wantSuggestions: []news.TagCount{
				tc("verkhovna-rada", "Верховна Рада", 4),
				tc("rada-bezpeky", "Рада безпеки ООН", 1),
				tc("parad", "Парад", 7),
			},
		},
		{query: "зелен", limit: 1, wantSuggestions: []news.TagCount{tc("zelenskyy", "Зеленський", 5)}},
		{query: "квантова хромодинаміка"},
	}
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		seedTags(t, st, ukTags)
		for _, tt := range tests {
			matches, suggestions, err := st.FindTags(ctx, news.Ukrainian, tt.query, tt.limit)
			if err != nil {
				t.Fatalf("FindTags(%q): %v", tt.query, err)
			}
			if diff := cmp.Diff(tt.wantMatches, matches); diff != "" {
				t.Errorf("FindTags(%q) matches (-want +got):\n%s", tt.query, diff)
			}
			if diff := cmp.Diff(tt.wantSuggestions, suggestions); diff != "" {
				t.Errorf("FindTags(%q) suggestions (-want +got):\n%s", tt.query, diff)
			}
		}
		// The same names are unknown in another edition.
		m, s, err := st.FindTags(ctx, news.English, "Зеленський", 5)
		if err != nil || len(m)+len(s) != 0 {
			t.Errorf("FindTags in English = %v, %v, %v; want nothing", m, s, err)
		}
		for _, q := range []string{"", "   ", strings.Repeat("я", 121)} {
			if _, _, err := st.FindTags(ctx, news.Ukrainian, q, 5); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("FindTags(%q): err = %v, want ErrInvalid", q, err)
			}
		}
	})
}

func TestFindTagsSeveralMatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := newStore(rdb, store.Options{})
		seedTags(t, st, []news.TagCount{
			tc("sud", "Суд", 1),
			tc("sud-2", "суд", 3),
			tc("sudova-reforma", "Судова реформа", 2),
		})
		matches, suggestions, err := st.FindTags(context.Background(), news.Ukrainian, "Суд", 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]news.TagCount{tc("sud-2", "суд", 3), tc("sud", "Суд", 1)}, matches); diff != "" {
			t.Errorf("matches (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]news.TagCount{tc("sudova-reforma", "Судова реформа", 2)}, suggestions); diff != "" {
			t.Errorf("suggestions (-want +got):\n%s", diff)
		}
	})
}

func TestTopTagsAndTagName(t *testing.T) {
	eachBackend(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		st := newStore(rdb, store.Options{})
		seedTags(t, st, ukTags)
		tags, total, err := st.TopTags(ctx, news.Ukrainian, 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		want := []news.TagCount{
			tc("parad", "Парад", 7),
			tc("nato", "НАТО", 6),
			tc("zelenskyy", "Зеленський", 5),
			tc("verkhovna-rada", "Верховна Рада", 4), // ties by name: В before Є
			tc("yes", "ЄС", 4),
		}
		if diff := cmp.Diff(want, tags); diff != "" {
			t.Errorf("TopTags page 1 (-want +got):\n%s", diff)
		}
		if total != len(ukTags) {
			t.Errorf("total = %d, want %d", total, len(ukTags))
		}
		tags, _, err = st.TopTags(ctx, news.Ukrainian, 7, 5)
		if err != nil {
			t.Fatal(err)
		}
		// Equal counts by name, with Ё sorted as Е.
		want = []news.TagCount{
			tc("yolka", "Ёлка", 1),
			tc("zelenyi-kurs", "Зелений курс", 1),
			tc("myaso", "М’ясо", 1),
			tc("rada-bezpeky", "Рада безпеки ООН", 1),
		}
		if diff := cmp.Diff(want, tags); diff != "" {
			t.Errorf("TopTags last page (-want +got):\n%s", diff)
		}
		if tags, total, err := st.TopTags(ctx, news.Ukrainian, 50, 4); err != nil || len(tags) != 0 || total != len(ukTags) {
			t.Errorf("TopTags past the end = %v, %d, %v", tags, total, err)
		}
		for _, bad := range [][2]int{{-1, 5}, {0, 0}} {
			if _, _, err := st.TopTags(ctx, news.Ukrainian, bad[0], bad[1]); !errors.Is(err, news.ErrInvalid) {
				t.Errorf("TopTags(%d, %d): err = %v, want ErrInvalid", bad[0], bad[1], err)
			}
		}
		name, err := st.TagName(ctx, news.Ukrainian, "SUD")
		if err != nil || name != "Суд" {
			t.Errorf("TagName(sud) = %q, %v", name, err)
		}
		name, err = st.TagName(ctx, news.English, "sud")
		if err != nil || name != "" {
			t.Errorf("TagName in English = %q, %v; want \"\"", name, err)
		}
		if _, err := st.TagName(ctx, news.Ukrainian, "a b"); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("TagName(a b): err = %v, want ErrInvalid", err)
		}
	})
}
