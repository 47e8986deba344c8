package delivery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
)

// newTestEngine returns an engine on a fresh real Redis with a fake sender.
func newTestEngine(t *testing.T, cfg Config, s Sender) (*Engine, *store.Store) {
	t.Helper()
	st := newStore(realRedis(t))
	e, err := New(cfg, st, queueOf(st), s, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}

func mustAnnounce(t testing.TB, e *Engine, a *news.Article) int {
	t.Helper()
	n, err := e.Announce(context.Background(), a)
	if err != nil {
		t.Fatalf("Announce %s/%d: %v", a.Edition, a.ID, err)
	}
	return n
}

// drainClaims claims everything due and returns chat → priority of its
// first item.
func drainClaims(t *testing.T, e *Engine) map[int64]int {
	t.Helper()
	got := map[int64]int{}
	for {
		res, err := e.q.Claim(context.Background(), time.Now(), "t", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != queue.Got {
			return got
		}
		got[res.Claim.Chat] = res.Claim.Items[0].Prio
	}
}

func TestAnnounceFansOutToTagBreakingAndKeywordReaders(t *testing.T) {
	e, st := newTestEngine(t, testConfig(t), &fakeSender{})
	ctx := context.Background()
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	seedChat(t, st, 2, news.Ukrainian, false, "war", "economy")
	seedChat(t, st, 3, news.Ukrainian, true)        // breaking only
	seedChat(t, st, 4, news.Ukrainian, true, "war") // both: breaking wins
	seedChat(t, st, 5, news.Russian, true, "war")   // other edition
	seedChat(t, st, 6, news.Ukrainian, false, "sport")
	seedChat(t, st, -7, news.Ukrainian, false, "economy")
	for id, kw := range map[int64]string{8: "зеленськ", 9: "нато"} {
		if _, err := st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
			c.Lang, c.Keywords = news.Ukrainian, []string{kw}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	seedChat(t, st, 10, news.Ukrainian, true, "war")
	if _, err := st.UpdateChat(ctx, 10, func(c *news.Chat, _ bool) error { c.Inactive = true; return nil }); err != nil {
		t.Fatal(err)
	}

	a := article(news.Ukrainian, 100, true, "war", "economy")
	a.Headline = "Зеленському доповіли про фронт"
	if n := mustAnnounce(t, e, a); n != 6 {
		t.Errorf("Announce = %d recipients, want 6", n)
	}
	// Idempotent: the second call reports the same and queues nothing.
	if n := mustAnnounce(t, e, a); n != 6 {
		t.Errorf("second Announce = %d, want 6", n)
	}
	s, _ := e.Stats(ctx)
	if s.Pending != 6 {
		t.Errorf("pending = %d, want 6", s.Pending)
	}
	want := map[int64]int{1: prioNormal, 2: prioNormal, 3: prioBreaking, 4: prioBreaking, -7: prioNormal, 8: prioNormal}
	if diff := cmp.Diff(want, drainClaims(t, e)); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	// The article was saved for the senders.
	if _, err := st.Article(ctx, news.Ukrainian, 100); err != nil {
		t.Errorf("article not saved: %v", err)
	}
}

func TestAnnounceNotImportantSkipsBreakingOnlyReaders(t *testing.T) {
	e, st := newTestEngine(t, testConfig(t), &fakeSender{})
	seedChat(t, st, 1, news.English, true)
	seedChat(t, st, 2, news.English, true, "war")
	if n := mustAnnounce(t, e, article(news.English, 5, false, "war")); n != 1 {
		t.Errorf("recipients = %d, want 1", n)
	}
	if diff := cmp.Diff(map[int64]int{2: prioNormal}, drainClaims(t, e)); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
}

func TestAnnounceCompletesAnInterruptedFanOut(t *testing.T) {
	e, st := newTestEngine(t, testConfig(t), &fakeSender{})
	seedChats(t, st, 1, 1200, news.Ukrainian, false, "war")
	a := article(news.Ukrainian, 42, false, "war")
	// A first run got through one batch before its process died: some
	// chats are queued, one was even delivered already.
	part := map[int64]int{}
	for id := int64(1); id <= 500; id++ {
		part[id] = prioNormal
	}
	if _, err := e.q.Enqueue(context.Background(), time.Now(), "uk:42", part); err != nil {
		t.Fatal(err)
	}
	res, _ := e.q.Claim(context.Background(), time.Now(), "t", time.Minute)
	if _, err := e.q.Finish(context.Background(), time.Now(), res.Claim, queue.Outcome{Sent: []string{"uk:42"}, Messages: 1}); err != nil {
		t.Fatal(err)
	}
	if n := mustAnnounce(t, e, a); n != 1200 {
		t.Errorf("recipients = %d, want 1200", n)
	}
	s, _ := e.Stats(context.Background())
	if s.Pending != 1199 || s.Delivered != 1 {
		t.Errorf("stats = %+v, want 1199 pending and 1 delivered", s)
	}
}

func TestAnnounceRejectsBadArticles(t *testing.T) {
	e, _ := newTestEngine(t, testConfig(t), &fakeSender{})
	for _, a := range []*news.Article{nil, {ID: 1}, {ID: 0, Edition: news.English}, {ID: 1, Edition: "de"}} {
		if _, err := e.Announce(context.Background(), a); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("Announce(%+v) = %v, want ErrInvalid", a, err)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	st := newStore(miniRedis(t))
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative rate", Config{Rate: -1}},
		{"negative workers", Config{Workers: -2}},
		{"short lease", Config{Lease: time.Second}},
		{"negative backoff", Config{Backoff: -time.Second}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg, st, queueOf(st), &fakeSender{}, textRenderer{}); !errors.Is(err, news.ErrInvalid) {
			t.Errorf("%s: New = %v, want ErrInvalid", tt.name, err)
		}
	}
	if _, err := New(Config{}, st, queueOf(st), nil, textRenderer{}); !errors.Is(err, news.ErrInvalid) {
		t.Errorf("New without sender = %v, want ErrInvalid", err)
	}
	e, err := New(Config{PaidBroadcast: true}, st, queueOf(st), &fakeSender{}, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	if e.cfg.Workers != DefaultPaidWorkers || e.paidIv != rateInterval(DefaultPaidRate-DefaultRate) {
		t.Errorf("paid defaults: workers %d, paid interval %v", e.cfg.Workers, e.paidIv)
	}
}

func TestEngineCoalescesAndSetsSound(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, true, "war")
	seedChat(t, st, 2, news.Ukrainian, false, "war")
	// Three articles wait for chat 1 (one breaking) before the senders run.
	mustAnnounce(t, e, article(news.Ukrainian, 11, false, "war"))
	mustAnnounce(t, e, article(news.Ukrainian, 12, false, "war"))
	mustAnnounce(t, e, article(news.Ukrainian, 13, true, "war"))
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)

	got1 := f.to(1)
	if len(got1) != 1 {
		t.Fatalf("chat 1 got %d messages, want 1 digest", len(got1))
	}
	if diff := cmp.Diff([]string{"[uk/13]", "[uk/11]", "[uk/12]"}, marks(got1[0].m.Text)); diff != "" {
		t.Errorf("digest articles, breaking first (-want +got):\n%s", diff)
	}
	if got1[0].m.Silent {
		t.Error("a digest with a breaking article was silent")
	}
	// Chat 2 does not follow breaking news: the important article comes
	// silently, coalesced with the rest.
	got2 := f.to(2)
	if len(got2) != 1 || !got2[0].m.Silent || len(marks(got2[0].m.Text)) != 3 {
		t.Errorf("chat 2 got %+v, want one silent digest of 3", got2)
	}
	if s.Delivered != 6 || s.Messages != 2 {
		t.Errorf("stats = %+v, want 6 delivered in 2 messages", s)
	}
}

func TestEngineBreakingGoesFirst(t *testing.T) {
	f := &fakeSender{}
	cfg := testConfig(t)
	cfg.Rate = 200
	cfg.Workers = 2
	e, st := newTestEngine(t, cfg, f)
	seedChats(t, st, 1, 200, news.Ukrainian, false, "war")
	seedChats(t, st, 1001, 20, news.Ukrainian, true)
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
	mustAnnounce(t, e, article(news.Ukrainian, 2, true))
	runEngine(t, e)
	waitDrained(t, e, 20*time.Second)
	got := f.delivered()
	if len(got) != 220 {
		t.Fatalf("delivered %d, want 220", len(got))
	}
	for i, s := range got[:20] {
		if s.m.ChatID < 1001 || s.m.Silent {
			t.Fatalf("message %d went to %d (silent %v) before the breaking alerts were out", i, s.m.ChatID, s.m.Silent)
		}
	}
}

func TestEngineSkipsInactiveChatsWithoutSending(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	seedChat(t, st, 2, news.Ukrainian, false, "war")
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
	// Chat 2 left after the fan-out.
	if _, err := st.UpdateChat(context.Background(), 2, func(c *news.Chat, _ bool) error { c.Inactive = true; return nil }); err != nil {
		t.Fatal(err)
	}
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)
	if n := len(f.attempts()); n != 1 {
		t.Errorf("%d sends, want 1 (no send to the inactive chat)", n)
	}
	if s.Dropped != 1 || s.Delivered != 1 {
		t.Errorf("stats = %+v, want 1 dropped, 1 delivered", s)
	}
}

func TestEngineDropsNewsForUnknownChats(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
	// A chat the store does not know (deleted after the fan-out).
	if _, err := e.q.Enqueue(context.Background(), time.Now(), "uk:1", map[int64]int{99: prioNormal}); err != nil {
		t.Fatal(err)
	}
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)
	if len(f.attempts()) != 1 || s.Dropped != 1 || s.Delivered != 1 {
		t.Errorf("calls %d, stats %+v; want 1 send and 1 drop", len(f.attempts()), s)
	}
}

func TestBroadcastReachesActiveChatsInTheirLanguage(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, false)
	seedChat(t, st, 2, news.English, false)
	seedChat(t, st, 3, news.Russian, false)
	if _, err := st.UpdateChat(context.Background(), 3, func(c *news.Chat, _ bool) error { c.Inactive = true; return nil }); err != nil {
		t.Fatal(err)
	}
	n, err := e.Broadcast(context.Background(), "Maintenance <tonight>")
	if err != nil || n != 2 {
		t.Fatalf("Broadcast = %d, %v; want 2 recipients", n, err)
	}
	if _, err := e.Broadcast(context.Background(), "  "); !errors.Is(err, news.ErrInvalid) {
		t.Errorf("empty Broadcast = %v, want ErrInvalid", err)
	}
	runEngine(t, e)
	waitDrained(t, e, 10*time.Second)
	got := map[int64]string{}
	for _, s := range f.delivered() {
		got[s.m.ChatID] = s.m.Text
	}
	want := map[int64]string{1: "[bc:uk] Maintenance &lt;tonight&gt;", 2: "[bc:en] Maintenance &lt;tonight&gt;"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("broadcast (-want +got):\n%s", diff)
	}
}

// Notices go first, with sound, rendered in each chat's language (English
// for a chat the store does not know, which news never reaches), and are
// counted in the queue's stats like every other message.
func TestNotifyQueuesTextsForChosenChats(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	seedChat(t, st, 2, news.Russian, false)
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
	// An article queued for a chat the store does not know.
	if _, err := e.q.Enqueue(context.Background(), time.Now(), "uk:1", map[int64]int{77: prioNormal}); err != nil {
		t.Fatal(err)
	}
	render := func(l news.Lang) string { return "<b>Alert</b> in " + string(l) }
	n, err := e.Notify(context.Background(), []int64{1, 77}, render)
	if err != nil || n != 2 {
		t.Fatalf("Notify = %d, %v; want 2 chats", n, err)
	}
	if _, err := e.Notify(context.Background(), []int64{2}, func(news.Lang) string { return " " }); !errors.Is(err, news.ErrInvalid) {
		t.Errorf("Notify with an empty text = %v, want ErrInvalid", err)
	}
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)
	texts := func(ms []sentMsg) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s silent=%v", m.m.Text, m.m.Silent))
		}
		return out
	}
	if got := texts(f.to(1)); len(got) != 2 || got[0] != "<b>Alert</b> in uk silent=false" {
		t.Errorf("chat 1 got %q, want its notice first, then its article", got)
	}
	if diff := cmp.Diff([]string{"<b>Alert</b> in en silent=false"}, texts(f.to(77))); diff != "" {
		t.Errorf("unknown chat (-want +got):\n%s", diff)
	}
	if s.Dropped != 1 || s.Delivered != 3 {
		t.Errorf("stats %+v; want 3 delivered and chat 77's article dropped", s)
	}
}

// failureCase drives one chat through a failure kind.
type failureCase struct {
	name  string
	chat  int64
	cfg   func(*Config)
	fn    func(n int, m telegram.Message) error
	check func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats)
}

func TestEngineHandlesEachFailureKind(t *testing.T) {
	errOn := func(calls map[int]error) func(int, telegram.Message) error {
		return func(n int, _ telegram.Message) error { return calls[n] }
	}
	deliveredOnce := func(chat int64) func(*testing.T, *Engine, *store.Store, *fakeSender, Stats) {
		return func(t *testing.T, _ *Engine, _ *store.Store, f *fakeSender, s Stats) {
			if got := len(f.to(chat)); got != 1 {
				t.Errorf("chat %d got %d messages, want 1", chat, got)
			}
		}
	}
	tests := []failureCase{
		{
			name: "flood pauses every sender, then sends",
			chat: 1,
			fn:   errOn(map[int]error{1: &telegram.Error{Kind: telegram.Flood, RetryAfter: time.Second}}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				calls := f.attempts()
				if len(calls) != 2 || calls[1].at.Sub(calls[0].at) < 950*time.Millisecond {
					t.Errorf("calls %d, gap %v; want a resend after the 1s pause", len(calls), calls[len(calls)-1].at.Sub(calls[0].at))
				}
				if s.Floods != 1 || s.Retried != 0 || s.Delivered != 1 {
					t.Errorf("stats = %+v, want 1 flood, no attempt counted, delivered", s)
				}
			},
		},
		{
			name: "server errors retry with back-off",
			chat: 1,
			fn: errOn(map[int]error{1: tgErr(telegram.Server, "Internal Server Error"),
				2: tgErr(telegram.NetworkBeforeSend, "dial"), 3: errors.New("not a telegram error")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				deliveredOnce(1)(t, e, st, f, s)
				if s.Retried != 3 || len(f.attempts()) != 4 {
					t.Errorf("retried %d over %d calls, want 3 over 4", s.Retried, len(f.attempts()))
				}
			},
		},
		{
			name: "bad markup is resent as plain text",
			chat: 1,
			fn:   errOn(map[int]error{1: tgErr(telegram.BadMarkup, "Bad Request: can't parse entities")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				got := f.to(1)
				if len(got) != 1 || got[0].m.ParseMode != "" || strings.Contains(got[0].m.Text, "<") {
					t.Errorf("got %+v, want one plain-text message", got)
				}
				if !strings.Contains(got[0].m.Text, "[uk/1]") {
					t.Errorf("plain text lost the content: %q", got[0].m.Text)
				}
			},
		},
		{
			name: "a permanent 400 goes to the dead letters at once",
			chat: 1,
			fn:   errOn(map[int]error{1: tgErr(telegram.BadRequest, "Bad Request: message text is empty")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				if len(f.attempts()) != 1 || s.Dead != 1 || s.DeadLetters != 1 {
					t.Errorf("calls %d, stats %+v; want 1 call and 1 dead letter", len(f.attempts()), s)
				}
				dls, err := e.DeadLetters(context.Background(), 5)
				if err != nil {
					t.Fatal(err)
				}
				want := []DeadLetter{{ChatID: 1, Items: []Item{{Edition: news.Ukrainian, ArticleID: 1}}, Kind: "bad_request",
					Error: "telegram: sendMessage: bad_request: Bad Request: message text is empty", Attempts: 1}}
				if diff := cmp.Diff(want, dls, cmp.FilterPath(func(p cmp.Path) bool {
					return p.Last().String() == ".At"
				}, cmp.Ignore())); diff != "" {
					t.Errorf("dead letters (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "MaxAttempts failures end in the dead letters",
			chat: 1,
			cfg:  func(c *Config) { c.MaxAttempts = 3 },
			fn:   func(int, telegram.Message) error { return tgErr(telegram.Server, "Bad Gateway") },
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				if len(f.attempts()) != 3 || s.Dead != 1 || s.Retried != 2 {
					t.Errorf("calls %d, stats %+v; want 3 calls, 2 retries, 1 dead letter", len(f.attempts()), s)
				}
			},
		},
		{
			name: "403s count strikes until the chat is inactive",
			chat: 1,
			fn: func(int, telegram.Message) error {
				return tgErr(telegram.Blocked, "Forbidden: bot was blocked by the user")
			},
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				c, err := st.Chat(context.Background(), 1)
				if err != nil {
					t.Fatal(err)
				}
				if !c.Inactive || c.Strikes != 3 {
					t.Errorf("chat = %+v, want inactive with 3 strikes", c)
				}
				if len(f.attempts()) != 3 || s.Dropped != 1 || s.Dead != 0 {
					t.Errorf("calls %d, stats %+v; want 3 calls and the item dropped", len(f.attempts()), s)
				}
				// A blocked reader stops costing sends.
				mustAnnounce(t, e, article(news.Ukrainian, 2, false, "war"))
				waitDrained(t, e, 10*time.Second)
				if len(f.attempts()) != 3 {
					t.Errorf("%d calls after the chat became inactive, want 3", len(f.attempts()))
				}
			},
		},
		{
			name: "a transient 403 is retried and the strikes cleared",
			chat: 1,
			fn:   errOn(map[int]error{1: tgErr(telegram.Blocked, "Forbidden: bot can't send messages to the user")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				deliveredOnce(1)(t, e, st, f, s)
				if c, _ := st.Chat(context.Background(), 1); c.Strikes != 0 || c.Inactive {
					t.Errorf("chat = %+v, want active without strikes", c)
				}
			},
		},
		{
			name: "a migrated group moves and gets the message under its new ID",
			chat: -100,
			fn: func(_ int, m telegram.Message) error {
				if m.ChatID == -100 {
					return &telegram.Error{Kind: telegram.Migrated, MigrateTo: -1009, Description: "Bad Request: group chat was upgraded"}
				}
				return nil
			},
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				deliveredOnce(-1009)(t, e, st, f, s)
				if _, err := st.Chat(context.Background(), -100); !errors.Is(err, news.ErrNotFound) {
					t.Errorf("old chat: %v, want not found", err)
				}
				if c, err := st.Chat(context.Background(), -1009); err != nil || !c.Group || c.Tags[0] != "war" {
					t.Errorf("new chat = %+v, %v", c, err)
				}
				// It keeps receiving under the new ID.
				mustAnnounce(t, e, article(news.Ukrainian, 2, false, "war"))
				waitFor(t, 5*time.Second, "the next article", func() bool { return len(f.to(-1009)) == 2 })
			},
		},
		{
			name: "a lost answer is sent again (at least once)",
			chat: 1,
			fn:   errOn(map[int]error{1: tgErr(telegram.NetworkAmbiguous, "connection reset")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				if len(f.attempts()) != 2 || s.Ambiguous != 1 || s.Delivered != 1 {
					t.Errorf("calls %d, stats %+v; want 2 calls, 1 ambiguous", len(f.attempts()), s)
				}
			},
		},
		{
			name: "a lost answer counts as delivered (at most once)",
			chat: 1,
			cfg:  func(c *Config) { c.AtMostOnce = true },
			fn:   errOn(map[int]error{1: tgErr(telegram.NetworkAmbiguous, "connection reset")}),
			check: func(t *testing.T, e *Engine, st *store.Store, f *fakeSender, s Stats) {
				if len(f.attempts()) != 1 || s.Ambiguous != 1 || s.Delivered != 1 {
					t.Errorf("calls %d, stats %+v; want 1 call counted delivered", len(f.attempts()), s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSender{fn: tt.fn}
			cfg := testConfig(t)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			e, st := newTestEngine(t, cfg, f)
			seedChat(t, st, tt.chat, news.Ukrainian, false, "war")
			mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
			runEngine(t, e)
			s := waitDrained(t, e, 10*time.Second)
			tt.check(t, e, st, f, s)
		})
	}
}

func TestEngineSplitsADigestThatIsTooLong(t *testing.T) {
	f := &fakeSender{fn: func(_ int, m telegram.Message) error {
		if len(marks(m.Text)) > 2 {
			return tgErr(telegram.TooLong, "Bad Request: message is too long")
		}
		return nil
	}}
	e, st := newTestEngine(t, testConfig(t), f)
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	for id := int64(1); id <= 5; id++ {
		mustAnnounce(t, e, article(news.Ukrainian, id, false, "war"))
	}
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)
	var got []string
	for _, m := range f.to(1) {
		got = append(got, marks(m.m.Text)...)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"[uk/1]", "[uk/2]", "[uk/3]", "[uk/4]", "[uk/5]"}, got); diff != "" {
		t.Errorf("articles delivered (-want +got):\n%s", diff)
	}
	if s.Dead != 0 || s.Delivered != 5 {
		t.Errorf("stats = %+v", s)
	}
}

func TestEngineRespectsChatInterval(t *testing.T) {
	f := &fakeSender{}
	cfg := testConfig(t)
	cfg.ChatInterval = 300 * time.Millisecond
	e, st := newTestEngine(t, cfg, f)
	seedChat(t, st, 1, news.Ukrainian, false, "war")
	runEngine(t, e)
	for id := int64(1); id <= 3; id++ {
		mustAnnounce(t, e, article(news.Ukrainian, id, false, "war"))
		time.Sleep(50 * time.Millisecond) // the workload: stories 50 ms apart, not a wait for the engine
	}
	waitDrained(t, e, 10*time.Second)
	got := f.to(1)
	if len(got) < 2 {
		t.Fatalf("got %d messages, want the first alone and the rest coalesced", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < 300*time.Millisecond {
			t.Errorf("messages %d and %d to one chat %v apart, want ≥ 300ms", i-1, i, gap)
		}
	}
}

func TestEngineShutdownHandsBackWork(t *testing.T) {
	var inSend atomic.Int32
	release := make(chan struct{})
	f := &fakeSender{fn: func(n int, m telegram.Message) error {
		if n == 1 {
			inSend.Store(1)
			<-release
		}
		return nil
	}}
	cfg := testConfig(t)
	cfg.Rate = 50
	e, st := newTestEngine(t, cfg, f)
	seedChats(t, st, 1, 100, news.Ukrainian, false, "war")
	mustAnnounce(t, e, article(news.Ukrainian, 1, false, "war"))
	stop := runEngine(t, e)
	waitFor(t, 5*time.Second, "a send in progress", func() bool { return inSend.Load() == 1 })
	// Shut down while one send hangs: Run waits for it, and it is recorded.
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	<-done
	s, err := e.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sent := len(f.delivered())
	if s.InFlight != 0 || int(s.Delivered) != sent || int(s.Pending) != 100-sent {
		t.Fatalf("after shutdown: stats %+v with %d sent; want nothing in flight and the rest pending", s, sent)
	}
	// A new engine on the same queue finishes the job without duplicates.
	e2, err := New(cfg, st, queueOf(st), f, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	runEngine(t, e2)
	waitDrained(t, e2, 20*time.Second)
	seen := map[int64]int{}
	for _, s := range f.delivered() {
		seen[s.m.ChatID]++
	}
	for id := int64(1); id <= 100; id++ {
		if seen[id] != 1 {
			t.Errorf("chat %d got %d messages, want 1", id, seen[id])
		}
	}
}

func TestRunTwiceIsRefused(t *testing.T) {
	e, _ := newTestEngine(t, testConfig(t), &fakeSender{})
	runEngine(t, e)
	waitFor(t, time.Second, "Run to start", e.running.Load)
	if err := e.Run(context.Background()); !errors.Is(err, errRunning) {
		t.Errorf("second Run = %v, want errRunning", err)
	}
}
func TestParseItem(t *testing.T) {
	tests := []struct {
		in   string
		want item
		ok   bool
	}{
		{"uk:123", item{edition: news.Ukrainian, articleID: 123}, true},
		{"en:1", item{edition: news.English, articleID: 1}, true},
		{"bc:7", item{broadcast: 7}, true},
		{"xx:1", item{}, false},
		{"uk:", item{}, false},
		{"uk:-1", item{}, false},
		{"uk:0", item{}, false},
		{"uk1", item{}, false},
		{"", item{}, false},
		{"UK:5", item{}, false},
	}
	for _, tt := range tests {
		got, ok := parseItem(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseItem(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("parseItem(%q).String() = %q", tt.in, got.String())
		}
	}
}

// A claimed item keeps its queue fields and reads its reference; a
// reference that is not an item is marked invalid (and dropped by deliver).
func TestNewPendingReadsItsRef(t *testing.T) {
	at := time.UnixMilli(1700000000000)
	tests := []struct {
		in   queue.Pending
		want pending
	}{
		{queue.Pending{Ref: "uk:1", Prio: prioBreaking, Enqueued: at, Attempts: 2},
			pending{ref: "uk:1", item: item{edition: "uk", articleID: 1}, valid: true, prio: prioBreaking, enqueued: at, attempts: 2}},
		{queue.Pending{Ref: "bc:3", Prio: prioNormal},
			pending{ref: "bc:3", item: item{broadcast: 3}, valid: true, prio: prioNormal}},
		{queue.Pending{Ref: "??", Prio: prioNormal, Enqueued: time.UnixMilli(5)},
			pending{ref: "??", prio: prioNormal, enqueued: time.UnixMilli(5)}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, newPending(tt.in), cmp.AllowUnexported(pending{}, item{})); diff != "" {
			t.Errorf("newPending(%+v) (-want +got):\n%s", tt.in, diff)
		}
	}
}
