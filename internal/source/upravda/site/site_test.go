package site

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
)

func TestParseArticleURL(t *testing.T) {
	type result struct {
		ID      int64
		Edition news.Lang
		Family  string
		OK      bool
	}
	tests := []struct {
		url  string
		want result
	}{
		{"https://www.pravda.com.ua/news/2026/03/05/8030001/", result{8030001, news.Ukrainian, "news", true}},
		{"https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/", result{8015225, news.Russian, "articles", true}},
		{"https://www.pravda.com.ua/eng/news/2026/07/7/8042815/", result{8042815, news.English, "news", true}},
		{"http://pravda.com.ua/columns/2025/1/8/7492292", result{7492292, news.Ukrainian, "columns", true}},
		{"https://WWW.PRAVDA.COM.UA/eng/interview/2026/02/02/8020000/index.amp", result{8020000, news.English, "interview", true}},
		{"https://www.pravda.com.ua/news/2026/03/05/8030001/?utm_source=tg#comments", result{8030001, news.Ukrainian, "news", true}},
		{"https://www.epravda.com.ua/rus/news/2020/09/29/665669/", result{}},
		{"https://life.pravda.com.ua/society/2020/09/29/242501/", result{}},
		{"https://www.pravda.com.ua/tags/sud/", result{}},
		{"https://www.pravda.com.ua/news/", result{}},
		{"https://www.pravda.com.ua/deu/news/2026/03/05/8030001/", result{}},
		// Every section path of the form /{section}[/{sub}]/YYYY/MM/DD/ID/ is an
		// article (issue 9: the sitemap lists sections beyond the families).
		{"https://www.pravda.com.ua/blogs/2026/03/05/8030001/", result{8030001, news.Ukrainian, "blogs", true}},
		{"https://www.pravda.com.ua/podcasts/pidsumky-dnia/2025/12/01/8009801/", result{8009801, news.Ukrainian, "podcasts", true}},
		{"https://www.pravda.com.ua/rus/podcasts/pidsumky-dnia/2025/12/01/8009801/", result{8009801, news.Russian, "podcasts", true}},
		{"https://www.pravda.com.ua/eng/podcasts/the-week/2025/12/1/8009802/", result{8009802, news.English, "podcasts", true}},
		{"https://www.pravda.com.ua/eng/projects/war-diary/2025/12/01/8009803/index.amp", result{8009803, news.English, "projects", true}},
		{"https://www.pravda.com.ua/rus/2026/03/05/8030001/", result{}},
		{"https://www.pravda.com.ua/rss/view_news/2026/03/05/8030001/", result{}},
		{"https://www.pravda.com.ua/tags/sud/2026/03/05/8030001/", result{}},
		{"https://www.pravda.com.ua/news/a/b/2026/03/05/8030001/", result{}},
		{"https://www.pravda.com.ua/news/2026/13/05/8030001/", result{}},
		{"https://www.pravda.com.ua/news/2026/03/00/8030001/", result{}},
		{"https://www.pravda.com.ua/news/2026/03/05/0/", result{}},
		{"https://www.pravda.com.ua/news/2026/03/05/999999999999999999/", result{999999999999999999, news.Ukrainian, "news", true}},
		{"https://www.pravda.com.ua/news/2026/03/05/9999999999999999999/", result{}},
		{"ftp://www.pravda.com.ua/news/2026/03/05/8030001/", result{}},
		{"/news/2026/03/05/8030001/", result{}},
		{"xYz0AbC1dEf", result{}},
		{"", result{}},
		{"https://www.pravda.com.ua/news/2026/03/05/8030001/extra/", result{}},
		{"http://[::1", result{}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			id, ed, fam, ok := ParseArticleURL(tt.url)
			if diff := cmp.Diff(tt.want, result{id, ed, fam, ok}); diff != "" {
				t.Errorf("ParseArticleURL(%q) mismatch (-want +got):\n%s", tt.url, diff)
			}
			ed2, ok2 := EditionOf(tt.url)
			if ed2 != tt.want.Edition || ok2 != tt.want.OK {
				t.Errorf("EditionOf(%q) = %q, %v", tt.url, ed2, ok2)
			}
		})
	}
}

func TestParseArticlePathDay(t *testing.T) {
	ref, ok := ParsePath("https://www.pravda.com.ua/eng/news/2026/07/7/8042815/")
	if !ok {
		t.Fatal("not parsed")
	}
	want := time.Date(2026, 7, 7, 0, 0, 0, 0, kyiv)
	if !ref.Day.Equal(want) || ref.Host != "pravda.com.ua" {
		t.Errorf("Day, Host = %v, %q; want %v, pravda.com.ua", ref.Day, ref.Host, want)
	}
}
