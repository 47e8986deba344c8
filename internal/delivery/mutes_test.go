package delivery

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
)

func setMutes(t testing.TB, st *store.Store, id int64, words, tags []string, unmuted bool) {
	t.Helper()
	if _, err := st.UpdateChat(context.Background(), id, func(c *news.Chat, _ bool) error {
		c.Mutes, c.MutedTags, c.BreakingUnmuted = words, tags, unmuted
		return nil
	}); err != nil {
		t.Fatalf("set mutes of %d: %v", id, err)
	}
}

// mutedReaders seeds seven readers of "war" and "economy" (5 to 7 with
// breaking alerts) with the mutes of TestAnnounceSkipsMutedChats.
func mutedReaders(t *testing.T) *Engine {
	e, st := newTestEngine(t, testConfig(t), &fakeSender{})
	for id := int64(1); id <= 7; id++ {
		seedChat(t, st, id, news.Ukrainian, id >= 5, "war", "economy")
	}
	setMutes(t, st, 1, []string{"росі"}, nil, false)           // a word start of "Росії"
	setMutes(t, st, 2, []string{"осії"}, nil, false)           // inside a word: no match
	setMutes(t, st, 3, nil, []string{"economy"}, false)        // a tag, though "war" is followed
	setMutes(t, st, 4, []string{"фронт доповіли"}, nil, false) // words out of order: no match
	setMutes(t, st, 5, []string{"росі"}, nil, false)           // breaking alerts muted too
	setMutes(t, st, 6, []string{"росі"}, nil, true)            // breaking alerts let through
	return e
}

func TestAnnounceSkipsMutedChats(t *testing.T) {
	e := mutedReaders(t)
	a := article(news.Ukrainian, 100, true, "war", "economy")
	a.Headline = "Зеленському доповіли про удари Росії по фронту"
	mustAnnounce(t, e, a)
	want := map[int64]int{2: prioNormal, 4: prioNormal, 6: prioBreaking, 7: prioBreaking}
	if diff := cmp.Diff(want, drainClaims(t, e)); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	// Not breaking: chat 6 is muted like everyone else.
	e = mutedReaders(t)
	mustAnnounce(t, e, &news.Article{ID: 101, Edition: news.Ukrainian, URL: "https://www.pravda.com.ua/news/101/",
		Headline: "Росія", Tags: []news.Tag{{Slug: "war", Name: "Війна"}}, Published: time.Now()})
	// Chat 3 muted a tag this story lacks; 5 and 6 muted "росі", which
	// "Росія" starts with.
	want = map[int64]int{2: prioNormal, 3: prioNormal, 4: prioNormal, 7: prioNormal}
	if diff := cmp.Diff(want, drainClaims(t, e)); diff != "" {
		t.Errorf("recipients of a non-breaking story (-want +got):\n%s", diff)
	}
}

// BenchmarkFanOutWithMutes measures the fan-out decision (Engine.recipients,
// mutes included) against a real Redis: 10,000 readers of one tag, each
// with 20 mutes drawn from 2,000 words, 500 of the readers muting a word
// of the story. It reports recipients decided per second
// (docs/benchmarks.md):
//
//	go test ./internal/delivery -run '^$' -bench FanOutWithMutes -benchtime 20x
func BenchmarkFanOutWithMutes(b *testing.B) {
	const readers, perReader, vocabulary = 10000, 20, 2000
	st := newStore(redistest.Start(b).Client())
	e, err := New(testConfig(b), st, queueOf(st), &fakeSender{}, textRenderer{})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < readers; i += 8 {
				mutes := make([]string, perReader)
				for j := range mutes {
					mutes[j] = fmt.Sprintf("слово%d", (i*perReader+j)%vocabulary)
				}
				if i%20 == 0 {
					mutes[0] = "росі"
				}
				_, err := st.UpdateChat(context.Background(), int64(i+1), func(c *news.Chat, _ bool) error {
					c.Lang, c.Tags, c.Mutes = news.Ukrainian, []string{"war"}, mutes
					return nil
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	a := article(news.Ukrainian, 1, false, "war", "economy")
	a.Headline = "Зеленському доповіли про удари Росії по фронту"
	a.Summary = "Президент заслухав доповіді командувачів про ситуацію на фронті та удари по енергетиці, " +
		"обговорили постачання озброєння від партнерів і підготовку до зими."
	ctx := context.Background()
	b.ResetTimer()
	decided := 0
	for range b.N {
		out, err := e.recipients(ctx, a)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) != readers-readers/20 {
			b.Fatalf("recipients = %d, want %d", len(out), readers-readers/20)
		}
		decided += readers
	}
	b.ReportMetric(float64(decided)/b.Elapsed().Seconds(), "recipients/s")
}
