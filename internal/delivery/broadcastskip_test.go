package delivery

import (
	"context"
	"testing"
	"time"

	"newsbot/internal/news"
)

// An operator's broadcast reaches the bot's readers and groups, but not
// the channels it posts to (their readers are not its users) nor each
// forum topic of a group (the group gets it once, in General).
func TestBroadcastSkipsChannelsAndTopics(t *testing.T) {
	f := &fakeSender{}
	e, st := newTestEngine(t, testConfig(t), f)
	ctx := context.Background()
	const group, channel = -1001, -1002
	seedChat(t, st, 1, news.English, false)
	seedChat(t, st, group, news.English, false)
	if _, err := st.UpdateChat(ctx, channel, func(c *news.Chat, _ bool) error {
		c.Lang, c.Group, c.Channel, c.Title = news.English, true, true, "@news"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	topic, err := st.TopicID(ctx, group, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateChat(ctx, topic, func(c *news.Chat, _ bool) error {
		c.Lang, c.Group, c.Topic = news.English, true, &news.Topic{Chat: group, Thread: 7}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Broadcast(ctx, "Maintenance tonight"); err != nil {
		t.Fatal(err)
	}
	runEngine(t, e)
	s := waitDrained(t, e, 10*time.Second)
	got := map[int64]int{}
	for _, m := range f.delivered() {
		got[m.m.ChatID]++
		if m.m.ThreadID != 0 {
			t.Errorf("a broadcast went to thread %d of chat %d", m.m.ThreadID, m.m.ChatID)
		}
	}
	if got[1] != 1 || got[group] != 1 || got[channel] != 0 || len(got) != 2 {
		t.Errorf("broadcast sent to %v; want chat 1 and the group once each, not the channel", got)
	}
	if s.Dropped != 2 {
		t.Errorf("stats %+v; want the channel's and the topic's copies dropped", s)
	}
}
