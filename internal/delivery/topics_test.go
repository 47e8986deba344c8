package delivery

import (
	"context"
	"sort"
	"testing"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram/telegramtest"
)

// TestForumTopicsShareTheirGroupsTurns: a story for a group and for three
// of its topics goes to each topic's thread, one group interval apart
// (the group's limit is shared by its topics), and the closed topic alone
// is struck and made inactive.
func TestForumTopicsShareTheirGroupsTurns(t *testing.T) {
	cfg := testConfig(t)
	cfg.GroupPerMinute = 120 // 0.5 s (+10%) between a group's messages
	cfg.StrikeLimit = 1
	env := newAcceptanceEnv(t, cfg, telegramtest.Options{})
	ctx := context.Background()
	const group = -1001000000900
	seedChat(t, env.st, group, news.Ukrainian, false, "war")
	threads := map[string]int64{}
	topics := map[string]int64{}
	for _, name := range []string{"a", "b", "closed"} {
		thread := env.srv.CreateTopic(group, name)
		id, err := env.st.TopicID(ctx, group, int(thread))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.st.UpdateChat(ctx, id, func(c *news.Chat, _ bool) error {
			c.Lang, c.Group, c.Tags = news.Ukrainian, true, []string{"war"}
			c.Topic = &news.Topic{Chat: group, Thread: int(thread)}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		threads[name], topics[name] = thread, id
	}
	env.srv.CloseTopic(group, threads["closed"])
	if n := mustAnnounce(t, env.e, article(news.Ukrainian, 1, false, "war")); n != 4 {
		t.Fatalf("recipients = %d, want 4 (the group and three topics)", n)
	}
	runEngine(t, env.e)
	waitDrained(t, env.e, 20*time.Second)

	sent := env.srv.SentTo(group)
	var got []int64
	for i, s := range sent {
		got = append(got, s.Thread())
		if i > 0 {
			if d := s.At.Sub(sent[i-1].At); d < 500*time.Millisecond {
				t.Errorf("two messages to the group %v apart; want a group interval (0.55 s)", d)
			}
		}
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if want := []int64{0, threads["a"], threads["b"]}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("threads delivered to: %v, want %v", got, want)
	}
	closed, err := env.st.Chat(ctx, topics["closed"])
	if err != nil {
		t.Fatal(err)
	}
	if !closed.Inactive {
		t.Errorf("the closed topic is still active: %+v", closed)
	}
	for _, id := range []int64{group, topics["a"], topics["b"]} {
		if c, err := env.st.Chat(ctx, id); err != nil || c.Inactive || c.Strikes != 0 {
			t.Errorf("chat %d after the closed topic's refusal: %+v, %v", id, c, err)
		}
	}
	if n := env.srv.Stats().BadRequests; n != 1 {
		t.Errorf("%d refusals, want 1 (the closed topic, once)", n)
	}
}
