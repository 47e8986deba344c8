package upravda

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/upravdatest"
)

func TestInspectFile(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		src      bool
		edition  news.Lang
		wantID   int64
		wantEd   news.Lang
		wantHead string
	}{
		{"edition from the canonical URL, no source", "extract/testdata/article_news_current.html", false, "", 8030001, news.Ukrainian, "Рада ухвалила закон про тестові сторінки"},
		{"edition from the flag", "extract/testdata/article_pub_current.html", true, news.Ukrainian, 8016000, news.Ukrainian, "Как проверяют парсер: публикация, написанная для тестов"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Source
			if tt.src {
				s, _ = New(Config{})
			}
			a, err := Inspect(context.Background(), s, tt.file, tt.edition)
			if err != nil {
				t.Fatalf("Inspect() error = %v", err)
			}
			if a.ID != tt.wantID || a.Edition != tt.wantEd || a.Headline != tt.wantHead || a.Summary == "" {
				t.Errorf("article = %d %s %q, summary %q", a.ID, a.Edition, a.Headline, a.Summary)
			}
		})
	}
}

func TestInspectWindows1251File(t *testing.T) {
	// A saved page in windows-1251: the charset comes from the meta tag.
	page := "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head><body>" +
		"<div class=\"post post_news\"><h1 class=\"post_news__title\">\xcf\xf0\xe8\xe2\xb3\xf2</h1>" +
		"<div class=\"post_news__date\">\xd7\xe5\xf2\xe2\xe5\xf0, 14 \xf1\xb3\xf7\xed\xff 2016, 09:29</div></div></body></html>"
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Inspect(context.Background(), nil, path, news.Ukrainian)
	if err != nil {
		t.Fatal(err)
	}
	if a.Headline != "Привіт" || a.Published.Format("2006-01-02T15:04-07:00") != "2016-01-14T09:29+02:00" {
		t.Errorf("headline %q, published %v", a.Headline, a.Published)
	}
}

func TestInspectURL(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	u := e.site.ArticleURL(upravdatest.Article{ID: 8030001, Edition: news.Russian, Published: kyivMarch5})
	a, err := Inspect(context.Background(), e.src, u, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []news.Tag{{Slug: "sud", Name: "суд"}}
	if a.Headline != "Первая" || a.Edition != news.Russian || a.URL != u {
		t.Errorf("article = %+v", a)
	}
	if diff := cmp.Diff(want, a.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestInspectErrors(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	ruURL := e.site.ArticleURL(upravdatest.Article{ID: 8030001, Edition: news.Russian, Published: kyivMarch5})
	big := filepath.Join(t.TempDir(), "big.html")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), DefaultMaxBodyBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  *Source
		arg  string
		ed   news.Lang
		want error
	}{
		{"missing file", nil, "extract/testdata/does-not-exist.html", "", os.ErrNotExist},
		{"file too large", nil, big, news.Ukrainian, ErrTooLarge},
		{"not an article", nil, "extract/testdata/not_article.html", "", ErrNoHeadline},
		{"URL without a source", nil, ruURL, "", news.ErrInvalid},
		{"edition flag contradicts the URL", e.src, ruURL, news.English, news.ErrInvalid},
		{"URL of another site", e.src, "https://www.epravda.com.ua/news/2026/03/05/813999/", "", news.ErrInvalid},
		{"404", e.src, e.site.URL() + "/news/2026/03/05/8099999/", "", news.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Inspect(context.Background(), tt.src, tt.arg, tt.ed)
			if !errors.Is(err, tt.want) {
				t.Errorf("Inspect() error = %v, want %v", err, tt.want)
			}
			if a != nil {
				t.Errorf("article returned on error: %+v", a)
			}
		})
	}
}

func TestScrapeOnce(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	ctx := context.Background()

	all, err := ScrapeOnce(ctx, e.src, nil)
	if err != nil {
		t.Fatalf("ScrapeOnce() error = %v", err)
	}
	want := map[news.Lang][]int64{news.Ukrainian: {8030005, 8030001}, news.Russian: {8030001}, news.English: {8030044}}
	got := make(map[news.Lang][]int64)
	for ed, items := range all {
		got[ed] = ids(items)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IDs mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{8030005}, importantIDs(all[news.Ukrainian])); diff != "" {
		t.Errorf("important IDs mismatch (-want +got):\n%s", diff)
	}
	if it := all[news.English][0]; !it.Published.Equal(kyivMarch5.Add(2*time.Hour)) || it.Title != "English only" ||
		it.URL != e.site.URL()+"/eng/news/2026/03/05/8030044/" {
		t.Errorf("English item = %+v", it)
	}

	some, err := ScrapeOnce(ctx, e.src, []news.Lang{news.English, news.Russian})
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 2 || len(some[news.English]) != 1 || some[news.Russian][0].ID != 8030001 {
		t.Errorf("ScrapeOnce(en, ru) = %v", some)
	}
	if _, err := ScrapeOnce(ctx, nil, nil); !errors.Is(err, news.ErrInvalid) {
		t.Errorf("ScrapeOnce(nil source) error = %v, want news.ErrInvalid", err)
	}
}

func TestScrapeOnceReportsFailingEdition(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	e.site.Fail("/eng/rss/view_news/", http.StatusForbidden, -1)
	e.site.Fail("/eng/news/", http.StatusForbidden, -1)
	all, err := ScrapeOnce(context.Background(), e.src, nil)
	if err == nil || !strings.Contains(err.Error(), "edition en") {
		t.Errorf("ScrapeOnce() error = %v, want one naming edition en", err)
	}
	if _, ok := all[news.English]; ok || len(all[news.Ukrainian]) == 0 || all[news.Ukrainian][0].ID != 8030005 {
		t.Errorf("items = %v, want uk and ru without en", all)
	}
}
