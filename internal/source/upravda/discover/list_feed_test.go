package discover

import (
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/markup"
)

func TestListGolden(t *testing.T) {
	tests := []struct {
		file       string
		pageURL    string
		edition    news.Lang
		wantMarkup string
		wantIDs    []int64
		wantImp    []int64
	}{
		{
			file: "list_current.html", pageURL: "https://www.pravda.com.ua/news/", edition: news.Ukrainian,
			wantMarkup: markup.Current,
			wantIDs:    []int64{8030001, 8029998, 8029990, 8029900},
			wantImp:    []int64{8030001, 8029998},
		},
		{
			file: "list_old.html", pageURL: "https://www.pravda.com.ua/rus/news/", edition: news.Russian,
			wantMarkup: markup.Old,
			wantIDs:    []int64{7509999, 7509990},
			wantImp:    []int64{7509999, 7509990},
		},
	}
	d := New(Config{})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := parseList(readTestdata(t, tt.file), tt.pageURL)
			if err != nil {
				t.Fatal(err)
			}
			if res.Markup != tt.wantMarkup {
				t.Errorf("Markup = %q, want %q", res.Markup, tt.wantMarkup)
			}
			items := listItems(res.Entries, d.keepFor(tt.edition))
			var ids, imp []int64
			for _, it := range items {
				ids = append(ids, it.ID)
				if it.Important {
					imp = append(imp, it.ID)
				}
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantImp, imp); diff != "" {
				t.Errorf("important IDs mismatch (-want +got):\n%s", diff)
			}
			compareGolden(t, "list_"+string(tt.edition)+"_"+tt.wantMarkup+".json", items)
		})
	}
}

func TestListTitlesAndTimes(t *testing.T) {
	res, err := parseList(readTestdata(t, "list_current.html"), "https://www.pravda.com.ua/news/")
	if err != nil {
		t.Fatal(err)
	}
	d := New(Config{})
	items := listItems(res.Entries, d.keepFor(news.Ukrainian))
	want := []struct {
		title     string
		published time.Time
	}{
		{"Рада ухвалила закон", time.Date(2026, 3, 5, 14, 5, 0, 0, kyiv)},
		{"Відносне посилання з неповною датою", time.Date(2026, 3, 5, 13, 41, 0, 0, kyiv)},
		{"Публікація у списку новин", time.Date(2026, 3, 5, 9, 2, 0, 0, kyiv)},
		{"Без часу", time.Time{}},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d", len(items), len(want))
	}
	for i, w := range want {
		if items[i].Title != w.title || !items[i].Published.Equal(w.published) {
			t.Errorf("item %d = %q at %v, want %q at %v", i, items[i].Title, items[i].Published, w.title, w.published)
		}
	}
	if items[1].URL != "https://www.pravda.com.ua/news/2026/3/5/8029998/" {
		t.Errorf("relative link resolved to %q", items[1].URL)
	}
}

func TestParseFeedFiles(t *testing.T) {
	d := New(Config{})
	tests := []struct {
		file        string
		contentType string
		edition     news.Lang
		wantTTL     time.Duration
		wantTrunc   bool
		wantIDs     []int64
	}{
		{"feed_news.xml", "application/rss+xml; charset=utf-8", news.Ukrainian, time.Hour, false, []int64{8030001, 8029998, 8030001}},
		{"feed_1251.xml", "text/xml", news.Russian, 0, false, []int64{7268200}},
		{"feed_truncated.xml", "application/rss+xml", news.Ukrainian, time.Hour, true, []int64{8030001}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := parseFeed(readTestdata(t, tt.file), tt.contentType)
			if err != nil {
				t.Fatalf("parseFeed() error = %v", err)
			}
			if res.TTL != tt.wantTTL || res.Truncated != tt.wantTrunc {
				t.Errorf("TTL, Truncated = %v, %v; want %v, %v", res.TTL, res.Truncated, tt.wantTTL, tt.wantTrunc)
			}
			items := d.feedItems(res.Entries, tt.edition)
			var ids []int64
			for _, it := range items {
				ids = append(ids, it.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
			compareGolden(t, tt.file+".json", items)
		})
	}
}

func TestParseFeedFields(t *testing.T) {
	res, err := parseFeed(readTestdata(t, "feed_news.xml"), "")
	if err != nil {
		t.Fatal(err)
	}
	d := New(Config{})
	items := d.feedItems(res.Entries, news.Ukrainian)
	want := news.ListItem{
		ID:          8030001,
		Edition:     news.Ukrainian,
		URL:         "https://www.pravda.com.ua/news/2026/03/05/8030001/",
		Title:       "Рада ухвалила закон про тестові сторінки",
		Published:   time.Date(2026, 3, 5, 14, 5, 0, 0, kyiv),
		Description: "Верховна Рада ухвалила закон «про тестові» сторінки.",
		ImageURL:    "https://img.example.org/doc/8030001.jpg",
	}
	if diff := cmp.Diff(want, items[0]); diff != "" {
		t.Errorf("first item mismatch (-want +got):\n%s", diff)
	}
	if items[1].Title != "Новина & без посилання, лише guid" {
		t.Errorf("title = %q", items[1].Title)
	}
	if items[0].Published.Format(time.RFC3339) != "2026-03-05T14:05:00+02:00" {
		t.Errorf("published keeps the Kyiv offset: %s", items[0].Published.Format(time.RFC3339))
	}
}

func TestParseFeedCharsetFromContentType(t *testing.T) {
	// No encoding in the prolog: the Content-Type's charset decides.
	body := append([]byte("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>"),
		0xcf, 0xf0, 0xe8, 0xe2, 0xb3, 0xf2) // "Привіт" in windows-1251
	body = append(body, []byte("</title><link>https://www.pravda.com.ua/news/2026/01/01/8000001/</link></item></channel></rss>")...)
	res, err := parseFeed(body, "application/rss+xml; charset=windows-1251")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Title != "Привіт" {
		t.Errorf("entries = %+v", res.Entries)
	}
}

func TestParseFeedErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"html page", "<!DOCTYPE html><html><body>403 Forbidden</body></html>"},
		{"empty", ""},
		{"cut before any item", `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>half`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res, err := parseFeed([]byte(tt.body), "text/xml"); err == nil && len(res.Entries) > 0 {
				t.Errorf("parseFeed() = %+v, nil; want an error or no entries", res)
			}
		})
	}
}

func TestKeepsOnlyItsHost(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/")
	d := New(Config{BaseURL: base})
	keep := d.keepFor(news.Russian)
	tests := []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8080/rus/news/2026/01/01/8000001/", true},
		{"/rus/news/2026/01/01/8000001/", true},
		{"http://127.0.0.1:8080/news/2026/01/01/8000001/", false},         // other edition
		{"http://127.0.0.1:9090/rus/news/2026/01/01/8000001/", false},     // other port
		{"https://www.pravda.com.ua/rus/news/2026/01/01/8000001/", false}, // real site, not ours
	}
	for _, tt := range tests {
		if _, got := keep(tt.url); got != tt.want {
			t.Errorf("keep(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}
