package app

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/source/upravda/upravdatest"
	"newsbot/internal/store"
	"newsbot/internal/telegram/telegramtest"
)

const testToken = "123456789:AAE2eTestTokenForTheFakeBotAPI_0123"

// syncBuffer collects a process's log output across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is one running newsbot, started through Run as main would.
type process struct {
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
}

func start(t *testing.T, env map[string]string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	getenv := func(k string) string { return env[k] }
	go func() { p.done <- Run(ctx, []string{"run"}, getenv, p.logs, p.logs) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends the equivalent of SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case code := <-p.done:
		if code != 0 {
			t.Errorf("newsbot exited with %d; log:\n%s", code, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("newsbot did not stop within 30s; log:\n%s", p.logs)
	}
}

type world struct {
	site *upravdatest.Site
	tg   *telegramtest.Server
	env  map[string]string
}

func newWorld(t *testing.T, redisURL string) *world {
	site := upravdatest.New()
	t.Cleanup(site.Close)
	tg := telegramtest.NewServer(telegramtest.Options{Token: testToken})
	t.Cleanup(tg.Close)
	return &world{site: site, tg: tg, env: map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken,
		"TELEGRAM_API_URL":   tg.URL(),
		"UPRAVDA_BASE_URL":   site.URL(),
		"REDIS_URL":          redisURL,
		"DATA_DIR":           t.TempDir(),
		"POLL_INTERVAL":      "1s",
		"HTTP_ADDR":          "off",
		"LOG_LEVEL":          "debug",
	}}
}

var kyivZone = time.FixedZone("EET", 2*60*60)

func article(id int64, ed news.Lang, headline string, tags ...news.Tag) upravdatest.Article {
	return upravdatest.Article{
		ID: id, Edition: ed, Family: "news", Headline: headline,
		Lead: headline + " — the lead. It says what happened in two sentences.",
		Body: []string{"The first paragraph of the story gives the details.", "A second paragraph adds background."},
		Tags: tags, Authors: []string{"Reporter One"},
		Published: time.Date(2026, 11, 25, 10, int(id%60), 0, 0, kyivZone),
	}
}

// feedPolls counts how often the English news feed was read.
func (w *world) feedPolls() int { return w.site.Requests("/eng/rss/view_news/") }

// waitPolls waits until n more full polls have finished: a round of polls
// starts only when the previous one has finished for every edition, so
// the feed's (n+1)th request from now means n rounds are complete.
func (w *world) waitPolls(t *testing.T, n int) {
	t.Helper()
	target := w.feedPolls() + n + 1
	deadline := time.Now().Add(30 * time.Second)
	for w.feedPolls() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the site was not polled %d more times within 30s", n+1)
		}
		time.Sleep(20 * time.Millisecond) // polling the counter, not waiting for time to pass
	}
}

// waitQueueDrained waits until delivery owes nothing to anyone and has
// nothing in flight: after it, no message of what was queued can still
// arrive (the barrier for "and nothing more was sent" checks). It reads
// the queue's keys in the world's Redis.
func (w *world) waitQueueDrained(t *testing.T) {
	t.Helper()
	rdb, err := store.Open(context.Background(), w.env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	prefix := store.DefaultPrefix + "{delivery}:"
	waitFor(t, "the delivery queue to drain", func() bool {
		ctx := context.Background()
		owed, err1 := rdb.HLen(ctx, prefix+"owed").Result()
		inflight, err2 := rdb.ZCard(ctx, prefix+"inflight").Result()
		return err1 == nil && err2 == nil && owed == 0 && inflight == 0
	})
}

type reader struct {
	w    *world
	user telegramtest.User
	chat telegramtest.Chat
}

func (w *world) reader(id int64, lang string) *reader {
	return &reader{w: w, user: telegramtest.User{ID: id, FirstName: "Reader", LanguageCode: lang},
		chat: telegramtest.Chat{ID: id, Type: "private"}}
}

// say sends text and returns the bot's next message to this chat.
func (r *reader) say(t *testing.T, text string) telegramtest.Sent {
	t.Helper()
	n := len(r.w.tg.SentTo(r.chat.ID))
	r.w.tg.SendText(r.user, r.chat, text)
	return r.next(t, n)
}

func (r *reader) next(t *testing.T, already int) telegramtest.Sent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sent, err := r.w.tg.WaitSent(ctx, r.chat.ID, already+1)
	if err != nil {
		t.Fatalf("no answer from the bot to chat %d: %v", r.chat.ID, err)
	}
	return sent[already]
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q; want it to contain %q", what, got, w)
		}
	}
}

func TestEndToEndRedis(t *testing.T) {
	srv := redistest.Start(t)
	runEndToEnd(t, newWorld(t, srv.URL()))
}

func TestEndToEndEmbeddedStore(t *testing.T) {
	runEndToEnd(t, newWorld(t, ""))
}

func runEndToEnd(t *testing.T, w *world) {
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	sport := news.Tag{Slug: "sport", Name: "Sport"}
	w.site.Publish(article(8060001, news.English, "An older story about Russia", russia))
	w.site.Publish(article(8060002, news.English, "An older story about sport", sport))
	w.site.Publish(article(8060003, news.Ukrainian, "Стара новина", news.Tag{Slug: "russia", Name: "Росія"}))

	p := start(t, w.env)
	w.waitPolls(t, 1) // the first poll stores what is listed, announcing nothing

	alice := w.reader(1001, "uk")
	got := alice.say(t, "/start")
	mustContain(t, "/start reply", got.Text, "Вітаю")
	mustContain(t, "/start keyboard", string(got.ReplyMarkup), "lang:en", "English")
	got = alice.say(t, "/language en")
	mustContain(t, "/language reply", got.Text, "English")
	got = alice.say(t, "/subscribe RUSSIA")
	mustContain(t, "/subscribe reply", got.Text, "Russia")
	got = alice.say(t, "/latest")
	mustContain(t, "/latest reply", got.Text, "An older story about Russia", "An older story about sport")

	bob := w.reader(1002, "en")
	bob.say(t, "/start")
	bob.say(t, "/subscribe Sport")
	w.waitPolls(t, 1)
	if n := len(w.tg.Sent()); n != 6 {
		t.Fatalf("before any new story the bot sent %d messages, want 6 replies (old news announced?)", n)
	}

	// A new story with the tag reaches Alice once; one without reaches nobody.
	aliceBefore := len(w.tg.SentTo(alice.chat.ID))
	bobBefore := len(w.tg.SentTo(bob.chat.ID))
	w.site.Publish(article(8060010, news.English, "Russia launches a new attack", russia))
	w.site.Publish(article(8060011, news.English, "A story nobody follows", news.Tag{Slug: "weather", Name: "Weather"}))
	msg := alice.next(t, aliceBefore)
	mustContain(t, "announcement", msg.Text, "<b>Russia launches a new attack</b>", "the lead", "Russia",
		`href="`+w.site.URL()+`/eng/news/`, "/8060010/")
	if !msg.Silent {
		t.Error("a normal announcement should be silent (disable_notification)")
	}
	w.waitPolls(t, 2)
	if n := len(w.tg.SentTo(alice.chat.ID)); n != aliceBefore+1 {
		t.Errorf("Alice got %d messages after the story, want exactly 1", n-aliceBefore)
	}
	if n := len(w.tg.SentTo(bob.chat.ID)); n != bobBefore {
		t.Errorf("Bob (follows Sport) got %d messages, want 0", n-bobBefore)
	}
	for _, s := range w.tg.Sent() {
		if strings.Contains(s.Text, "A story nobody follows") {
			t.Errorf("the untagged story reached chat %d", s.ChatID)
		}
	}
	got = alice.say(t, "/latest 3")
	mustContain(t, "/latest after the story", got.Text, "Russia launches a new attack")

	// After a restart on the same store, nothing is announced again and the
	// subscriptions are still there.
	p.stop(t)
	total := len(w.tg.Sent())
	start(t, w.env)
	w.waitPolls(t, 2)
	if n := len(w.tg.Sent()); n != total {
		for _, s := range w.tg.Sent()[total:] {
			t.Logf("sent after restart to %d: %q", s.ChatID, s.Text)
		}
		t.Fatalf("after the restart the bot sent %d messages, want 0", n-total)
	}
	got = alice.say(t, "/mysubs")
	mustContain(t, "/mysubs after restart", got.Text, "Russia", "English")

	// And the next story still arrives.
	aliceBefore = len(w.tg.SentTo(alice.chat.ID))
	w.site.Publish(article(8060020, news.English, "Russia after the restart", russia))
	msg = alice.next(t, aliceBefore)
	mustContain(t, "announcement after restart", msg.Text, "Russia after the restart")
	if strings.Contains(p.logs.String(), testToken) {
		t.Error("the token appears in the log")
	}
}
