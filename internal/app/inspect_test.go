package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/config"
	"newsbot/internal/news"
	"newsbot/internal/source/upravda"
	"newsbot/internal/source/upravda/site"
	"newsbot/internal/source/upravda/upravdatest"
)

// extractTestdata is where the extractor's saved pages are.
const extractTestdata = "../source/upravda/extract/testdata/"

func TestInspectPrintsIndentedJSON(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := runInspect(context.Background(), config.Config{}, log, []string{extractTestdata + "article_news_current.html"}, &out); err != nil {
		t.Fatalf("runInspect() error = %v", err)
	}
	var a news.Article
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if a.ID != 8030001 || a.Edition != news.Ukrainian || a.Headline != "Рада ухвалила закон про тестові сторінки" || a.Summary == "" {
		t.Errorf("article = %d %s %q, summary %q", a.ID, a.Edition, a.Headline, a.Summary)
	}
	if !strings.Contains(out.String(), "\n  \"headline\"") {
		t.Errorf("output not indented:\n%s", out.String())
	}
}

func TestInspectPrintsNothingOnError(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"not an article", []string{extractTestdata + "not_article.html"}, upravda.ErrNoHeadline},
		{"URL of another site", []string{"https://www.epravda.com.ua/news/2026/03/05/813999/"}, news.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runInspect(context.Background(), config.Config{}, slog.New(slog.DiscardHandler), tt.args, &out)
			if !errors.Is(err, tt.want) {
				t.Errorf("runInspect() error = %v, want %v", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("output written on error: %q", out.String())
			}
		})
	}
}

// scrapeSite is a local site with one story in each edition and an
// important one in Ukrainian.
func scrapeSite(t *testing.T) *upravdatest.Site {
	t.Helper()
	s := upravdatest.New()
	t.Cleanup(s.Close)
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, site.Kyiv())
	s.Publish(upravdatest.Article{ID: 8030001, Edition: news.Ukrainian, Headline: "Перша", Lead: "Лід першої.",
		Body: []string{"Лід першої."}, Tags: []news.Tag{{Slug: "sud", Name: "суд"}}, Published: at})
	s.Publish(upravdatest.Article{ID: 8030005, Edition: news.Ukrainian, Headline: "Важлива", Lead: "Лід важливої.",
		Body: []string{"Лід важливої."}, Important: true, Published: at.Add(time.Hour)})
	s.Publish(upravdatest.Article{ID: 8030001, Edition: news.Russian, Headline: "Первая", Lead: "Лид первой.",
		Body: []string{"Лид первой."}, Published: at})
	s.Publish(upravdatest.Article{ID: 8030044, Edition: news.English, Headline: "English only", Lead: "An English lead.",
		Body: []string{"An English lead."}, OldMarkup: true, NoJSONLD: true, Published: at.Add(2 * time.Hour)})
	return s
}

func TestScrapePrintsTableAndJSON(t *testing.T) {
	s := scrapeSite(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := config.Config{UpravdaBaseURL: s.URL()}

	var table bytes.Buffer
	if err := runScrape(ctx, cfg, log, []string{"--once"}, &table); err != nil {
		t.Fatalf("runScrape() error = %v", err)
	}
	lines := strings.Split(strings.TrimRight(table.String(), "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "EDITION") {
		t.Fatalf("table:\n%s", table.String())
	}
	wantRows := [][]string{
		{"uk", "8030005", "2026-03-05", "11:00", "!", "Важлива", s.URL() + "/news/2026/03/05/8030005/"},
		{"uk", "8030001", "2026-03-05", "10:00", "Перша", s.URL() + "/news/2026/03/05/8030001/"},
		{"ru", "8030001", "2026-03-05", "10:00", "Первая", s.URL() + "/rus/news/2026/03/05/8030001/"},
		{"en", "8030044", "2026-03-05", "12:00", "English", "only", s.URL() + "/eng/news/2026/03/05/8030044/"},
	}
	var gotRows [][]string
	for _, l := range lines[1:] {
		gotRows = append(gotRows, strings.Fields(l))
	}
	if diff := cmp.Diff(wantRows, gotRows); diff != "" {
		t.Errorf("table rows mismatch (-want +got):\n%s", diff)
	}

	var js bytes.Buffer
	cfg.Editions = []news.Lang{news.English, news.Russian}
	if err := runScrape(ctx, cfg, log, []string{"--once", "--json"}, &js); err != nil {
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

func TestScrapePrintsTheEditionsThatWork(t *testing.T) {
	s := scrapeSite(t)
	s.Fail("/eng/rss/view_news/", http.StatusForbidden, -1)
	s.Fail("/eng/news/", http.StatusForbidden, -1)
	var out bytes.Buffer
	err := runScrape(context.Background(), config.Config{UpravdaBaseURL: s.URL()}, slog.New(slog.DiscardHandler), []string{"--once"}, &out)
	if err == nil || !strings.Contains(err.Error(), "edition en") {
		t.Errorf("runScrape() error = %v, want one naming edition en", err)
	}
	if !strings.Contains(out.String(), "8030005") || strings.Contains(out.String(), "8030044") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 80, "short"},
		{"tab\there", 80, "tab here"},
		{"one two three four five", 12, "one two…"},
		{"абвгдеєжзиіїйклмн", 10, "абвгдеєжз…"},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
