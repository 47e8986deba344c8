package bot_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"newsbot/bot"
	"newsbot/internal/i18n"
	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/store"
	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

// fakeAdmin records broadcasts.
type fakeAdmin struct {
	mu    sync.Mutex
	texts []string
}

func (a *fakeAdmin) Stats(ctx context.Context) (bot.Stats, error) {
	return bot.Stats{Active: 7, PerLang: map[news.Lang]int64{news.English: 7}}, nil
}
func (a *fakeAdmin) Recipients(ctx context.Context) (int, error) { return 7, nil }
func (a *fakeAdmin) Broadcast(ctx context.Context, text string) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.texts = append(a.texts, text)
	return 7, nil
}

func (a *fakeAdmin) broadcasts() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.texts...)
}

// adminHarness runs bots with admin commands against one Redis and one
// fake Bot API; restart replaces the bot with a new one on the same store.
type adminHarness struct {
	*harness
	admin  *fakeAdmin
	admins []int64
	stop   func()
}

func newAdminHarness(t *testing.T, adminChats ...int64) *adminHarness {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(), store.Options{})
	tg := telegramtest.NewServer(telegramtest.Options{Token: token, BotUserName: "newsbot_test_bot"})
	t.Cleanup(tg.Close)
	h := &adminHarness{harness: &harness{t: t, tg: tg, store: st}, admin: &fakeAdmin{}, admins: adminChats}
	h.restart()
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *adminHarness) restart() {
	h.t.Helper()
	if h.stop != nil {
		h.stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	client, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: h.tg.URL()})
	if err != nil {
		h.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := bot.New(client, h.store, h.admin, i18n.MustLoad(), bot.Config{
		UserName: "newsbot_test_bot", AdminChatIDs: h.admins, Logger: log, PollTimeout: time.Second,
	})
	done := make(chan error, 1)
	go func() { done <- b.Poll(ctx) }()
	h.stop = func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Poll: %v", err)
		}
	}
}

// A group listed in ADMIN_CHAT_IDS grants the admin commands to the
// group's Telegram admins only; a member can neither start a broadcast nor
// confirm an admin's.
func TestAdminGroupGrantsOnlyItsAdmins(t *testing.T) {
	group := telegramtest.Chat{ID: -100700, Type: "supergroup", Title: "Operators"}
	h := newAdminHarness(t, group.ID)
	member := &person{h: h.harness, user: telegramtest.User{ID: 30, FirstName: "Member", LanguageCode: "en"}, chat: group}
	admin := &person{h: h.harness, user: telegramtest.User{ID: 31, FirstName: "Admin", LanguageCode: "en"}, chat: group}
	h.tg.SetMemberStatus(group.ID, 31, "administrator")

	contains(t, "member /broadcast", member.say("/broadcast Hello readers").Text, "for the bot's operators")
	contains(t, "member /stats", member.say("/stats").Text, "for the bot's operators")
	confirm := admin.say("/broadcast Hello readers")
	contains(t, "admin /broadcast", confirm.Text, "Hello readers", "7")

	// The member presses the admin's confirmation button: nothing happens.
	n := len(h.tg.SentTo(group.ID))
	h.tg.PressButton(member.user, group, confirm.MessageID, "bc:yes")
	contains(t, "admin /stats", admin.say("/stats").Text, "7") // a barrier: the press was handled before
	if got := h.admin.broadcasts(); len(got) != 0 {
		t.Fatalf("a member's press sent a broadcast: %q", got)
	}
	if got := len(h.tg.SentTo(group.ID)); got != n+1 {
		t.Errorf("the member's press changed %d messages", got-n-1)
	}
	edit := admin.press(confirm.MessageID, "bc:yes")
	contains(t, "confirmation", edit.Text, "7")
	if got := h.admin.broadcasts(); len(got) != 1 || got[0] != "Hello readers" {
		t.Errorf("broadcasts = %q, want the admin's one", got)
	}

	// getChatMember is asked once per person, not once per command.
	if calls := h.tg.Stats().Requests["getChatMember"]; calls != 2 {
		t.Errorf("getChatMember was called %d times for 2 people, want 2", calls)
	}
}

// A broadcast awaiting its confirmation survives a restart of the bot.
func TestBroadcastDraftSurvivesARestart(t *testing.T) {
	h := newAdminHarness(t, 40)
	admin := h.person(40, "en")
	confirm := admin.say("/broadcast After the restart")
	h.restart()
	admin.press(confirm.MessageID, "bc:yes")
	if got := h.admin.broadcasts(); len(got) != 1 || got[0] != "After the restart" {
		t.Errorf("broadcasts = %q, want the draft from before the restart", got)
	}
	// Pressed again: the draft is gone, nothing more is sent.
	h.tg.PressButton(admin.user, admin.chat, confirm.MessageID, "bc:yes")
	admin.say("/stats") // a barrier
	if got := h.admin.broadcasts(); len(got) != 1 {
		t.Errorf("a second press sent %d broadcasts", len(got))
	}
}
