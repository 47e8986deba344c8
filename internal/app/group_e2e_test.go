package app

import (
	"testing"

	"newsbot/internal/telegram/telegramtest"
)

// TestEndToEndGroupCommands: in a group an unknown plain command gets no
// answer, the same command addressed to the bot does, and /start greets
// the group by its title.
func TestEndToEndGroupCommands(t *testing.T) {
	w := newWorld(t, "")
	start(t, w.env)
	w.waitPolls(t, 1)
	group := telegramtest.Chat{ID: -100700, Type: "supergroup", Title: "Newsroom"}
	member := &reader{w: w, user: telegramtest.User{ID: 4001, FirstName: "Member", LanguageCode: "en"}, chat: group}
	n := len(w.tg.SentTo(group.ID))
	w.tg.SendText(member.user, group, "/frobnicate")
	got := member.say(t, "/help")
	mustContain(t, "the reply after an unknown plain command", got.Text, "/subscribe")
	if sent := len(w.tg.SentTo(group.ID)); sent != n+1 {
		t.Errorf("the bot answered %d unknown plain commands in the group, want 0", sent-n-1)
	}
	got = member.say(t, "/frobnicate@"+telegramtest.DefaultBotUserName)
	mustContain(t, "/cmd@thisbot reply", got.Text, "/help")

	w.tg.SetMemberStatus(group.ID, 4001, "administrator")
	got = member.say(t, "/start")
	mustContain(t, "group greeting", got.Text, "Newsroom")
}
