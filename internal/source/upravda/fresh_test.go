package upravda

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/upravdatest"
)

// The site adds a story to news and mainnews at once, between the two
// requests of one Discover: whichever request saw it, the story comes out
// important, once.
func TestDiscoverFeedsChangeBetweenRequests(t *testing.T) {
	for _, feeds := range [][]string{{"news", "mainnews"}, {"mainnews", "news"}} {
		t.Run(strings.Join(feeds, ","), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Feeds = feeds })
			publishSample(e.site)
			story := upravdatest.Article{ID: 8030100, Edition: news.Ukrainian, Headline: "Терміново", Important: true, Published: kyivMarch5.Add(3 * time.Hour)}
			for _, path := range []string{"/rss/view_news/", "/rss/view_mainnews/"} {
				e.site.ResetRequests()
				published := false
				e.site.BeforeServe(func(p string) {
					if p == path && !published {
						published = true
						e.site.Publish(story)
					}
				})
				items, err := e.src.Discover(context.Background(), news.Ukrainian)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, it := range items {
					if it.ID == story.ID {
						n++
						if !it.Important {
							t.Errorf("published before %s: the story is not important", path)
						}
					}
				}
				if n != 1 {
					t.Errorf("published before %s: the story is listed %d times, want 1", path, n)
				}
				e.site.BeforeServe(nil)
				e.site.Publish(upravdatest.Article{ID: story.ID, Edition: news.Ukrainian, Headline: "x", Published: kyivMarch5}) // unlist from mainnews
				story.ID++
			}
		})
	}
}

// A broken feed (an error, a body over the cap, garbage) never stops the
// others, and every body stays bounded.
func TestDiscoverBrokenFeedDoesNotStopOthers(t *testing.T) {
	breaks := map[string]func(s *upravdatest.Site, path string){
		"500": func(s *upravdatest.Site, p string) { s.Fail(p, http.StatusInternalServerError, -1) },
		"too big": func(s *upravdatest.Site, p string) {
			s.Handle(p, upravdatest.Raw{ContentType: "application/rss+xml", Body: make([]byte, 2<<10)})
		},
		"garbage": func(s *upravdatest.Site, p string) {
			s.Handle(p, upravdatest.Raw{ContentType: "application/rss+xml", Body: []byte("<rss><channel><item>")})
		},
		"html 200": func(s *upravdatest.Site, p string) {
			s.Handle(p, upravdatest.Raw{ContentType: "text/html", Body: []byte("<html></html>")})
		},
	}
	for name, breakIt := range breaks {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1 << 10; c.Feeds = []string{"news", "mainnews", "pubs"} })
			e.site.SetJunk(false)
			e.site.SetFeedLimit(2)
			e.site.Publish(upravdatest.Article{ID: 8030200, Edition: news.Ukrainian, Headline: "Н", Published: kyivMarch5})
			e.site.Publish(upravdatest.Article{ID: 8030201, Edition: news.Ukrainian, Headline: "В", Important: true, Published: kyivMarch5})
			breakIt(e.site, "/rss/view_mainnews/")
			items, err := e.src.Discover(context.Background(), news.Ukrainian)
			if err != nil || len(items) != 2 {
				t.Fatalf("Discover() = %v, %v; want both news items", items, err)
			}
			if got := e.site.Requests("/rss/view_pubs/"); got != 1 {
				t.Errorf("pubs feed requests = %d, want 1", got)
			}
		})
	}
}

// A redirect of an article URL to a sister site is not filed as a www
// story: Fetch fails with ErrOffSite (also news.ErrInvalid) and logs it.
func TestFetchRedirectToSisterSite(t *testing.T) {
	e := newEnv(t, nil)
	sister := upravdatest.New()
	t.Cleanup(sister.Close)
	sister.Publish(upravdatest.Article{ID: 500, Edition: news.Ukrainian, Headline: "Сестра", Published: kyivMarch5})
	target := sister.ArticleURL(upravdatest.Article{ID: 500, Edition: news.Ukrainian, Published: kyivMarch5})
	target = strings.Replace(target, "127.0.0.1", "localhost", 1) // another host than the base URL's
	e.site.Redirect("/news/2026/03/05/8030300/", target)
	_, err := e.src.Fetch(context.Background(), news.ListItem{ID: 8030300, Edition: news.Ukrainian,
		URL: e.site.URL() + "/news/2026/03/05/8030300/", Title: "Т"})
	if !errors.Is(err, ErrOffSite) || !errors.Is(err, news.ErrInvalid) {
		t.Fatalf("Fetch() error = %v, want ErrOffSite and news.ErrInvalid", err)
	}
	if !strings.Contains(e.logs.String(), "redirects to another site") {
		t.Errorf("no log line about the redirect:\n%s", e.logs.String())
	}
}

// Articles in any section path /{section}[/{sub}]/YYYY/MM/DD/ID/ are
// discovered, in all three editions.
func TestDiscoverSectionPaths(t *testing.T) {
	for _, ed := range []news.Lang{news.Ukrainian, news.Russian, news.English} {
		e := newEnv(t, func(c *Config) { c.Feeds = []string{"news"} })
		prefix := map[news.Lang]string{news.Ukrainian: "", news.Russian: "rus/", news.English: "eng/"}[ed]
		link := e.site.URL() + "/" + prefix + "podcasts/pidsumky-dnia/2025/12/01/8009801/"
		e.site.Handle("/"+prefix+"rss/view_news/", upravdatest.Raw{ContentType: "application/rss+xml", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><item><title>Подкаст</title><link>` + link + `</link></item></channel></rss>`)})
		items, err := e.src.Discover(context.Background(), ed)
		if err != nil || len(items) != 1 || items[0].ID != 8009801 || items[0].Edition != ed {
			t.Errorf("%s: Discover() = %+v, %v; want the podcast 8009801", ed, items, err)
		}
	}
}
