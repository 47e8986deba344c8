package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

const token = "4242:TEST-token-for-the-bot-package-tests"

type harness struct {
	t     *testing.T
	tg    *telegramtest.Server
	store *store.Store
}

// newHarness runs a bot against a real Redis and the fake Bot API, with a
// few articles stored so tags are known.
func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := redistest.Start(t)
	st := store.New(srv.Client(), store.Options{})
	tg := telegramtest.NewServer(telegramtest.Options{Token: token, BotUserName: "newsbot_test_bot"})
	t.Cleanup(tg.Close)
	ctx, cancel := context.WithCancel(context.Background())
	client, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: tg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := bot.New(client, st, nil, i18n.MustLoad(), bot.Config{UserName: "newsbot_test_bot", Logger: log, PollTimeout: time.Second,
		Channels: client})
	done := make(chan error, 1)
	go func() { done <- b.Poll(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Poll: %v", err)
		}
	})
	seed := []struct {
		ed   news.Lang
		tags []news.Tag
	}{
		{news.English, []news.Tag{{Slug: "russia", Name: "Russia"}, {Slug: "ukraine", Name: "Ukraine"}}},
		{news.English, []news.Tag{{Slug: "russia", Name: "Russia"}, {Slug: "economy", Name: "Economy"}}},
		{news.English, []news.Tag{{Slug: "russian-army", Name: "Russian army"}}},
		{news.English, []news.Tag{{Slug: "russia-2", Name: "russia"}}},
		{news.Ukrainian, []news.Tag{{Slug: "russia", Name: "Росія"}, {Slug: "kyiv", Name: "Київ"}}},
	}
	for i, s := range seed {
		a := &news.Article{ID: int64(8000 + i), Edition: s.ed, Headline: fmt.Sprintf("Story %d", i),
			URL:       fmt.Sprintf("https://www.pravda.com.ua/eng/news/2026/11/25/%d/", 8000+i),
			Published: time.Now().Add(-time.Duration(i) * time.Minute), Tags: s.tags}
		if err := st.SaveArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{t: t, tg: tg, store: st}
}

type person struct {
	h    *harness
	user telegramtest.User
	chat telegramtest.Chat
}

func (h *harness) person(id int64, lang string) *person {
	return &person{h: h, user: telegramtest.User{ID: id, FirstName: "Test <User>", LanguageCode: lang}, chat: telegramtest.Chat{ID: id, Type: "private"}}
}

func (h *harness) wait(chatID int64, n int) []telegramtest.Sent {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent, err := h.tg.WaitSent(ctx, chatID, n)
	if err != nil {
		h.t.Fatalf("chat %d: waited for %d messages, have %d: %v", chatID, n, len(h.tg.SentTo(chatID)), err)
	}
	return sent
}

// say sends text and returns the bot's reply.
func (p *person) say(text string) telegramtest.Sent {
	p.h.t.Helper()
	n := len(p.h.tg.SentTo(p.chat.ID))
	p.h.tg.SendText(p.user, p.chat, text)
	return p.h.wait(p.chat.ID, n+1)[n]
}

// press presses a button on message and returns the bot's next message or edit.
func (p *person) press(messageID int, data string) telegramtest.Sent {
	p.h.t.Helper()
	n := len(p.h.tg.SentTo(p.chat.ID))
	p.h.tg.PressButton(p.user, p.chat, messageID, data)
	return p.h.wait(p.chat.ID, n+1)[n]
}

func (p *person) stored() news.Chat {
	p.h.t.Helper()
	c, err := p.h.store.Chat(context.Background(), p.chat.ID)
	if err != nil {
		p.h.t.Fatalf("chat %d: %v", p.chat.ID, err)
	}
	return c
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not contain %q", what, got, w)
		}
	}
}

func TestStartAndLanguage(t *testing.T) {
	h := newHarness(t)
	p := h.person(1, "ru-RU")
	got := p.say("/start")
	contains(t, "/start", got.Text, "Здравствуйте, Test &lt;User&gt;!", "Украинской правдой")
	contains(t, "/start keyboard", string(got.ReplyMarkup), "lang:uk", "lang:ru", "lang:en")
	if c := p.stored(); c.Lang != news.Russian || c.LangChosen {
		t.Errorf("after /start: lang=%s chosen=%v, want ru false", c.Lang, c.LangChosen)
	}
	got = p.press(got.MessageID, "lang:uk")
	contains(t, "language button", got.Text, "українською")
	if c := p.stored(); c.Lang != news.Ukrainian || !c.LangChosen {
		t.Errorf("after the button: lang=%s chosen=%v", c.Lang, c.LangChosen)
	}
	contains(t, "/language en", p.say("/language en").Text, "English")
	contains(t, "/language de", p.say("/language de").Text, "don't know the language “de”")
	contains(t, "/language", string(p.say("/language").ReplyMarkup), "lang:ru")
	if cbs := h.tg.Callbacks(); len(cbs) != 1 {
		t.Errorf("answered %d callback queries, want 1", len(cbs))
	}
}

func TestUnknownLanguageCodeFallsBackToEnglish(t *testing.T) {
	h := newHarness(t)
	contains(t, "/start", h.person(2, "de").say("/start").Text, "Hello")
}

func TestSubscribe(t *testing.T) {
	h := newHarness(t)
	p := h.person(3, "en")
	p.say("/start")

	contains(t, "exact match", p.say("/subscribe  economy ").Text, "You now follow “Economy”")
	contains(t, "again", p.say("/subscribe Economy").Text, "already follow")

	// "russia" is the name of two tags: the bot asks which.
	got := p.say("/subscribe RUSSIA")
	contains(t, "ambiguous", got.Text, "Several tags match")
	contains(t, "ambiguous buttons", string(got.ReplyMarkup), "sub:russia", "sub:russia-2")
	contains(t, "pick", p.press(got.MessageID, "sub:russia").Text, "You now follow “Russia”")

	// A near miss offers the closest tags and a follow-by-name button.
	got = p.say("/subscribe Russian")
	contains(t, "suggestions", got.Text, "haven't seen the tag “Russian”")
	contains(t, "suggestion buttons", string(got.ReplyMarkup), "sub:russian-army", "kw:russian")

	// Nothing close: followed by name at once.
	contains(t, "by name", p.say("/subscribe Zaporizhzhia NPP").Text, "watch for it by name")
	c := p.stored()
	if strings.Join(c.Tags, ",") != "economy,russia" && strings.Join(c.Tags, ",") != "russia,economy" {
		t.Errorf("tags = %v, want economy and russia", c.Tags)
	}
	if len(c.Keywords) != 1 || c.Keywords[0] != "zaporizhzhia npp" {
		t.Errorf("keywords = %v", c.Keywords)
	}
	mysubs := p.say("/mysubs")
	contains(t, "/mysubs", mysubs.Text, "Economy", "Russia", "zaporizhzhia npp", "Breaking news alerts: off", "Language: English")
	contains(t, "/mysubs buttons", string(mysubs.ReplyMarkup), "unsub:economy", "unkw:zaporizhzhia npp")
}

func TestSubscribeInReadersLanguage(t *testing.T) {
	h := newHarness(t)
	p := h.person(4, "uk")
	p.say("/start")
	contains(t, "Cyrillic, any case", p.say("/subscribe росія").Text, "Ви стежите за темою «Росія»")
	if c := p.stored(); len(c.Tags) != 1 || c.Tags[0] != "russia" {
		t.Errorf("tags = %v, want [russia]", c.Tags)
	}
}

func TestSubscribeKeyboardPaging(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 12; i++ { // enough tags for two pages
		a := &news.Article{ID: int64(9000 + i), Edition: news.English, Headline: "x", URL: "https://www.pravda.com.ua/eng/news/2026/11/25/9000/",
			Tags: []news.Tag{{Slug: fmt.Sprintf("tag-%02d", i), Name: fmt.Sprintf("Tag %02d", i)}}}
		if err := h.store.SaveArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	p := h.person(5, "en")
	got := p.say("/subscribe")
	contains(t, "top tags", got.Text, "page 1 of 3")
	contains(t, "top tags buttons", string(got.ReplyMarkup), "sub:russia", "Russia (2)", "page:1")
	edit := p.press(got.MessageID, "page:1")
	if edit.Method != "editMessageText" || edit.MessageID != got.MessageID {
		t.Errorf("paging should edit the message: %s %d", edit.Method, edit.MessageID)
	}
	contains(t, "page 2", edit.Text, "page 2 of 3")
	contains(t, "page 2 buttons", string(edit.ReplyMarkup), "page:0", "page:2")
}

func TestUnsubscribe(t *testing.T) {
	h := newHarness(t)
	p := h.person(6, "en")
	contains(t, "nothing yet", p.say("/unsubscribe").Text, "don't follow anything")
	p.say("/subscribe Economy")
	p.say("/subscribe Ukraine")
	p.say("/subscribe Somewhere Else")
	contains(t, "by name", p.say("/unsubscribe economy").Text, "no longer follow “Economy”")
	contains(t, "not followed", p.say("/unsubscribe Russia").Text, "don't follow “Russia”")
	got := p.say("/unsubscribe")
	contains(t, "remove buttons", string(got.ReplyMarkup), "unsub:ukraine", "unkw:somewhere else")
	contains(t, "remove button", p.press(got.MessageID, "unsub:ukraine").Text, "no longer follow “Ukraine”")
	contains(t, "remove keyword", p.press(got.MessageID, "unkw:somewhere else").Text, "no longer follow “somewhere else”")
	if c := p.stored(); len(c.Tags)+len(c.Keywords) != 0 {
		t.Errorf("left: %v %v", c.Tags, c.Keywords)
	}
	ctx := context.Background()
	if ids, _ := h.store.Subscribers(ctx, news.English, "economy"); len(ids) != 0 {
		t.Errorf("economy still has subscribers %v", ids)
	}
}

func TestBreaking(t *testing.T) {
	h := newHarness(t)
	p := h.person(7, "en")
	contains(t, "usage", p.say("/breaking").Text, "/breaking on", "off now")
	contains(t, "on", p.say("/breaking on").Text, "alerts are on")
	if ids, _ := h.store.BreakingSubscribers(context.Background(), news.English); len(ids) != 1 || ids[0] != 7 {
		t.Errorf("breaking subscribers = %v", ids)
	}
	contains(t, "off", p.say("/breaking OFF").Text, "alerts are off")
	if ids, _ := h.store.BreakingSubscribers(context.Background(), news.English); len(ids) != 0 {
		t.Errorf("breaking subscribers after off = %v", ids)
	}
}

func TestLatest(t *testing.T) {
	h := newHarness(t)
	p := h.person(8, "en")
	got := p.say("/latest")
	contains(t, "/latest", got.Text, "Latest news", "Story 0", "Story 3")
	if strings.Contains(got.Text, "Story 4") { // Ukrainian edition
		t.Error("/latest mixed in another edition")
	}
	got = p.say("/latest 1")
	if strings.Count(got.Text, "<a href") != 1 {
		t.Errorf("/latest 1 listed %d articles", strings.Count(got.Text, "<a href"))
	}
	got = p.say("/latest 20 Economy")
	contains(t, "/latest tag", got.Text, "Latest news: Economy", "Story 1")
	if strings.Contains(got.Text, "Story 0") {
		t.Error("/latest Economy listed an article without the tag")
	}
	contains(t, "/latest 0", p.say("/latest 0").Text, "at most 20")
	contains(t, "/latest unknown tag", p.say("/latest Atlantis").Text, "No recent news with the tag “Atlantis”")
}

func TestStopForgetsEverything(t *testing.T) {
	h := newHarness(t)
	p := h.person(9, "en")
	p.say("/subscribe Economy")
	p.say("/breaking on")
	contains(t, "/stop", p.say("/stop").Text, "deleted")
	if _, err := h.store.Chat(context.Background(), 9); err == nil {
		t.Error("the chat is still stored after /stop")
	}
	if ids, _ := h.store.Subscribers(context.Background(), news.English, "economy"); len(ids) != 0 {
		t.Errorf("subscribers after /stop = %v", ids)
	}
}

// Garbage, unknown commands and hostile input get a pointer to /help or a
// short refusal; the bot keeps answering.
func TestGarbage(t *testing.T) {
	h := newHarness(t)
	p := h.person(10, "en")
	tests := []struct{ in, want string }{
		{"hello?", "/help"},
		{"/frobnicate", "/help"},
		{"/subscribe <script>alert(1)</script>", "doesn't look like a tag"},
		{"/subscribe " + strings.Repeat("x", 500), "doesn't look like a tag"},
		{"/subscribe a\x00b", "doesn't look like a tag"},
		{"/latest -5", "at most 20"},
		{"/latest 99999999999999999999", "No recent news with the tag"},
		{"/unsubscribe ???", "don't follow anything"},
	}
	for _, tt := range tests {
		got := p.say(tt.in)
		contains(t, fmt.Sprintf("%q", tt.in), got.Text, tt.want)
	}
	contains(t, "/help still works", p.say("/help").Text, "/subscribe")
	// Forged callback data is answered and ignored.
	n := len(h.tg.SentTo(10))
	h.tg.PressButton(p.user, p.chat, 1, "sub:../../etc")
	h.tg.PressButton(p.user, p.chat, 1, "page:-1")
	h.tg.PressButton(p.user, p.chat, 1, "zzz")
	p.say("/help")
	if got := len(h.tg.SentTo(10)); got != n+1 {
		t.Errorf("forged buttons produced %d messages", got-n-1)
	}
	if cbs := h.tg.Callbacks(); len(cbs) != 3 {
		t.Errorf("answered %d of 3 forged callbacks", len(cbs))
	}
}

func TestGroupOnlyAdminsChangeSettings(t *testing.T) {
	h := newHarness(t)
	group := telegramtest.Chat{ID: -100500, Type: "supergroup", Title: "Newsroom"}
	member := &person{h: h, user: telegramtest.User{ID: 20, FirstName: "Member", LanguageCode: "en"}, chat: group}
	admin := &person{h: h, user: telegramtest.User{ID: 21, FirstName: "Admin", LanguageCode: "en"}, chat: group}
	h.tg.SetMemberStatus(group.ID, 21, "administrator")

	contains(t, "member /subscribe", member.say("/subscribe Economy").Text, "Only the admins")
	contains(t, "member /latest", member.say("/latest").Text, "Latest news")
	contains(t, "admin /subscribe", admin.say("/subscribe@newsbot_test_bot Economy").Text, "You now follow")
	if ids, _ := h.store.Subscribers(context.Background(), news.English, "economy"); len(ids) != 1 || ids[0] != group.ID {
		t.Errorf("economy subscribers = %v, want the group", ids)
	}
	// Chatter and commands for other bots get no answer.
	n := len(h.tg.SentTo(group.ID))
	h.tg.SendText(member.user, group, "nice article")
	h.tg.SendText(member.user, group, "/latest@otherbot")
	admin.say("/help")
	if got := len(h.tg.SentTo(group.ID)); got != n+1 {
		t.Errorf("the bot answered %d group messages not meant for it", got-n-1)
	}
}

// Blocking the bot marks the chat inactive at once, keeping subscriptions;
// coming back makes it active again.
func TestBlockAndComeBack(t *testing.T) {
	h := newHarness(t)
	p := h.person(11, "en")
	p.say("/subscribe Economy")
	h.tg.ChatMember(p.user, p.chat, "member", "kicked")
	deadline := time.Now().Add(5 * time.Second)
	for !p.stored().Inactive {
		if time.Now().After(deadline) {
			t.Fatal("the chat was not marked inactive after my_chat_member kicked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ids, _ := h.store.Subscribers(context.Background(), news.English, "economy"); len(ids) != 0 {
		t.Errorf("an inactive chat is still a subscriber: %v", ids)
	}
	contains(t, "comeback", p.say("/start").Text, "Welcome back")
	c := p.stored()
	if c.Inactive || len(c.Tags) != 1 {
		t.Errorf("after /start: inactive=%v tags=%v", c.Inactive, c.Tags)
	}
}
