package app

import (
	"strings"
	"testing"

	"newsbot/internal/news"
	"newsbot/internal/redistest"
	"newsbot/internal/telegram/telegramtest"
)

// TestEndToEndChannels: a channel admin sets a channel up from a private
// chat, once with /channel @name and once by forwarding a post; each
// channel gets its matching story as one post, with link buttons only. A
// non-admin of the channel is refused, and so is a channel where the bot
// may not post. Removing the bot makes the channel inactive: no more
// posts.
func TestEndToEndChannels(t *testing.T) {
	w := newWorld(t, redistest.Start(t).URL())
	russia := news.Tag{Slug: "russia", Name: "Russia"}
	sport := news.Tag{Slug: "sport", Name: "Sport"}
	w.site.Publish(article(8070001, news.English, "An older story about Russia", russia))
	w.site.Publish(article(8070002, news.English, "An older story about sport", sport))

	daily := telegramtest.Chat{ID: -1001000000001, Title: "Daily News", UserName: "dailynews"}
	sports := telegramtest.Chat{ID: -1001000000002, Title: "Sports Desk"}
	closed := telegramtest.Chat{ID: -1001000000003, Title: "Read Only", UserName: "readonly"}
	for _, ch := range []telegramtest.Chat{daily, sports, closed} {
		w.tg.AddChannel(ch)
	}
	w.tg.SetChannelAdmin(daily.ID, w.tg.BotID(), true)
	w.tg.SetChannelAdmin(sports.ID, w.tg.BotID(), true)
	w.tg.SetChannelAdmin(closed.ID, w.tg.BotID(), false) // an admin who may not post
	editor, sportsEditor, stranger, reader := w.reader(5001, "en"), w.reader(5002, "en"), w.reader(5003, "en"), w.reader(5004, "en")
	w.tg.SetMemberStatus(daily.ID, editor.user.ID, "creator")
	w.tg.SetChannelAdmin(sports.ID, sportsEditor.user.ID, true)
	w.tg.SetChannelAdmin(closed.ID, stranger.user.ID, true)
	w.tg.SetMemberStatus(daily.ID, stranger.user.ID, "member")

	start(t, w.env)
	w.waitPolls(t, 1)

	// Replies to one chat are paced (about one a second): the people act
	// at once and their replies are read afterwards.
	w.tg.SendText(editor.user, editor.chat, "/channel @dailynews")
	w.tg.SendText(editor.user, editor.chat, "/subscribe Russia")
	w.tg.ForwardFromChannel(sportsEditor.user, sports.ID, 12, "Yesterday's results")
	w.tg.SendText(sportsEditor.user, sportsEditor.chat, "/subscribe Sport")
	w.tg.SendText(sportsEditor.user, sportsEditor.chat, "/mysubs")
	w.tg.SendText(stranger.user, stranger.chat, "/channel @dailynews")
	w.tg.SendText(stranger.user, stranger.chat, "/channel @readonly")
	w.tg.SendText(reader.user, reader.chat, "/subscribe Russia")
	got := replies(t, editor, 2)
	mustContain(t, "/channel @dailynews", got[0].Text, "Daily News", "/channel off")
	mustContain(t, "/subscribe for the channel", got[1].Text, "Russia")
	got = replies(t, sportsEditor, 4)
	mustContain(t, "a forwarded post", got[0].Text, "Sports Desk")
	mustContain(t, "/subscribe for the second channel", got[1].Text, "Sport")
	mustContain(t, "/mysubs channels", got[3].Text, "Your channels", "Sports Desk", "Sport")
	got = replies(t, stranger, 2)
	mustContain(t, "a non-admin's /channel", got[0].Text, "not one")
	mustContain(t, "a channel the bot may not post in", got[1].Text, "can't post")
	replies(t, reader, 1)
	w.tg.ChannelPost(daily.ID, "A post of the channel's own") // not asked for: never reaches the bot

	before := len(w.tg.SentTo(reader.chat.ID))
	w.site.Publish(article(8070010, news.English, "Russia launches a new attack", russia))
	w.site.Publish(article(8070011, news.English, "A sports story", sport))
	reader.next(t, before)
	w.waitQueueDrained(t)
	checkPosts(t, w, daily.ID, "Russia launches a new attack")
	checkPosts(t, w, sports.ID, "A sports story")
	if sent := w.tg.SentTo(closed.ID); len(sent) != 0 {
		t.Errorf("the channel the bot may not post in got %d posts", len(sent))
	}

	// The bot is removed from the first channel: no more posts there, and
	// its settings cannot be changed until it is back.
	w.tg.BotChannelStatus(editor.user, daily.ID, "left", false)
	waitFor(t, "the channel to become inactive", func() bool {
		return strings.Contains(editor.say(t, "/breaking on").Text, "removed")
	})
	before = len(w.tg.SentTo(reader.chat.ID))
	w.site.Publish(article(8070020, news.English, "Russia after the removal", russia))
	reader.next(t, before)
	w.waitQueueDrained(t)
	checkPosts(t, w, daily.ID, "Russia launches a new attack")
	checkPosts(t, w, sports.ID, "A sports story")
	mustContain(t, "/channel off", editor.say(t, "/channel off").Text, "your own")
}

// replies waits for the bot's next n messages to r's chat (counted from
// its first) and returns them.
func replies(t *testing.T, r *reader, n int) []telegramtest.Sent {
	t.Helper()
	r.next(t, n-1)
	return r.w.tg.SentTo(r.chat.ID)[:n]
}

// checkPosts checks that a channel got exactly one post, about headline,
// with no button that needs a press.
func checkPosts(t *testing.T, w *world, channelID int64, headline string) {
	t.Helper()
	sent := w.tg.SentTo(channelID)
	if len(sent) != 1 {
		for _, s := range sent {
			t.Logf("posted to %d: %q", channelID, s.Plain)
		}
		t.Fatalf("channel %d got %d posts, want 1", channelID, len(sent))
	}
	mustContain(t, "the channel post", sent[0].Text, headline)
	if strings.Contains(string(sent[0].ReplyMarkup), "callback_data") {
		t.Errorf("the channel post has callback buttons: %s", sent[0].ReplyMarkup)
	}
}
