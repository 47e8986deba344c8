package telegram_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

const testChannel = -1001234567890

func TestGetChatAndChannelMembers(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	s.AddChannel(telegramtest.Chat{ID: testChannel, Title: "Daily news", UserName: "dailynews"})
	s.SetChannelAdmin(testChannel, s.BotID(), true)
	s.SetChannelAdmin(testChannel, 7, false)
	s.SetMemberStatus(testChannel, 8, "creator")

	want := telegram.Chat{ID: testChannel, Type: "channel", Title: "Daily news", UserName: "dailynews"}
	for _, ref := range []string{"@dailynews", "@DailyNews", "-1001234567890"} {
		got, err := c.GetChat(ctx, ref)
		if err != nil {
			t.Fatalf("GetChat(%q): %v", ref, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetChat(%q) (-want +got):\n%s", ref, diff)
		}
	}
	if _, err := c.GetChat(ctx, "@nosuchchannel"); telegram.KindOf(err) != telegram.ChatNotFound {
		t.Errorf("GetChat(@nosuchchannel) = %v, want ChatNotFound", err)
	}

	members := []struct {
		user int64
		want telegram.ChatMember
	}{
		{s.BotID(), telegram.ChatMember{Status: "administrator", CanPostMessages: true}},
		{7, telegram.ChatMember{Status: "administrator"}},
		{8, telegram.ChatMember{Status: "creator"}},
		{9, telegram.ChatMember{Status: "left"}},
	}
	for _, m := range members {
		got, err := c.ChatMember(ctx, testChannel, m.user)
		if err != nil {
			t.Fatalf("ChatMember(%d): %v", m.user, err)
		}
		got.User = nil
		if diff := cmp.Diff(m.want, got); diff != "" {
			t.Errorf("ChatMember(%d) (-want +got):\n%s", m.user, diff)
		}
	}
	if ok, err := c.ChatAdmin(ctx, testChannel, 8); err != nil || !ok {
		t.Errorf("ChatAdmin(channel, creator) = %v, %v; want true", ok, err)
	}
}

func TestChannelUpdatesDecode(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	s.AddChannel(telegramtest.Chat{ID: testChannel, Title: "Daily news", UserName: "dailynews"})
	admin := telegramtest.User{ID: 42, FirstName: "Admin"}
	s.BotChannelStatus(admin, testChannel, "administrator", true)
	s.ChannelPost(testChannel, "A post")
	s.ForwardFromChannel(admin, testChannel, 17, "A post")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ups, err := c.GetUpdates(ctx, 0, 0, []string{"message", "my_chat_member", "channel_post"})
	if err != nil || len(ups) != 3 {
		t.Fatalf("GetUpdates = %d updates, %v; want 3", len(ups), err)
	}
	if m := ups[0].MyChatMember; m == nil || !m.Chat.IsChannel() || !m.NewChatMember.CanPostMessages || m.NewChatMember.Status != "administrator" {
		t.Errorf("my_chat_member = %+v; want the bot made an admin who may post", m)
	}
	// A channel post is not a kind newsbot reads: only its ID is decoded.
	if diff := cmp.Diff(telegram.Update{UpdateID: ups[1].UpdateID}, ups[1]); diff != "" {
		t.Errorf("channel_post update (-want +got):\n%s", diff)
	}
	m := ups[2].Message
	if m == nil {
		t.Fatal("the forwarded post is not a message")
	}
	got := m.ForwardedFromChannel()
	if got == nil || got.ID != testChannel || got.UserName != "dailynews" {
		t.Errorf("ForwardedFromChannel() = %+v; want the channel", got)
	}
	if m.ForwardOrigin == nil || m.ForwardOrigin.MessageID != 17 {
		t.Errorf("forward_origin = %+v; want post 17", m.ForwardOrigin)
	}
	// Only the old field: still the channel.
	old := telegram.IncomingMessage{ForwardFromChat: &telegram.Chat{ID: testChannel, Type: "channel"}}
	if ch := old.ForwardedFromChannel(); ch == nil || ch.ID != testChannel {
		t.Errorf("ForwardedFromChannel() of forward_from_chat = %+v", ch)
	}
	if ch := (&telegram.IncomingMessage{}).ForwardedFromChannel(); ch != nil {
		t.Errorf("ForwardedFromChannel() of a plain message = %+v, want nil", ch)
	}
}
