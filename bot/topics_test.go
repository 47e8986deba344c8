package bot_test

import (
	"context"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// inTopic sends text in topic thread of group (0: General) and returns the
// bot's next message there.
func (p *person) inTopic(group telegramtest.Chat, thread int64, text string) telegramtest.Sent {
	p.h.t.Helper()
	n := len(p.h.tg.SentTo(group.ID))
	p.h.tg.SendTextInTopic(p.user, group, thread, text)
	return p.h.wait(group.ID, n+1)[n]
}

func TestForumTopicHasItsOwnSettings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	group := telegramtest.Chat{ID: -1001000000500, Type: "supergroup", Title: "Newsroom"}
	h.tg.CreateForum(group.ID, group.Title)
	thread := h.tg.CreateTopic(group.ID, "War")
	admin, member := h.person(501, "en"), h.person(502, "en")
	h.tg.SetMemberStatus(group.ID, admin.user.ID, "administrator")

	got := admin.inTopic(group, thread, "/breaking on")
	if got.Thread() != thread {
		t.Errorf("the reply went to thread %d, want the topic's %d", got.Thread(), thread)
	}
	start := admin.inTopic(group, thread, "/start")
	admin.inTopic(group, 0, "/subscribe Economy")
	if got := member.inTopic(group, thread, "/breaking off"); got.Thread() != thread {
		t.Errorf("the refusal went to thread %d", got.Thread())
	} else {
		contains(t, "a member's /breaking in a topic", got.Plain, "Only the admins")
	}
	// A button under the bot's message in the topic changes the topic.
	n := len(h.tg.SentTo(group.ID))
	h.tg.PressButton(admin.user, group, start.MessageID, "lang:uk")
	h.wait(group.ID, n+1)

	id, err := h.store.TopicID(ctx, group.ID, int(thread))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := h.store.Chat(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !topic.Breaking || topic.Lang != news.Ukrainian || len(topic.Tags) != 0 || topic.Topic == nil ||
		topic.Topic.Chat != group.ID || topic.Topic.Thread != int(thread) {
		t.Errorf("the topic's settings: %+v", topic)
	}
	g, err := h.store.Chat(ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Breaking || g.Lang != news.English || len(g.Tags) != 1 || g.Topic != nil {
		t.Errorf("the group's settings: %+v", g)
	}

	// The topic leaves and comes back with its group.
	for _, c := range []struct {
		status   string
		inactive bool
	}{{"kicked", true}, {"member", false}} {
		h.tg.ChatMember(admin.user, group, "member", c.status)
		waitChat(t, h, id, func(c2 news.Chat) bool { return c2.Inactive == c.inactive })
	}
}

// waitChat polls the stored chat id until ok holds, for at most 10 s.
func waitChat(t *testing.T, h *harness, id int64, ok func(news.Chat) bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		c, err := h.store.Chat(context.Background(), id)
		if err == nil && ok(c) {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("chat %d: %+v, %v", id, c, err)
		case <-tick.C:
		}
	}
}
