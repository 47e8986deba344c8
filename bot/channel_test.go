package bot_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// TestChannelSettingsFromPrivateChat: an admin selects a channel, the
// settings commands change it until /channel off, the list's buttons
// switch, and the bot's removal makes it inactive until it is back.
func TestChannelSettingsFromPrivateChat(t *testing.T) {
	h := newHarness(t)
	const id = -1002000000001
	h.tg.AddChannel(telegramtest.Chat{ID: id, Title: "Evening <News>", UserName: "evening"})
	h.tg.SetChannelAdmin(id, h.tg.BotID(), true)
	p := h.person(21, "en")
	h.tg.SetMemberStatus(id, p.user.ID, "creator")
	ctx := context.Background()

	contains(t, "/channel @evening", p.say("/channel @evening").Text, "Evening &lt;News&gt;")
	contains(t, "/subscribe", p.say("/subscribe Economy").Text, "You now follow “Economy”")
	ch, err := h.store.Chat(ctx, id)
	if err != nil || !ch.Channel || !ch.Group || !slices.Equal(ch.Tags, []string{"economy"}) || ch.Lang != news.English {
		t.Fatalf("stored channel = %+v, %v; want a channel following economy", ch, err)
	}
	if own := p.stored(); len(own.Tags) != 0 || own.ActiveChannel != id || !slices.Equal(own.Channels, []int64{id}) {
		t.Errorf("the private chat = %+v; want no tags of its own and the channel active", own)
	}

	list := p.say("/channel")
	contains(t, "/channel list buttons", string(list.ReplyMarkup), "ch:"+strconv.Itoa(id), "ch:off", "✅ Evening")
	contains(t, "ch:off", p.press(list.MessageID, "ch:off").Text, "your own")
	p.say("/subscribe Ukraine")
	if own := p.stored(); !slices.Equal(own.Tags, []string{"ukraine"}) || own.ActiveChannel != 0 {
		t.Errorf("after /channel off the private chat = %+v; want it following ukraine itself", own)
	}
	contains(t, "ch:<id>", p.press(list.MessageID, "ch:"+strconv.Itoa(id)).Text, "Evening")

	h.tg.BotChannelStatus(p.user, id, "left", false)
	waitChat(t, h, id, func(c news.Chat) bool { return c.Inactive })
	contains(t, "a setting of an inactive channel", p.say("/breaking on").Text, "removed")
	if c, _ := h.store.Chat(ctx, id); c.Breaking {
		t.Error("a setting was changed on a channel the bot was removed from")
	}
	h.tg.BotChannelStatus(p.user, id, "administrator", true)
	waitChat(t, h, id, func(c news.Chat) bool { return !c.Inactive })
	p.say("/breaking on")
	if c, _ := h.store.Chat(ctx, id); !c.Breaking || c.Inactive {
		t.Errorf("the channel back = %+v; want breaking on and active", c)
	}
	n := len(h.tg.SentTo(p.chat.ID))
	h.tg.SendText(p.user, p.chat, "/mysubs")
	got := h.wait(p.chat.ID, n+2)[n+1].Text
	contains(t, "/mysubs channels", got, "Your channels", "Evening", "Economy", "alerts: on")

	group := &person{h: h, user: p.user, chat: telegramtest.Chat{ID: -700, Type: "group", Title: "G"}}
	h.tg.SetMemberStatus(-700, p.user.ID, "administrator")
	contains(t, "/channel in a group", group.say("/channel @evening").Text, "private chat")
}

// TestChannelRefusals: a chat that is not a channel, an unknown name, and
// a channel seen only through a forwarded post the bot cannot read.
func TestChannelRefusals(t *testing.T) {
	h := newHarness(t)
	p := h.person(22, "en")
	contains(t, "unknown channel", p.say("/channel @nosuchchannel").Text, "can't find")
	contains(t, "bad name", p.say("/channel no way").Text, "administrator allowed to post")
	h.tg.AddChannel(telegramtest.Chat{ID: -1002000000002, Title: "Closed"})
	n := len(h.tg.SentTo(p.chat.ID))
	h.tg.ForwardFromChannel(p.user, -1002000000002, 3, "post")
	contains(t, "a forwarded post of a channel the bot is not in", h.wait(p.chat.ID, n+1)[n].Text, "can't find")
	h.tg.SendText(p.user, p.chat, "just text")
	if got := h.wait(p.chat.ID, n+2)[n+1].Text; !strings.Contains(got, "/help") {
		t.Errorf("plain text = %q; want the pointer to /help", got)
	}
}
