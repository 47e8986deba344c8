package upravda

import (
	"context"
	"fmt"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/source/upravda/site"
	"newsbot/internal/source/upravda/upravdatest"
)

// BenchmarkPoll measures a full poll of the three editions against the
// local site: discover every feed, then fetch and extract every article,
// with a fresh Source each round so that nothing is cached.
func BenchmarkPoll(b *testing.B) {
	const perEdition = 20
	srv := upravdatest.New()
	defer srv.Close()
	body := []string{
		"Перший абзац тексту, написаного для вимірювань.",
		"Другий абзац: В. Прикладенко повідомив у м. Київ, що згідно зі ст. 5 усе гаразд.",
		"Третій абзац із цитатою: «Ми готові», – сказав він.",
	}
	for _, ed := range news.Langs {
		for i := range perEdition {
			srv.Publish(upravdatest.Article{
				ID: int64(8100000 + i), Edition: ed, Headline: fmt.Sprintf("Новина %d", i), Lead: body[0], Body: body,
				Tags: []news.Tag{{Slug: "test", Name: "тест"}}, Authors: []string{"Автор"}, Important: i%5 == 0,
				Published: time.Date(2026, 3, 5, 8, i, 0, 0, site.Kyiv()), OldMarkup: ed == news.English,
			})
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	articles := 0
	start := time.Now()
	for b.Loop() {
		src, err := New(Config{BaseURL: srv.URL(), MaxTTL: -1})
		if err != nil {
			b.Fatal(err)
		}
		for _, ed := range news.Langs {
			items, err := src.Discover(ctx, ed)
			if err != nil {
				b.Fatal(err)
			}
			for _, it := range items {
				if _, err := src.Fetch(ctx, it); err != nil {
					b.Fatal(err)
				}
				articles++
			}
		}
	}
	b.ReportMetric(float64(articles)/time.Since(start).Seconds(), "articles/s")
}
