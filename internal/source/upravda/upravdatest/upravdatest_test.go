package upravdatest_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/upravdatest"
)

var kyiv, _ = time.LoadLocation("Europe/Kyiv")

func get(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPublishServesFeedsListAndPage(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	pub := time.Date(2026, 3, 5, 14, 5, 0, 0, kyiv)
	a := upravdatest.Article{ID: 8030001, Edition: news.Russian, Headline: "Заголовок & <тест>", Lead: "Лид.",
		Body: []string{"Лид.", "Текст."}, Tags: []news.Tag{{Slug: "sud", Name: "суд"}}, Important: true, Published: pub}
	site.Publish(a)
	site.Publish(upravdatest.Article{ID: 8030002, Edition: news.Russian, Family: "columns", Headline: "Колонка", Published: pub})

	tests := []struct {
		path     string
		status   int
		ctype    string
		contains []string
		absent   []string
	}{
		{"/rus/rss/view_news/", 200, "application/rss+xml; charset=utf-8",
			[]string{`encoding="UTF-8"`, "<title>Заголовок &amp; &lt;тест&gt;</title>", "<pubDate>Thu, 05 Mar 2026 14:05:00 +0200</pubDate>", "/rus/news/2026/03/05/8030001/", "<ttl>60</ttl>"},
			[]string{"Колонка"}},
		{"/rus/rss/view_mainnews/", 200, "application/rss+xml; charset=utf-8", []string{"8030001"}, []string{"Колонка"}},
		{"/rus/rss/view_pubs/", 200, "application/rss+xml; charset=utf-8", []string{"/rus/columns/2026/03/05/8030002/"}, []string{"8030001/"}},
		{"/rus/rss/", 200, "application/rss+xml; charset=utf-8", []string{"8030001", "8030002"}, nil},
		{"/rss/view_news/", 200, "application/rss+xml; charset=utf-8", nil, []string{"<item>"}},
		{"/rus/news/", 200, "text/html; charset=utf-8", []string{`class="article_news_list article_news_bold"`, `<div class="article_time">14:05</div>`}, nil},
		{"/rus/news/2026/03/05/8030001/", 200, "text/html; charset=utf-8",
			[]string{`<h1 class="post_news_title">`, "Заголовок &amp; &lt;тест&gt;", "5 марта, 14:05", `application/ld+json`, `"datePublished": "2026-03-05T14:05:00+02:00"`, "/rus/tags/sud/"}, nil},
		{"/rus/columns/2026/03/05/8030002/", 200, "text/html; charset=utf-8", []string{`<article class="post_article">`}, nil},
		{"/news/2026/03/05/8030001/", 404, "", nil, nil},         // other edition
		{"/rus/articles/2026/03/05/8030001/", 404, "", nil, nil}, // other family
		{"/rus/tags/sud/", 404, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, site.URL()+tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.ctype)
			}
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("body lacks %q", c)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(body, c) {
					t.Errorf("body has %q", c)
				}
			}
		})
	}
}

func TestOldMarkupAndNoJSONLD(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	a := upravdatest.Article{ID: 7509999, Edition: news.English, Headline: "Old", Published: time.Date(2025, 4, 28, 20, 1, 0, 0, kyiv),
		OldMarkup: true, NoJSONLD: true, Authors: []string{"A", "B"}}
	site.Publish(a)
	_, body := get(t, site.ArticleURL(a), nil)
	for _, c := range []string{`<article class="post">`, `<h1 class="post_title">Old</h1>`, "Monday, 28 April 2025, 20:01", `<div class="post_text">`, `class="post_author"`} {
		if !strings.Contains(body, c) {
			t.Errorf("page lacks %q", c)
		}
	}
	if strings.Contains(body, "ld+json") {
		t.Error("page has JSON-LD")
	}
}

func TestDefaultsAndArticleURL(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	want := site.ArticleURL(upravdatest.Article{})
	site.Publish(upravdatest.Article{Headline: "Без ID"})
	got, ok := site.Published(news.Ukrainian, 8100000)
	if !ok || got.Family != "news" || got.Published.IsZero() || got.Published.Second() != 0 {
		t.Fatalf("stored %+v, %v", got, ok)
	}
	if u := site.ArticleURL(got); u != want {
		t.Errorf("ArticleURL = %q, want %q", u, want)
	}
	site.Publish(upravdatest.Article{ID: 8200000, Headline: "x"})
	site.Publish(upravdatest.Article{Headline: "next"})
	if _, ok := site.Published(news.Ukrainian, 8200001); !ok {
		t.Error("IDs not handed out above the highest one")
	}
}

func TestFailAndRequests(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	site.Fail("rss/view_news/", http.StatusForbidden, 2)
	site.Fail("/news/", http.StatusTooManyRequests, -1)
	var codes []int
	for range 3 {
		resp, _ := get(t, site.URL()+"/rss/view_news/", nil)
		codes = append(codes, resp.StatusCode)
	}
	if diff := cmp.Diff([]int{403, 403, 200}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	for range 3 {
		if resp, _ := get(t, site.URL()+"/news/", nil); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("list status %d, want 429", resp.StatusCode)
		}
	}
	site.Fail("/news/", 0, 0)
	if resp, _ := get(t, site.URL()+"/news/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after clearing: %d", resp.StatusCode)
	}
	if site.Requests("/rss/view_news/") != 3 || site.Requests("news/") != 4 || site.Requests("/eng/news/") != 0 {
		t.Errorf("requests: feed %d, list %d", site.Requests("/rss/view_news/"), site.Requests("/news/"))
	}
	site.ResetRequests()
	if site.Requests("/news/") != 0 {
		t.Error("ResetRequests left counts")
	}
}

func TestConditionalGET(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	site.Publish(upravdatest.Article{ID: 1, Headline: "a"})
	resp, _ := get(t, site.URL()+"/rss/view_news/", nil)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("ETag %q, Last-Modified %q", etag, lm)
	}
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"matching ETag", http.Header{"If-None-Match": {etag}}, 304},
		{"other ETag", http.Header{"If-None-Match": {`"x"`}}, 200},
		{"not modified since", http.Header{"If-Modified-Since": {lm}}, 304},
		{"modified since", http.Header{"If-Modified-Since": {"Mon, 01 Jan 2001 00:00:00 GMT"}}, 200},
	}
	for _, tt := range tests {
		if resp, _ := get(t, site.URL()+"/rss/view_news/", tt.header); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	site.Publish(upravdatest.Article{ID: 2, Headline: "b"})
	if resp, _ := get(t, site.URL()+"/rss/view_news/", http.Header{"If-None-Match": {etag}}); resp.StatusCode != 200 {
		t.Errorf("after a publish: %d, want 200", resp.StatusCode)
	}
	site.SetConditional(false)
	if resp, _ := get(t, site.URL()+"/rss/view_news/", http.Header{"If-Modified-Since": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}); resp.StatusCode != 200 {
		t.Errorf("conditional off: %d, want 200", resp.StatusCode)
	}
}

func TestFeedOptions(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	for i := range 5 {
		site.Publish(upravdatest.Article{ID: int64(10 + i), Edition: news.Russian, Headline: "Ґанок ʼ", Published: time.Date(2026, 1, 1, 10, i, 0, 0, kyiv)})
	}
	site.SetTTL(60)
	site.SetFeedLimit(2)
	site.SetJunk(false)
	site.SetFeedCharset("windows-1251")
	resp, body := get(t, site.URL()+"/rus/rss/view_news/", nil)
	if ct := resp.Header.Get("Content-Type"); ct != "application/rss+xml; charset=windows-1251" {
		t.Errorf("Content-Type %q", ct)
	}
	decoded, err := charmap.Windows1251.NewDecoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{`encoding="windows-1251"`, "<ttl>60</ttl>", "Ґанок &#700;", "/14/"} {
		if !strings.Contains(decoded, c) {
			t.Errorf("feed lacks %q:\n%s", c, decoded)
		}
	}
	if n := strings.Count(decoded, "<item>"); n != 2 {
		t.Errorf("items = %d, want 2 (limit, no junk)", n)
	}
}

func TestHandleRaw(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	site.Handle("/rss/view_news/", upravdatest.Raw{Status: 200, ContentType: "image/png", Body: []byte{0x89, 'P', 'N', 'G'}})
	resp, body := get(t, site.URL()+"/rss/view_news/", nil)
	if resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal([]byte(body), []byte{0x89, 'P', 'N', 'G'}) {
		t.Errorf("raw answer: %q %q", resp.Header.Get("Content-Type"), body)
	}
	site.Unhandle("rss/view_news/")
	if resp, _ := get(t, site.URL()+"/rss/view_news/", nil); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/rss+xml") {
		t.Errorf("after Unhandle: %q", resp.Header.Get("Content-Type"))
	}
}

func TestListMarkups(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	site.Publish(upravdatest.Article{ID: 5, Edition: news.English, Headline: "Story", Lead: "Lead text", Important: true})
	_, cur := get(t, site.URL()+"/eng/news/", nil)
	site.SetListMarkup(upravdatest.ListOld)
	_, old := get(t, site.URL()+"/eng/news/", nil)
	if !strings.Contains(cur, `<div class="article_title"><a href="`+site.URL()+`/eng/news/`) {
		t.Errorf("current list:\n%s", cur)
	}
	if !strings.Contains(old, `<div class="article_header"><a href="/eng/news/`) || !strings.Contains(old, `<div class="article_subheader">Lead text</div>`) {
		t.Errorf("old list:\n%s", old)
	}
	if !strings.Contains(cur, "epravda.com.ua") {
		t.Error("junk items missing by default")
	}
}

func TestConcurrentPublishAndServe(t *testing.T) {
	site := upravdatest.New()
	defer site.Close()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 10 {
				site.Publish(upravdatest.Article{Edition: news.Langs[(i+j)%3], Headline: "x"})
				resp, err := http.Get(site.URL() + "/rss/view_news/")
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if site.Requests("/rss/view_news/") != 40 {
		t.Errorf("requests = %d, want 40", site.Requests("/rss/view_news/"))
	}
}
