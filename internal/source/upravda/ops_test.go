package upravda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{"edition from the canonical URL, no source", "testdata/article_news_current.html", false, "", 8030001, news.Ukrainian, "Рада ухвалила закон про тестові сторінки"},
		{"edition from the flag", "testdata/article_pub_current.html", true, news.Ukrainian, 8016000, news.Ukrainian, "Как проверяют парсер: публикация, написанная для тестов"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Source
			if tt.src {
				s, _ = New(Config{})
			}
			var out bytes.Buffer
			if err := Inspect(context.Background(), s, tt.file, tt.edition, &out); err != nil {
				t.Fatalf("Inspect() error = %v", err)
			}
			var a news.Article
			if err := json.Unmarshal(out.Bytes(), &a); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			if a.ID != tt.wantID || a.Edition != tt.wantEd || a.Headline != tt.wantHead || a.Summary == "" {
				t.Errorf("article = %d %s %q, summary %q", a.ID, a.Edition, a.Headline, a.Summary)
			}
			if !strings.Contains(out.String(), "\n  \"headline\"") {
				t.Errorf("output not indented:\n%s", out.String())
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
	var out bytes.Buffer
	if err := Inspect(context.Background(), nil, path, news.Ukrainian, &out); err != nil {
		t.Fatal(err)
	}
	var a news.Article
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
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
	var out bytes.Buffer
	if err := Inspect(context.Background(), e.src, u, "", &out); err != nil {
		t.Fatal(err)
	}
	var a news.Article
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
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
		{"missing file", nil, "testdata/does-not-exist.html", "", os.ErrNotExist},
		{"file too large", nil, big, news.Ukrainian, ErrTooLarge},
		{"not an article", nil, "testdata/not_article.html", "", ErrNoHeadline},
		{"URL without a source", nil, ruURL, "", news.ErrInvalid},
		{"edition flag contradicts the URL", e.src, ruURL, news.English, news.ErrInvalid},
		{"URL of another site", e.src, "https://www.epravda.com.ua/news/2026/03/05/813999/", "", news.ErrInvalid},
		{"404", e.src, e.site.URL() + "/news/2026/03/05/8099999/", "", news.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Inspect(context.Background(), tt.src, tt.arg, tt.ed, &out)
			if !errors.Is(err, tt.want) {
				t.Errorf("Inspect() error = %v, want %v", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("output written on error: %q", out.String())
			}
		})
	}
}

func TestScrapeOnce(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	ctx := context.Background()

	var table bytes.Buffer
	if err := ScrapeOnce(ctx, e.src, nil, false, &table); err != nil {
		t.Fatalf("ScrapeOnce() error = %v", err)
	}
	lines := strings.Split(strings.TrimRight(table.String(), "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "EDITION") {
		t.Fatalf("table:\n%s", table.String())
	}
	wantRows := [][]string{
		{"uk", "8030005", "2026-03-05", "11:00", "!", "Важлива", e.site.URL() + "/news/2026/03/05/8030005/"},
		{"uk", "8030001", "2026-03-05", "10:00", "Перша", e.site.URL() + "/news/2026/03/05/8030001/"},
		{"ru", "8030001", "2026-03-05", "10:00", "Первая", e.site.URL() + "/rus/news/2026/03/05/8030001/"},
		{"en", "8030044", "2026-03-05", "12:00", "English", "only", e.site.URL() + "/eng/news/2026/03/05/8030044/"},
	}
	var gotRows [][]string
	for _, l := range lines[1:] {
		gotRows = append(gotRows, strings.Fields(l))
	}
	if diff := cmp.Diff(wantRows, gotRows); diff != "" {
		t.Errorf("table rows mismatch (-want +got):\n%s", diff)
	}

	var js bytes.Buffer
	if err := ScrapeOnce(ctx, e.src, []news.Lang{news.English, news.Russian}, true, &js); err != nil {
		t.Fatal(err)
	}
	var got map[news.Lang][]news.ListItem
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, js.String())
	}
	if len(got) != 2 || len(got[news.English]) != 1 || got[news.Russian][0].ID != 8030001 {
		t.Errorf("JSON = %v", got)
	}
}

func TestScrapeOnceReportsFailingEdition(t *testing.T) {
	e := newEnv(t, nil)
	publishSample(e.site)
	e.site.Fail("/eng/rss/view_news/", http.StatusForbidden, -1)
	e.site.Fail("/eng/news/", http.StatusForbidden, -1)
	var out bytes.Buffer
	err := ScrapeOnce(context.Background(), e.src, nil, false, &out)
	if err == nil || !strings.Contains(err.Error(), "edition en") {
		t.Errorf("ScrapeOnce() error = %v, want one naming edition en", err)
	}
	if !strings.Contains(out.String(), "8030005") || strings.Contains(out.String(), "8030044") {
		t.Errorf("table:\n%s", out.String())
	}
}
