package telegramtest_test

import (
	"net/http"
	"testing"
	"time"

	"newsbot/internal/telegram/telegramtest"
)

func TestChannelSendsNeedPostRights(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{GroupPerMinute: 2, Now: clk.Now})
	const ch = -1005550001
	s.AddChannel(telegramtest.Chat{ID: ch, Title: "News", UserName: "news"})
	send := func() (int, envelope) {
		return call(t, s, "sendMessage", map[string]any{"chat_id": ch, "text": "post"})
	}
	if code, env := send(); code != http.StatusForbidden {
		t.Errorf("send before the bot is in the channel = %d %q, want 403", code, env.Description)
	}
	if code, env := call(t, s, "getChatMember", map[string]any{"chat_id": ch, "user_id": 5}); code != http.StatusBadRequest {
		t.Errorf("getChatMember before the bot is an admin = %d %q, want 400", code, env.Description)
	}
	s.SetChannelAdmin(ch, s.BotID(), false)
	if code, env := send(); code != http.StatusBadRequest {
		t.Errorf("send without post rights = %d %q, want 400", code, env.Description)
	}
	s.SetChannelAdmin(ch, s.BotID(), true)
	for i := range 2 {
		if code, env := send(); code != http.StatusOK {
			t.Fatalf("send %d = %d %q, want 200", i, code, env.Description)
		}
	}
	if code, _ := send(); code != http.StatusTooManyRequests {
		t.Errorf("third send within a minute = %d, want 429 (the group limit)", code)
	}
	clk.Advance(time.Minute)
	if code, _ := send(); code != http.StatusOK {
		t.Errorf("send a minute later = %d, want 200", code)
	}
	if n := len(s.SentTo(ch)); n != 3 {
		t.Errorf("posts in the channel = %d, want 3", n)
	}
	if code, _ := call(t, s, "getChat", map[string]any{"chat_id": "-1009999"}); code != http.StatusBadRequest {
		t.Errorf("getChat of an unknown chat = %d, want 400", code)
	}
}
