package app

// The three scenarios of issue 9 item 4, end to end through Run as main
// runs it: upravdatest serving feeds with <ttl>60</ttl> and ETag/304, the
// fake Bot API, a real redis-server. Tests wait for events (a message or
// an edit recorded by the fake, a feed request counted by the site) with
// deadlines; polls are counted on the site, never slept through.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/source/upravda/upravdatest"
	"newsbot/internal/telegram/telegramtest"
)

// ciPollInterval is the poll interval of the scenarios in `make test`.
const ciPollInterval = 2 * time.Second

var freshTag = news.Tag{Slug: "russia", Name: "Russia"}

// rig is one newsbot run against the local site, the fake Bot API and a
// real redis-server, usable from tests and benchmarks.
type rig struct {
	tb       testing.TB
	site     *upravdatest.Site
	tg       *telegramtest.Server
	env      map[string]string
	interval time.Duration
	logs     *syncBuffer
	nextID   int64 // of the next story published
}

func newRig(tb testing.TB, interval time.Duration) *rig {
	tb.Helper()
	srv := redistest.Start(tb)
	site := upravdatest.New()
	tb.Cleanup(site.Close)
	tg := telegramtest.NewServer(telegramtest.Options{Token: testToken})
	tb.Cleanup(tg.Close)
	r := &rig{tb: tb, site: site, tg: tg, interval: interval, logs: &syncBuffer{}, nextID: 8100001, env: map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken,
		"TELEGRAM_API_URL":   tg.URL(),
		"UPRAVDA_BASE_URL":   site.URL(),
		"REDIS_URL":          srv.URL(),
		"DATA_DIR":           tb.TempDir(),
		"POLL_INTERVAL":      interval.String(),
		"HTTP_ADDR":          "off",
		"LOG_LEVEL":          "info",
	}}
	// Every edition lists something (as on the site), so all three are
	// polled for real, staggered as in production.
	for i, ed := range news.Langs {
		site.Publish(upravdatest.Article{
			ID: int64(8050001 + i), Edition: ed, Headline: "An older story",
			Lead: "An older story — its lead.", Body: []string{"The older story's text."},
			Tags: []news.Tag{freshTag}, Published: time.Now().Add(-time.Hour),
		})
	}
	return r
}

// start runs newsbot and waits until its first poll (which stores what is
// listed and announces nothing) is over for every edition.
func (r *rig) start() {
	r.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	getenv := func(k string) string { return r.env[k] }
	go func() { done <- Run(ctx, []string{"run"}, getenv, r.logs, r.logs) }()
	r.tb.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				r.tb.Errorf("newsbot exited with %d; log:\n%s", code, r.logs)
			}
		case <-time.After(30 * time.Second):
			r.tb.Errorf("newsbot did not stop within 30s; log:\n%s", r.logs)
		}
	})
	r.waitPolls(0)
}

// polls counts the requests of the English news feed: one per poll.
func (r *rig) polls() int { return r.site.Requests("/eng/rss/view_news/") }

// waitPolls waits until the poll under way (if any) and n more are over.
// A round polls every edition and only then waits for the next tick, so
// the feed request of round k+1 means round k has finished.
func (r *rig) waitPolls(n int) {
	r.tb.Helper()
	target := r.polls() + n + 1
	r.await(fmt.Sprintf("%d more polls", n+1), time.Duration(n+2)*r.interval+30*time.Second,
		func() bool { return r.polls() >= target })
}

// await checks cond every 20 ms until it holds, failing after timeout.
func (r *rig) await(what string, timeout time.Duration, cond func() bool) {
	r.tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			r.tb.Fatalf("waited %s for %s; log:\n%s", timeout, what, r.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reader opens a private chat with an English reader and sends commands,
// each after the bot answered the one before.
func (r *rig) reader(id int64, commands ...string) int64 {
	r.tb.Helper()
	user := telegramtest.User{ID: id, FirstName: "Reader", LanguageCode: "en"}
	chat := telegramtest.Chat{ID: id, Type: "private"}
	for _, c := range commands {
		n := len(r.tg.SentTo(id))
		r.tg.SendText(user, chat, c)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := r.tg.WaitSent(ctx, id, n+1)
		cancel()
		if err != nil {
			r.tb.Fatalf("no answer to %q from the bot: %v", c, err)
		}
	}
	return id
}

// publish puts a new English story about Russia on the site and returns
// its ID and the moment it was published.
func (r *rig) publish(headline string, important bool) (int64, time.Time) {
	id := r.nextID
	r.nextID++
	a := upravdatest.Article{
		ID: id, Edition: news.English, Headline: headline, Important: important,
		Lead: "What happened, in two sentences. The second adds the place.",
		Body: []string{"The first paragraph of the story gives the details.", "A second paragraph adds background."},
		Tags: []news.Tag{freshTag}, Authors: []string{"Reporter One"},
	}
	at := time.Now()
	r.site.Publish(a)
	return id, at
}

// republish changes an English story already on the site.
func (r *rig) republish(id int64, change func(*upravdatest.Article)) time.Time {
	r.tb.Helper()
	a, ok := r.site.Published(news.English, id)
	if !ok {
		r.tb.Fatalf("story %d is not on the site", id)
	}
	change(&a)
	at := time.Now()
	r.site.Publish(a)
	return at
}

// isSend reports whether s is a new message (not an edit).
func isSend(s telegramtest.Sent) bool { return s.Method != "editMessageText" }

// with returns the messages (not edits) that show headline, in the order
// the fake recorded them; chat 0 means every chat.
func (r *rig) with(chat int64, headline string) []telegramtest.Sent {
	all := r.tg.Sent()
	if chat != 0 {
		all = r.tg.SentTo(chat)
	}
	var out []telegramtest.Sent
	for _, s := range all {
		if isSend(s) && strings.Contains(s.Plain, headline) {
			out = append(out, s)
		}
	}
	return out
}

// firstWith waits for the first message showing headline, in any chat.
func (r *rig) firstWith(headline string, timeout time.Duration) telegramtest.Sent {
	r.tb.Helper()
	r.await("a message with "+headline, timeout, func() bool { return len(r.with(0, headline)) > 0 })
	return r.with(0, headline)[0]
}

// latencies summarises publish → first message.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1 // nearest rank
	return s[min(max(i, 0), len(s)-1)]
}

func (l latencies) String() string {
	return fmt.Sprintf("p50 %.2fs, p95 %.2fs, max %.2fs over %d stories",
		l.quantile(0.5).Seconds(), l.quantile(0.95).Seconds(), l.quantile(1).Seconds(), len(l))
}

// freshness publishes n stories at random moments spread over about n
// polls (the moments are the workload, drawn from rng: they are not waits
// for the bot) and returns each one's publish → first subscriber message,
// as the fake recorded its arrival. Every reader follows the stories' tag
// and must get each story exactly once.
func (r *rig) freshness(n int, rng *rand.Rand, readers []int64) latencies {
	r.tb.Helper()
	span := time.Duration(n) * r.interval
	moments := make([]time.Duration, n)
	for i := range moments {
		moments[i] = time.Duration(rng.Int64N(int64(span)))
	}
	slices.Sort(moments)
	heads := make([]string, n)
	at := make([]time.Time, n)
	begin := time.Now()
	for i, m := range moments {
		if d := time.Until(begin.Add(m)); d > 0 {
			<-time.After(d) // the next publication moment
		}
		heads[i] = fmt.Sprintf("Freshness story number %02d about Russia", i+1)
		_, at[i] = r.publish(heads[i], false)
	}
	out := make(latencies, n)
	for i, h := range heads {
		first := r.firstWith(h, r.interval+30*time.Second)
		out[i] = first.At.Sub(at[i])
	}
	// Every reader gets every story, once (a story may share a digest
	// with another published in the same poll).
	for _, h := range heads {
		for _, c := range readers {
			r.await(fmt.Sprintf("%q to reach chat %d", h, c), r.interval+30*time.Second,
				func() bool { return len(r.with(c, h)) > 0 })
		}
	}
	r.waitPolls(1)
	for _, h := range heads {
		for _, c := range readers {
			if got := len(r.with(c, h)); got != 1 {
				r.tb.Errorf("chat %d got %q %d times, want once", c, h, got)
			}
		}
	}
	return out
}

// Scenario A, scaled for CI: a few stories published at random moments
// reach their readers within POLL_INTERVAL + 5 s although the feeds say
// <ttl>60</ttl> (the full figures come from BenchmarkFreshness).
func TestFreshnessEndToEnd(t *testing.T) {
	r := newRig(t, ciPollInterval)
	r.start()
	readers := []int64{
		r.reader(3001, "/start", "/subscribe Russia"),
		r.reader(3002, "/start", "/subscribe Russia"),
		r.reader(3003, "/start", "/subscribe Russia", "/breaking on"),
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("publication moments drawn with seed %d", seed)
	lat := r.freshness(4, rand.New(rand.NewPCG(seed, 9)), readers)
	t.Logf("publish → first message at POLL_INTERVAL=%s: %s", r.interval, lat)
	if limit := r.interval + 5*time.Second; lat.quantile(1) > limit {
		t.Errorf("slowest story took %s from publication to its first message, want ≤ %s (POLL_INTERVAL + 5s); all: %v",
			lat.quantile(1), limit, []time.Duration(lat))
	}
}

// Scenario B: a story in view_news only, moved into view_mainnews three
// polls after it was announced, reaches every breaking subscriber once,
// with sound, within POLL_INTERVAL + 2 s of the promotion; a reader who
// already got it silently is not sent it again.
func TestPromotionEndToEnd(t *testing.T) {
	r := newRig(t, ciPollInterval)
	r.start()
	breaking := []int64{r.reader(3101, "/start", "/breaking on"), r.reader(3102, "/start", "/breaking on")}
	both := r.reader(3103, "/start", "/subscribe Russia", "/breaking on")
	tagOnly := r.reader(3104, "/start", "/subscribe Russia", "/breaking off")

	const head = "A story the editors promote later"
	id, _ := r.publish(head, false)
	r.firstWith(head, r.interval+30*time.Second)
	for _, c := range []int64{both, tagOnly} {
		r.await(fmt.Sprintf("the story to reach tag subscriber %d", c), 30*time.Second,
			func() bool { return len(r.with(c, head)) == 1 })
		if s := r.with(c, head)[0]; !s.Silent {
			t.Errorf("chat %d got the ordinary story with sound", c)
		}
	}
	for _, c := range breaking {
		if got := r.with(c, head); len(got) != 0 {
			t.Fatalf("breaking subscriber %d got the story before its promotion: %q", c, got[0].Plain)
		}
	}
	r.waitPolls(3) // three polls see it in view_news only

	promoted := r.republish(id, func(a *upravdatest.Article) { a.Important = true })
	for _, c := range breaking {
		r.await(fmt.Sprintf("the promoted story to reach breaking subscriber %d", c), r.interval+30*time.Second,
			func() bool { return len(r.with(c, head)) > 0 })
		s := r.with(c, head)[0]
		if s.Silent {
			t.Errorf("chat %d got the promoted story silently, want a breaking alert with sound", c)
		}
		mustContain(t, "promoted story", s.Plain, "Breaking", head)
		t.Logf("chat %d: promotion → breaking alert %.2fs", c, s.At.Sub(promoted).Seconds())
		if d, limit := s.At.Sub(promoted), r.interval+2*time.Second; d > limit {
			t.Errorf("chat %d got the promoted story %s after the promotion, want ≤ %s (POLL_INTERVAL + 2s)", c, d, limit)
		}
	}
	r.waitPolls(2)
	for _, c := range append(breaking, both, tagOnly) {
		if got := len(r.with(c, head)); got != 1 {
			t.Errorf("chat %d got the story %d times, want once", c, got)
		}
	}
}

// Scenario C: a headline changed after delivery: every copy sent is
// edited once, in place, and nothing new is sent.
func TestCorrectionEndToEnd(t *testing.T) {
	r := newRig(t, ciPollInterval)
	r.start()
	readers := []int64{
		r.reader(3201, "/start", "/subscribe Russia"),
		r.reader(3202, "/start", "/subscribe Russia"),
		r.reader(3203, "/start", "/subscribe Russia", "/breaking on"),
	}
	const head = "Parliament pases the budget"
	const fixed = "Parliament passes the 2027 budget"
	id, _ := r.publish(head, false)
	copies := map[int64]telegramtest.Sent{}
	for _, c := range readers {
		r.await(fmt.Sprintf("the story to reach chat %d", c), r.interval+30*time.Second,
			func() bool { return len(r.with(c, head)) > 0 })
		copies[c] = r.with(c, head)[0]
	}
	r.waitPolls(1)
	before := len(r.tg.Sent())

	changed := r.republish(id, func(a *upravdatest.Article) { a.Headline = fixed })
	edits := func(c int64) []telegramtest.Sent {
		var out []telegramtest.Sent
		for _, s := range r.tg.SentTo(c) {
			if s.Method == "editMessageText" && s.MessageID == copies[c].MessageID {
				out = append(out, s)
			}
		}
		return out
	}
	for _, c := range readers {
		r.await(fmt.Sprintf("the copy in chat %d to be edited", c), r.interval+30*time.Second,
			func() bool { return len(edits(c)) > 0 })
		mustContain(t, "edited copy", edits(c)[0].Plain, fixed)
		t.Logf("chat %d: headline change → edit %.2fs", c, edits(c)[0].At.Sub(changed).Seconds())
	}
	r.waitPolls(2)
	for _, c := range readers {
		if n := len(edits(c)); n != 1 {
			t.Errorf("the copy in chat %d was edited %d times, want once", c, n)
		}
	}
	for _, s := range r.tg.Sent()[before:] {
		if isSend(s) {
			t.Errorf("after the correction chat %d was sent a new message: %q", s.ChatID, s.Plain)
		}
		if !isSend(s) && s.MessageID != copies[s.ChatID].MessageID {
			t.Errorf("after the correction chat %d had message %d edited, want only %d", s.ChatID, s.MessageID, copies[s.ChatID].MessageID)
		}
	}
}
