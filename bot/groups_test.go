package bot_test

import (
	"testing"

	"newsbot/internal/telegram/telegramtest"
)

// In a group an unknown plain command gets no answer (another bot's, most
// likely); one addressed to this bot does, and known plain commands work.
func TestGroupCommands(t *testing.T) {
	h := newHarness(t)
	group := telegramtest.Chat{ID: -100600, Type: "supergroup", Title: "Kyiv <Desk>"}
	member := &person{h: h, user: telegramtest.User{ID: 30, FirstName: "Member", LanguageCode: "en"}, chat: group}
	n := len(h.tg.SentTo(group.ID))
	h.tg.SendText(member.user, group, "/frobnicate")
	h.tg.SendText(member.user, group, "/weather Kyiv")
	contains(t, "known plain command", member.say("/help").Text, "/subscribe")
	if got := len(h.tg.SentTo(group.ID)); got != n+1 {
		t.Errorf("the bot answered %d unknown plain commands in a group, want 0", got-n-1)
	}
	contains(t, "unknown command addressed to the bot", member.say("/frobnicate@newsbot_test_bot").Text, "/help")
	// A private chat still gets a pointer to /help.
	contains(t, "unknown command in private", h.person(31, "en").say("/frobnicate").Text, "/help")

	// The greeting names the group (escaped), not the person.
	h.tg.SetMemberStatus(group.ID, 32, "administrator")
	admin := &person{h: h, user: telegramtest.User{ID: 32, FirstName: "Admin", LanguageCode: "en"}, chat: group}
	contains(t, "group greeting", admin.say("/start").Text, "Kyiv &lt;Desk&gt;")
	untitled := &person{h: h, user: admin.user, chat: telegramtest.Chat{ID: -100601, Type: "group"}}
	h.tg.SetMemberStatus(-100601, 32, "creator")
	contains(t, "untitled group greeting", untitled.say("/start").Text, "👋")
}
