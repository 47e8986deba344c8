package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

// Search benchmark population: benchStories stories of one edition, their
// headline (10 words) and lead (25 words) drawn from a Zipf distribution
// over benchVocabulary made-up Cyrillic words, with 3 of 300 tags each.
const (
	benchStories    = 50000
	benchVocabulary = 40000
)

// benchWord is the made-up word of rank n: distinct, 4 to 11 letters,
// many sharing their first letters as inflected forms do.
func benchWord(n int) string {
	const letters = "абвгдежзийклмнопрстуфхцчшщюяіїє"
	al := []rune(letters)
	var b strings.Builder
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range 4 + r.IntN(8) {
		if i == 0 {
			b.WriteRune(al[n%len(al)])
			continue
		}
		b.WriteRune(al[r.IntN(len(al))])
	}
	return fmt.Sprintf("%s%d", b.String(), n%10) // the digit keeps ranks apart
}

func benchStory(id int64, z *rand.Zipf, r *rand.Rand) *news.Article {
	words := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = benchWord(int(z.Uint64()))
		}
		return strings.Join(ws, " ")
	}
	a := &news.Article{ID: id, Edition: news.Ukrainian, URL: fmt.Sprintf("https://example.com/%d", id),
		Headline: words(10), Lead: words(25)}
	for range 3 {
		n := r.IntN(300)
		a.Tags = append(a.Tags, news.Tag{Slug: fmt.Sprintf("tag-%d", n), Name: benchWord(benchVocabulary + n)})
	}
	return a
}

// BenchmarkSearch stores 50,000 stories in a real Redis and measures
// Search for a rare word, the commonest word, a short prefix of it, two
// common words and a common and a rare word, plus the index's memory per
// story. Run with: go test -run '^$' -bench Search ./internal/store/
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	rdb := redistest.Start(b).Client()
	st := store.New(rdb, store.Options{Logger: quiet, RecentPerEdition: 500})
	mem0 := usedMemory(b, rdb)
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			z := rand.NewZipf(r, 1.1, 2, benchVocabulary-1)
			for id := int64(1 + w); id <= benchStories; id += workers {
				if err := st.SaveArticle(ctx, benchStory(id, z, r)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mem1 := usedMemory(b, rdb)
	index := func(pattern string) int64 {
		var n int64
		for _, k := range allKeys(b, rdb, st.Prefix()+pattern) {
			m, _ := rdb.MemoryUsage(ctx, k, 0).Result()
			n += m
		}
		return n
	}
	b.Run("Memory", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(float64(mem1-mem0)/benchStories, "B/story")
		b.ReportMetric(float64(index("search:*"))/benchStories, "B/story-index")
		b.ReportMetric(float64(index("article:*"))/benchStories, "B/story-json")
	})
	common, rare := benchWord(0), benchWord(30000)
	for _, q := range []struct{ name, query string }{
		{"RareWord", rare},
		{"CommonestWord", common},
		{"ShortPrefix", string([]rune(common)[:2])},
		{"TwoCommonWords", common + " " + benchWord(1)},
		{"CommonAndRare", common + " " + benchWord(2000)},
	} {
		b.Run(q.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				arts, err := st.Search(ctx, news.Ukrainian, q.query, 10)
				if err != nil {
					b.Fatal(err)
				}
				n = len(arts)
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}
