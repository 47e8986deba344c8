package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
)

// textRenderer is a hand-written Renderer whose output is easy to check:
// every article shows as "[ed/id]" so tests can count deliveries per
// article from the text alone.
type textRenderer struct{}

func articleMark(a *news.Article) string { return fmt.Sprintf("[%s/%d]", a.Edition, a.ID) }

func (textRenderer) Article(a *news.Article, lang news.Lang, breaking bool) telegram.Message {
	prefix := ""
	if breaking {
		prefix = "<b>BREAKING</b> "
	}
	return telegram.Message{Text: prefix + articleMark(a) + " " + escape(a.Headline) + "\n" + a.URL,
		ParseMode: "HTML", Silent: !breaking}
}

func (textRenderer) Digest(as []*news.Article, lang news.Lang, breaking bool) telegram.Message {
	var b strings.Builder
	if breaking {
		b.WriteString("<b>BREAKING</b> ")
	}
	fmt.Fprintf(&b, "%d new (%s):", len(as), lang)
	for _, a := range as {
		b.WriteString("\n" + articleMark(a) + " " + escape(a.Headline))
	}
	return telegram.Message{Text: b.String(), ParseMode: "HTML", Silent: !breaking}
}

func (textRenderer) Announcement(text string, lang news.Lang) telegram.Message {
	return telegram.Message{Text: "[bc:" + string(lang) + "] " + escape(text), ParseMode: "HTML"}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

func (textRenderer) Plain(m telegram.Message) telegram.Message {
	m.Text = tagRE.ReplaceAllString(m.Text, "")
	m.ParseMode = ""
	return m
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var markRE = regexp.MustCompile(`\[(uk|ru|en)/(\d+)\]`)

// marks returns the article marks ("[uk/1]") in a message text.
func marks(text string) []string { return markRE.FindAllString(text, -1) }

// sentMsg is one message given to fakeSender.
type sentMsg struct {
	m  telegram.Message
	at time.Time
}

// fakeSender is a hand-written Sender: fn decides each answer (nil: every
// send succeeds); every call is recorded, successful or not.
type fakeSender struct {
	mu    sync.Mutex
	fn    func(n int, m telegram.Message) error // n counts calls from 1
	calls []sentMsg
	ok    []sentMsg
}

func (f *fakeSender) Send(ctx context.Context, m telegram.Message) (int, error) {
	f.mu.Lock()
	f.calls = append(f.calls, sentMsg{m: m, at: time.Now()})
	n := len(f.calls)
	fn := f.fn
	f.mu.Unlock()
	var err error
	if fn != nil {
		err = fn(n, m)
	}
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	f.ok = append(f.ok, sentMsg{m: m, at: time.Now()})
	id := len(f.ok)
	f.mu.Unlock()
	return id, nil
}

func (f *fakeSender) delivered() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMsg(nil), f.ok...)
}

func (f *fakeSender) attempts() []sentMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMsg(nil), f.calls...)
}

// to returns the successful sends to one chat.
func (f *fakeSender) to(chat int64) []sentMsg {
	var out []sentMsg
	for _, s := range f.delivered() {
		if s.m.ChatID == chat {
			out = append(out, s)
		}
	}
	return out
}

func tgErr(k telegram.Kind, desc string) *telegram.Error {
	return &telegram.Error{Kind: k, Description: desc, Method: "sendMessage"}
}

func realRedis(t *testing.T) redis.UniversalClient { return redistest.Start(t).Client() }

func miniRedis(t *testing.T) redis.UniversalClient {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DELIVERY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newStore(rdb redis.UniversalClient) *store.Store {
	return store.New(rdb, store.Options{Prefix: "t:", Logger: slog.New(slog.DiscardHandler)})
}

// queueOf returns the queue on st's Redis under st.Key("delivery"), as
// the app builds it.
func queueOf(st *store.Store) *queue.Queue { return queue.New(st.Client(), st.Key("delivery")) }

// queueOn is queueOf on a store with the tests' prefix.
func queueOn(rdb redis.UniversalClient) *queue.Queue { return queueOf(newStore(rdb)) }

// late returns how many send slots e's limiter voided as too late.
func late(e *Engine) int64 { return e.lim.(*queue.Limiter).Late() }

// seedChat creates an active chat following tags in lang.
func seedChat(t testing.TB, st *store.Store, id int64, lang news.Lang, breaking bool, tags ...string) {
	t.Helper()
	_, err := st.UpdateChat(context.Background(), id, func(c *news.Chat, created bool) error {
		c.Lang, c.LangChosen, c.Breaking, c.Tags = lang, true, breaking, tags
		c.Group = news.IsGroupID(id)
		return nil
	})
	if err != nil {
		t.Fatalf("seed chat %d: %v", id, err)
	}
}

// seedChats creates chats first..first+n-1, concurrently.
func seedChats(t testing.TB, st *store.Store, first int64, n int, lang news.Lang, breaking bool, tags ...string) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				_, err := st.UpdateChat(context.Background(), ids[i], func(c *news.Chat, created bool) error {
					c.Lang, c.LangChosen, c.Breaking, c.Tags = lang, true, breaking, tags
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("seed chats: %v", err)
	}
	return ids
}

func article(ed news.Lang, id int64, important bool, tags ...string) *news.Article {
	a := &news.Article{ID: id, Edition: ed, Important: important,
		URL:       fmt.Sprintf("https://www.pravda.com.ua/news/2026/01/01/%d/", id),
		Headline:  fmt.Sprintf("Headline %d", id),
		Published: time.Now().Add(-time.Minute)}
	for _, s := range tags {
		a.Tags = append(a.Tags, news.Tag{Slug: s, Name: strings.ToUpper(s)})
	}
	return a
}

// testConfig is a fast configuration for tests.
func testConfig(t testing.TB) Config {
	return Config{
		Rate:         1000,
		ChatInterval: 50 * time.Millisecond,
		Workers:      4,
		Lease:        3 * time.Second,
		Backoff:      20 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
		Logger:       testLogger(t),
	}
}

// runEngine runs e until the test ends; stop stops it and waits.
func runEngine(t testing.TB, e *Engine) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitDrained waits until the queue has nothing pending or in flight.
func waitDrained(t testing.TB, e *Engine, timeout time.Duration) Stats {
	t.Helper()
	var s Stats
	waitFor(t, timeout, "the queue to drain", func() bool {
		var err error
		s, err = e.Stats(context.Background())
		if err != nil {
			t.Logf("stats: %v", err)
			return false
		}
		return s.Pending == 0 && s.InFlight == 0 && s.Waiting() == 0
	})
	return s
}
