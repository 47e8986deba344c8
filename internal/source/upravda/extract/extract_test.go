package extract

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/markup"
)

func TestExtractGolden(t *testing.T) {
	tests := []struct {
		file    string
		url     string
		edition news.Lang
		jsonLD  bool
		markup  string
	}{
		{"article_news_current.html", "https://www.pravda.com.ua/news/2026/03/05/8030001/", "", true, markup.Current},
		{"article_pub_current.html", "https://www.pravda.com.ua/rus/articles/2026/01/09/8016000/", news.Russian, true, markup.Current},
		{"article_news_nojsonld.html", "https://www.pravda.com.ua/eng/news/2026/01/8/8031000/", "", false, markup.Current},
		{"article_old.html", "https://www.pravda.com.ua/eng/news/2025/04/28/7509999/", news.English, false, markup.Old},
		{"article_meta_only.html", "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			x, err := Page(readTestdata(t, tt.file), tt.url, tt.edition, Options{})
			if err != nil {
				t.Fatalf("Page() error = %v", err)
			}
			if x.JSONLD != tt.jsonLD || x.Markup != tt.markup {
				t.Errorf("Page() JSONLD, Markup = %v, %q; want %v, %q", x.JSONLD, x.Markup, tt.jsonLD, tt.markup)
			}
			compareGolden(t, strings.TrimSuffix(tt.file, ".html")+".json", x.Article)
		})
	}
}

// TestExtractFields states the facts the golden files hold, so that a
// careless -update cannot bless a regression.
func TestExtractFields(t *testing.T) {
	type fields struct {
		ID          int64
		Edition     news.Lang
		Family      string
		Headline    string
		Authors     []string
		Published   string
		Tags        []news.Tag
		TagsMissing bool
		Photo       *news.Photo
		BodyStart   string
		BodyEnd     string
	}
	tests := []struct {
		file, url string
		want      fields
	}{
		{
			file: "article_news_current.html",
			url:  "https://www.pravda.com.ua/news/2026/03/05/8030001/",
			want: fields{
				ID: 8030001, Edition: news.Ukrainian, Family: "news",
				Headline:  "Рада ухвалила закон про тестові сторінки",
				Authors:   []string{"Олена Тестова"},
				Published: "2026-03-05T14:05:00+02:00",
				Tags: []news.Tag{
					{Slug: "verhovna-rada", Name: "Верховна Рада"},
					{Slug: "67850e07ed31c", Name: "тести"},
					{Slug: "vovk-", Name: "Прізвище з дефісом"},
				},
				Photo:     &news.Photo{URL: "https://img.example.org/doc/8030001.jpg", Caption: "Зал засідань парламенту", Credit: "Фото: пресслужба"},
				BodyStart: "Верховна Рада ухвалила в цілому закон",
				BodyEnd:   "наступного дня після опублікування.",
			},
		},
		{
			file: "article_pub_current.html",
			url:  "https://www.pravda.com.ua/rus/articles/2026/01/09/8016000/",
			want: fields{
				ID: 8016000, Edition: news.Russian, Family: "articles",
				Headline:  "Как проверяют парсер: публикация, написанная для тестов",
				Authors:   []string{"Анна Пример", "Борис Образец"},
				Published: "2026-01-09T09:30:00+02:00",
				Tags:      []news.Tag{{Slug: "testy", Name: "тесты"}, {Slug: "parser", Name: "парсер"}},
				Photo:     &news.Photo{URL: "https://img.example.org/doc/8016000.jpeg", Credit: "коллаж: редакция"},
				BodyStart: "Мы написали эту публикацию сами",
				BodyEnd:   "Последний абзац текста перед подписью авторов.",
			},
		},
		{
			file: "article_news_nojsonld.html",
			url:  "https://www.pravda.com.ua/eng/news/2026/01/8/8031000/",
			want: fields{
				ID: 8031000, Edition: news.English, Family: "news",
				Headline:  "Test markup without JSON-LD",
				Authors:   []string{"Jane Example", "John Sample"},
				Published: "2026-01-08T17:46:00+02:00",
				Tags:      []news.Tag{{Slug: "foreign-policy", Name: "Foreign Policy"}, {Slug: "sanctions", Name: "Sanctions"}},
				Photo:     &news.Photo{URL: "https://www.pravda.com.ua/images/en/8031000.jpg", Credit: "Photo: Getty Images"},
				BodyStart: "The project wrote this English page",
				BodyEnd:   "• Second background point.",
			},
		},
		{
			file: "article_old.html",
			url:  "https://www.pravda.com.ua/eng/news/2025/04/28/7509999/",
			want: fields{
				ID: 7509999, Edition: news.English, Family: "news",
				Headline:  "Old template page written for tests",
				Authors:   []string{"Oleh Example", "Anastasia Sample"},
				Published: "2025-04-28T20:01:00+03:00",
				Tags: []news.Tag{
					{Slug: "foreign-policy", Name: "Foreign Policy"},
					{Slug: "sanctions", Name: "Sanctions"},
					{Slug: "energy", Name: "Energy"},
				},
				Photo:     &news.Photo{URL: "https://img.example.org/old/7509999.jpg", Credit: "Stock Photo: Getty Images"},
				BodyStart: "An English page in the template",
				BodyEnd:   "• Earlier, something else happened.",
			},
		},
		{
			file: "article_meta_only.html",
			want: fields{
				ID: 8055875, Edition: news.Ukrainian, Family: "news",
				Headline:    "Сторінка невідомого шаблону, написана для тестів",
				Published:   "2026-09-01T08:00:00+03:00",
				TagsMissing: true,
				Photo:       &news.Photo{URL: "https://img.example.org/meta/8055875.jpg"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := Article(readTestdata(t, tt.file), tt.url, "")
			if err != nil {
				t.Fatalf("Article() error = %v", err)
			}
			got := fields{
				ID: a.ID, Edition: a.Edition, Family: a.Family, Headline: a.Headline, Authors: a.Authors,
				Published: a.Published.Format(time.RFC3339), Tags: a.Tags, TagsMissing: a.TagsMissing, Photo: a.Photo,
			}
			if tt.want.BodyStart != "" && strings.HasPrefix(a.Body, tt.want.BodyStart) {
				got.BodyStart = tt.want.BodyStart
			} else if tt.want.BodyStart != "" {
				got.BodyStart = firstRunes(a.Body, 60)
			}
			if tt.want.BodyEnd != "" && strings.HasSuffix(a.Body, tt.want.BodyEnd) {
				got.BodyEnd = tt.want.BodyEnd
			} else if tt.want.BodyEnd != "" {
				got.BodyEnd = lastRunes(a.Body, 60)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Article() mismatch (-want +got):\n%s", diff)
			}
			assertClean(t, a)
		})
	}
}

// junkWords must never reach an article's body.
var junkWords = []string{
	"Реклама", "Advertisement", "Читайте також", "Читайте также", "Read more", "Patreon",
	"Поділитися", "Ссылка скопирована", "window.", "Підпис до фото", "Подпись", "Інша новина", "Related headline",
}

func assertClean(t *testing.T, a *news.Article) {
	t.Helper()
	for _, w := range junkWords {
		if strings.Contains(a.Body, w) {
			t.Errorf("body contains junk %q:\n%s", w, a.Body)
		}
	}
	if a.Summary == "" && (a.Lead != "" || a.Body != "") {
		t.Errorf("summary is empty though lead or body is not")
	}
	for _, w := range []string{"Source:", "Джерело:", "Источник:"} {
		if strings.Contains(a.Summary, w) {
			t.Errorf("summary holds the attribution line %q: %q", w, a.Summary)
		}
	}
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func TestExtractBylineAndSummary(t *testing.T) {
	a, err := Article(readTestdata(t, "article_pub_current.html"), "https://www.pravda.com.ua/rus/articles/2026/01/09/8016000/", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.Body, "Анна Пример, Борис Образец") {
		t.Errorf("the closing byline stayed in the body:\n%s", a.Body)
	}
	want := "Мы написали эту публикацию сами, чтобы проверить разбор нового шаблона. " +
		"В ней есть сокращения вроде т.е. и г. Киев, а также инициалы А. Б. Пример. " +
		"Их не должны путать с концом предложения."
	if diff := cmp.Diff(want, a.Summary); diff != "" {
		t.Errorf("Summary mismatch (-want +got):\n%s", diff)
	}
	wantAlt := map[news.Lang]string{
		news.Ukrainian: "https://www.pravda.com.ua/articles/2026/01/09/8016000/",
		news.Russian:   "https://www.pravda.com.ua/rus/articles/2026/01/09/8016000/",
	}
	if diff := cmp.Diff(wantAlt, a.Alternates); diff != "" {
		t.Errorf("Alternates mismatch (-want +got):\n%s", diff)
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		url     string
		edition news.Lang
		want    error
	}{
		{"no headline", string(readTestdata(t, "not_article.html")), "", "", ErrNoHeadline},
		{"no edition anywhere", "<html><body><h1 class=post_news_title>Заголовок</h1></body></html>", "", "", ErrNoEdition},
		{"empty page", "", "https://www.pravda.com.ua/news/2026/01/01/8000001/", "", ErrNoHeadline},
		{"binary junk", "\x00\x01\x02\xff\xfe<<<>>>", "", news.English, ErrNoHeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Article([]byte(tt.page), tt.url, tt.edition)
			if !errors.Is(err, tt.want) {
				t.Errorf("Article() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExtractEditionSources(t *testing.T) {
	page := `<html lang="ru"><head><link rel="canonical" href="https://www.pravda.com.ua/eng/news/2026/02/02/8020000/"></head>
<body><article class="post_news"><h1 class="post_news_title">T</h1></article></body></html>`
	tests := []struct {
		name    string
		url     string
		edition news.Lang
		wantEd  news.Lang
		wantID  int64
	}{
		{"argument wins", "", news.Ukrainian, news.Ukrainian, 8020000},
		{"canonical URL next", "", "", news.English, 8020000},
		{"page URL before canonical", "https://www.pravda.com.ua/rus/news/2026/02/02/8020001/", "", news.Russian, 8020001},
		{"invalid argument ignored", "", news.Lang("xx"), news.English, 8020000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Article([]byte(page), tt.url, tt.edition)
			if err != nil {
				t.Fatal(err)
			}
			if a.Edition != tt.wantEd || a.ID != tt.wantID {
				t.Errorf("Article() edition, ID = %s, %d; want %s, %d", a.Edition, a.ID, tt.wantEd, tt.wantID)
			}
		})
	}
}

func TestParseJSONLDShapes(t *testing.T) {
	tests := []struct {
		name   string
		blocks []string
		want   ldArticle
		body   string
		ok     bool
	}{
		{
			name:   "raw control characters inside strings",
			blocks: []string{"{\"@type\":\"NewsArticle\",\"headline\":\"Рядок\nдругий\",\"datePublished\":\"2026-01-01 10:00:00\",\"articleBody\":\"Абзац\tдругий\"}"},
			want:   ldArticle{Headline: "Рядок другий", DatePublished: "2026-01-01 10:00:00"},
			body:   "Абзац другий",
			ok:     true,
		},
		{
			name:   "invalid block skipped, next one read",
			blocks: []string{"{not json", `{"@type":"ReportageNewsArticle","name":"Name as headline","author":"Solo Author","keywords":["a"," b "]}`},
			want:   ldArticle{Headline: "Name as headline", Persons: []string{"Solo Author"}, Keywords: []string{"a", "b"}},
			ok:     true,
		},
		{
			name:   "image as list of strings, entities decoded",
			blocks: []string{`{"@type":"Article","headline":"A &amp; B","image":["https://x.example/1.jpg"],"mainEntityOfPage":{"url":"https://x.example/p"}}`},
			want:   ldArticle{Headline: "A & B", ImageURL: "https://x.example/1.jpg", URL: "https://x.example/p"},
			ok:     true,
		},
		{
			name:   "no article type",
			blocks: []string{`{"@type":"BreadcrumbList"}`, `[{"@type":"Organization"}]`},
			ok:     false,
		},
		{
			name:   "deep nesting does not recurse forever",
			blocks: []string{strings.Repeat("[", 5000) + strings.Repeat("]", 5000)},
			ok:     false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseJSONLD(tt.blocks)
			if ok != tt.ok {
				t.Fatalf("parseJSONLD() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(ldArticle{})); diff != "" {
				t.Errorf("parseJSONLD() mismatch (-want +got):\n%s", diff)
			}
			if b := got.ArticleBody(); b != tt.body {
				t.Errorf("ArticleBody() = %q, want %q", b, tt.body)
			}
		})
	}
}
func TestTagSlug(t *testing.T) {
	tests := []struct {
		href, want string
		ok         bool
	}{
		{"https://www.pravda.com.ua/rus/tags/vovk-/", "vovk-", true},
		{"/tags/67850e07ed31c/", "67850e07ed31c", true},
		{"/tags/tag_%D0%9B%D1%83%D0%B3%D0%B0%D0%BD%D1%81%D1%8C%D0%BA/", "tag_Луганськ", true},
		{"/tags/", "", false},
		{"/tags/a/b/", "", false},
		{"/authors/someone/", "", false},
	}
	for _, tt := range tests {
		got, ok := tagSlug(tt.href)
		if got != tt.want || ok != tt.ok {
			t.Errorf("tagSlug(%q) = %q, %v; want %q, %v", tt.href, got, ok, tt.want, tt.ok)
		}
	}
}
