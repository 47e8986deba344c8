package telegramtest_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

func TestForumTopics(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{Now: clk.Now})
	const group = -1001000000077
	s.CreateForum(group, "Newsroom")
	war := s.CreateTopic(group, "War")
	sport := s.CreateTopic(group, "Sport")
	gone := s.CreateTopic(group, "Old")
	s.CloseTopic(group, sport)
	s.DeleteTopic(group, gone)
	got := map[string]string{
		"general": outcome(t, s, group, nil),
		"war":     outcome(t, s, group, map[string]any{"message_thread_id": war}),
		"closed":  outcome(t, s, group, map[string]any{"message_thread_id": sport}),
		"deleted": outcome(t, s, group, map[string]any{"message_thread_id": gone}),
		"unknown": outcome(t, s, group, map[string]any{"message_thread_id": 999}),
		// A chat that is not a forum keeps its reply threads.
		"plain group": outcome(t, s, -1001000000078, map[string]any{"message_thread_id": 3}),
	}
	want := map[string]string{
		"general": "ok", "war": "ok", "plain group": "ok",
		"closed":  "400 Bad Request: TOPIC_CLOSED",
		"deleted": "400 Bad Request: message thread not found",
		"unknown": "400 Bad Request: message thread not found",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sends (-want +got):\n%s", diff)
	}
	s.ReopenTopic(group, sport)
	if o := outcome(t, s, group, map[string]any{"message_thread_id": sport}); o != "ok" {
		t.Errorf("send to a reopened topic: %s", o)
	}
	if n := len(s.SentToTopic(group, war)); n != 1 {
		t.Errorf("%d messages in the war topic, want 1", n)
	}
	if n := len(s.SentToTopic(group, 0)); n != 1 {
		t.Errorf("%d messages in General, want 1", n)
	}
	// A message sent into a topic says so.
	code, env := call(t, s, "sendMessage", map[string]any{"chat_id": group, "text": "x", "message_thread_id": war})
	var m struct {
		Thread  int64 `json:"message_thread_id"`
		IsTopic bool  `json:"is_topic_message"`
		Chat    struct {
			IsForum bool `json:"is_forum"`
		} `json:"chat"`
	}
	if code != 200 || json.Unmarshal(env.Result, &m) != nil || m.Thread != war || !m.IsTopic || !m.Chat.IsForum {
		t.Errorf("sendMessage into a topic: %d %s", code, env.Result)
	}
}

func TestForumUpdatesAndGroupLimit(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{Now: clk.Now, GroupPerMinute: 3, Jitter: -1})
	const group = -1001000000079
	a, b := s.CreateTopic(group, "A"), s.CreateTopic(group, "B")
	user := telegramtest.User{ID: 7, FirstName: "Ira"}
	s.SendTextInTopic(user, telegramtest.Chat{ID: group}, a, "/start")
	s.SendTextInTopic(user, telegramtest.Chat{ID: group}, 0, "/help")
	code, env := call(t, s, "getUpdates", map[string]any{})
	var ups []struct {
		Message struct {
			Thread  int64 `json:"message_thread_id"`
			IsTopic bool  `json:"is_topic_message"`
		} `json:"message"`
	}
	if code != 200 || json.Unmarshal(env.Result, &ups) != nil || len(ups) != 2 {
		t.Fatalf("getUpdates: %d %s", code, env.Result)
	}
	msgs := [2]struct {
		Thread  int64
		IsTopic bool
	}{{ups[0].Message.Thread, ups[0].Message.IsTopic}, {ups[1].Message.Thread, ups[1].Message.IsTopic}}
	if msgs[0].Thread != a || !msgs[0].IsTopic || msgs[1].Thread != 0 || msgs[1].IsTopic {
		t.Errorf("updates: %+v, want thread %d in a topic, then General", msgs, a)
	}
	// The group's limit counts every topic's messages together.
	var got []string
	for _, thread := range []int64{a, b, 0, b} {
		p := map[string]any{}
		if thread != 0 {
			p["message_thread_id"] = thread
		}
		got = append(got, outcome(t, s, group, p))
	}
	if diff := cmp.Diff([]string{"ok", "ok", "ok", "429 after 60"}, got); diff != "" {
		t.Errorf("sends to one group's topics within a minute (-want +got):\n%s", diff)
	}
}
