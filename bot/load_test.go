package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"newsbot/bot"
	"newsbot/internal/delivery"
	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// loadHarness is the bot and the delivery engine sharing one budget, as
// internal/app wires them, against the strict fake Bot API.
type loadHarness struct {
	t      *testing.T
	tg     *telegramtest.Server
	store  *store.Store
	engine *delivery.Engine
}

func newLoadHarness(t *testing.T, rtt time.Duration) *loadHarness {
	t.Helper()
	if testing.Short() {
		t.Skip("load test")
	}
	srv := redistest.Start(t)
	st := store.New(srv.Client(), store.Options{})
	opts := telegramtest.Strict(rtt)
	opts.Token, opts.BotUserName = token, "newsbot_test_bot"
	tg := telegramtest.NewServer(opts)
	t.Cleanup(tg.Close)
	ctx, cancel := context.WithCancel(context.Background())
	client, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: tg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat := i18n.MustLoad()
	e, err := delivery.New(delivery.Config{Rate: telegramtest.StrictLimit, PollInterval: 50 * time.Millisecond, Logger: log},
		st, queue.New(st.Client(), st.Key("delivery")), client, bot.NewRenderer(cat))
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(e.Replies(client), st, nil, cat, bot.Config{UserName: "newsbot_test_bot", Logger: log, PollTimeout: time.Second})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = e.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := b.Poll(ctx); err != nil {
			t.Errorf("Poll: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := range 5 {
		a := &news.Article{ID: int64(9000 + i), Edition: news.English, Headline: fmt.Sprintf("Story %d", i),
			URL:       fmt.Sprintf("https://www.pravda.com.ua/eng/news/2026/11/25/%d/", 9000+i),
			Published: time.Now().Add(-time.Duration(i) * time.Minute), Tags: []news.Tag{{Slug: "war", Name: "War"}}}
		if err := st.SaveArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return &loadHarness{t: t, tg: tg, store: st, engine: e}
}

// broadcast stores n readers from first on and broadcasts to them.
func (h *loadHarness) broadcast(first int64, n int) {
	h.t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := h.store.UpdateChat(ctx, first+int64(i), func(c *news.Chat, _ bool) error {
			c.Lang, c.LangChosen = news.English, true
			return nil
		}); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.engine.Broadcast(ctx, "Maintenance tonight"); err != nil {
		h.t.Fatal(err)
	}
	deadline, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := h.tg.WaitSent(deadline, first, 1); err != nil {
		h.t.Fatalf("the broadcast did not start: %v", err)
	}
}

func (h *loadHarness) waitAnswer(chat int64, n int, within time.Duration) []telegramtest.Sent {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	got, err := h.tg.WaitSent(ctx, chat, n)
	if err != nil {
		h.t.Errorf("chat %d: %v", chat, err)
	}
	return got
}

func reader(id int64) (telegramtest.User, telegramtest.Chat) {
	return telegramtest.User{ID: id, FirstName: "Reader", LanguageCode: "en"}, telegramtest.Chat{ID: id, Type: "private"}
}

func TestLoadLatestFrom60ChatsDuringABroadcast(t *testing.T) {
	h := newLoadHarness(t, 50*time.Millisecond)
	h.broadcast(100000, 300)
	for id := int64(1); id <= 60; id++ {
		u, c := reader(id)
		h.tg.SendText(u, c, "/latest")
	}
	for id := int64(1); id <= 60; id++ {
		got := h.waitAnswer(id, 1, 15*time.Second)
		if len(got) == 1 && !strings.Contains(got[0].Text, "Story 0") {
			t.Errorf("chat %d: the answer to /latest is %q", id, got[0].Text)
		}
	}
	if st := h.tg.Stats(); st.TooManyRequests != 0 {
		t.Errorf("%d × 429 (global %d, chat %d), want 0", st.TooManyRequests, st.FloodGlobal, st.FloodChat)
	}
}

func TestLoadFloodingChatHoldsNoOneUp(t *testing.T) {
	h := newLoadHarness(t, 50*time.Millisecond)
	flooder, fc := reader(1)
	start := time.Now()
	for i := 0; i < 200; i++ {
		h.tg.SendText(flooder, fc, "/help")
	}
	other, oc := reader(2)
	asked := time.Now()
	h.tg.SendText(other, oc, "/start")
	h.waitAnswer(2, 1, 2*time.Second)
	t.Logf("200 commands sent in %v; the other reader's /start answered after %v", asked.Sub(start), time.Since(asked))
	// The flooder is told once, before its queued replies.
	got := h.waitAnswer(1, 3, 5*time.Second)
	slow := i18n.MustLoad().T(news.English, "flood.slow_down")
	notices := 0
	for _, m := range got {
		if strings.Contains(m.Text, slow) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the flooding chat got %d slow-down notices among its first messages, want 1", notices)
	}
	if st := h.tg.Stats(); st.TooManyRequests != 0 {
		t.Errorf("%d × 429 (global %d, chat %d), want 0", st.TooManyRequests, st.FloodGlobal, st.FloodChat)
	}
}

func TestLoadReplyWaitsOutA429(t *testing.T) {
	h := newLoadHarness(t, 50*time.Millisecond)
	h.tg.FailNext("sendMessage", 429, "Too Many Requests: retry after 2", 1)
	u, c := reader(7)
	asked := time.Now()
	h.tg.SendText(u, c, "/start")
	got := h.waitAnswer(7, 1, 10*time.Second)
	if waited := time.Since(asked); waited < 2*time.Second {
		t.Errorf("the reply came %v after the command, before retry_after (2 s) was over", waited)
	}
	if len(got) == 1 && strings.Contains(got[0].Text, i18n.MustLoad().T(news.English, "error.internal")) {
		t.Errorf("the reply was replaced by an error message: %q", got[0].Text)
	}
	st := h.tg.Stats()
	if st.InsideRetryAfter != 0 || st.Delivered != 1 {
		t.Errorf("%d requests inside retry_after and %d messages delivered; want 0 and 1 (the reply)", st.InsideRetryAfter, st.Delivered)
	}
}
