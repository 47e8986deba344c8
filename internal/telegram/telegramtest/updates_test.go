package telegramtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

// poll calls getUpdates and decodes the updates.
func poll(t *testing.T, s *telegramtest.Server, params map[string]any) (int, string, []update) {
	t.Helper()
	code, env := call(t, s, "getUpdates", params)
	if code != 200 {
		return code, env.Description, nil
	}
	var ups []update
	if err := json.Unmarshal(env.Result, &ups); err != nil {
		t.Fatalf("getUpdates result: %v", err)
	}
	return code, "", ups
}

func updateIDs(ups []update) []int {
	ids := []int{}
	for _, u := range ups {
		ids = append(ids, u.UpdateID)
	}
	return ids
}

var olena = telegramtest.User{ID: 77, FirstName: "Олена", UserName: "olena", LanguageCode: "uk"}

func TestInjectedUpdatesDecode(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{Now: clk.Now})
	group := telegramtest.Chat{ID: -500, Type: "supergroup", Title: "Редакція"}

	s.SendText(olena, telegramtest.Chat{}, "/start@newsbot_test_bot")
	code, env := call(t, s, "sendMessage", map[string]any{"chat_id": 77, "text": "Оберіть",
		"reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "EN", "callback_data": "lang:en"}}}}})
	if code != 200 {
		t.Fatal(env.Description)
	}
	_, cbID := s.PressButton(olena, telegramtest.Chat{}, 2, "lang:en")
	s.ChatMember(olena, telegramtest.Chat{}, "member", "kicked")
	s.SendText(olena, group, "привіт")

	_, _, ups := poll(t, s, nil)
	if diff := cmp.Diff([]int{1, 2, 3, 4}, updateIDs(ups)); diff != "" {
		t.Fatalf("update IDs (-want +got):\n%s", diff)
	}

	m := ups[0].Message
	if m == nil || !m.IsCommand() || m.Command() != "start" || m.From.LanguageCode != "uk" || m.Chat.Type != "private" ||
		m.Chat.ID != 77 || m.MessageID != 1 || int64(m.Date) != clk.Now().Unix() {
		t.Errorf("update 1 message = %+v, want /start from Олена (uk) in her private chat", m)
	}

	cb := ups[1].CallbackQuery
	if cb == nil || cb.ID != cbID || cb.Data != "lang:en" || cb.From.ID != 77 || cb.Message == nil ||
		cb.Message.MessageID != 2 || cb.Message.Text != "Оберіть" || cb.Message.ReplyMarkup == nil ||
		*cb.Message.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "lang:en" || !cb.Message.From.IsBot {
		t.Errorf("update 2 callback = %+v, want the press on the bot's message 2", cb)
	}

	cm := ups[2].MyChatMember
	if cm == nil || cm.OldChatMember.Status != "member" || cm.NewChatMember.Status != "kicked" ||
		cm.Chat.ID != 77 || cm.From.ID != 77 || !cm.NewChatMember.User.IsBot {
		t.Errorf("update 3 my_chat_member = %+v, want member → kicked", cm)
	}

	g := ups[3].Message
	if g == nil || g.Chat.ID != -500 || g.Chat.Type != "supergroup" || g.Chat.Title != "Редакція" || g.IsCommand() {
		t.Errorf("update 4 message = %+v, want a plain message in the supergroup", g)
	}
}

func TestOffsetConfirmsUpdates(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	for range 3 {
		s.SendText(olena, telegramtest.Chat{}, "x")
	}
	steps := []struct {
		params      map[string]any
		want        []int
		wantPending int
	}{
		{nil, []int{1, 2, 3}, 3}, // nothing confirmed yet
		{map[string]any{"offset": 1}, []int{1, 2, 3}, 3},
		{map[string]any{"limit": 2}, []int{1, 2}, 3},
		{map[string]any{"offset": 3}, []int{3}, 1}, // 1 and 2 confirmed
		{nil, []int{3}, 1},
		{map[string]any{"offset": 4}, []int{}, 0},
	}
	for i, st := range steps {
		_, desc, ups := poll(t, s, st.params)
		if diff := cmp.Diff(st.want, updateIDs(ups)); diff != "" {
			t.Errorf("step %d %v: %s update IDs (-want +got):\n%s", i, st.params, desc, diff)
		}
		if got := s.Pending(); got != st.wantPending {
			t.Errorf("step %d: Pending() = %d, want %d", i, got, st.wantPending)
		}
	}
	for range 3 {
		s.SendText(olena, telegramtest.Chat{}, "y") // 4, 5, 6
	}
	_, _, ups := poll(t, s, map[string]any{"offset": -1})
	if diff := cmp.Diff([]int{6}, updateIDs(ups)); diff != "" {
		t.Errorf("offset -1 (-want +got):\n%s", diff)
	}
	if got := s.Pending(); got != 1 {
		t.Errorf("Pending() after offset -1 = %d, want 1", got)
	}
}

func TestAllowedUpdates(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	s.SendText(olena, telegramtest.Chat{}, "a")                  // 1
	s.PressButton(olena, telegramtest.Chat{}, 1, "d")            // 2
	s.ChatMember(olena, telegramtest.Chat{}, "member", "kicked") // 3
	_, _, ups := poll(t, s, map[string]any{"allowed_updates": []string{"message", "my_chat_member"}})
	if diff := cmp.Diff([]int{1, 3}, updateIDs(ups)); diff != "" {
		t.Errorf("allowed message+my_chat_member (-want +got):\n%s", diff)
	}
	// The setting persists across polls that do not repeat it.
	s.PressButton(olena, telegramtest.Chat{}, 1, "d") // 4, dropped
	s.SendText(olena, telegramtest.Chat{}, "b")       // 5
	_, _, ups = poll(t, s, map[string]any{"offset": 4})
	if diff := cmp.Diff([]int{5}, updateIDs(ups)); diff != "" {
		t.Errorf("persisted allowed_updates (-want +got):\n%s", diff)
	}
	// An empty list restores the default (every kind newsbot uses).
	s.PressButton(olena, telegramtest.Chat{}, 1, "d") // 6
	_, _, ups = poll(t, s, map[string]any{"offset": 6, "allowed_updates": []string{}})
	if diff := cmp.Diff([]int{6}, updateIDs(ups)); diff != "" {
		t.Errorf("default allowed_updates (-want +got):\n%s", diff)
	}
}

func TestLongPollReturnsWhenAnUpdateArrives(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	type result struct {
		ups     []update
		elapsed time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		_, _, ups := poll(t, s, map[string]any{"timeout": 30})
		done <- result{ups, time.Since(start)}
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("the poll returned %d updates before any was injected", len(r.ups))
	default:
	}
	s.SendText(olena, telegramtest.Chat{}, "news?")
	select {
	case r := <-done:
		if len(r.ups) != 1 || r.ups[0].Message.Text != "news?" {
			t.Errorf("poll returned %+v, want the injected message", r.ups)
		}
		if r.elapsed > 10*time.Second {
			t.Errorf("poll took %v, want it to end when the update arrived", r.elapsed)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the long poll did not return after an update was injected")
	}
}

func TestLongPollTimesOut(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	start := time.Now()
	code, _, ups := poll(t, s, map[string]any{"timeout": 1})
	if elapsed := time.Since(start); code != 200 || len(ups) != 0 || elapsed < 900*time.Millisecond {
		t.Errorf("poll = %d, %d updates after %v; want 200, none, after about 1 s", code, len(ups), elapsed)
	}
}

func TestNewerPollTerminatesOlder(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	type result struct {
		code int
		desc string
	}
	done := make(chan result, 1)
	go func() {
		code, desc, _ := poll(t, s, map[string]any{"timeout": 20})
		done <- result{code, desc}
	}()
	deadline := time.After(10 * time.Second)
	for {
		// A short poll ends any poll already waiting; repeat until the
		// long one has started waiting and been cut off.
		if code, desc, _ := poll(t, s, nil); code != 200 {
			t.Fatalf("the newer poll failed: %d %s", code, desc)
		}
		select {
		case r := <-done:
			want := result{409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
			if r != want {
				t.Errorf("older poll = %+v, want %+v", r, want)
			}
			return
		case <-deadline:
			t.Fatal("the older poll was not terminated")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestCallbackAnswers(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	_, id1 := s.PressButton(olena, telegramtest.Chat{}, 1, "a")
	_, id2 := s.PressButton(olena, telegramtest.Chat{}, 1, "b")
	if id1 == id2 || id1 == "" {
		t.Fatalf("callback IDs %q and %q, want distinct", id1, id2)
	}
	tooOld := "Bad Request: query is too old and response timeout expired or query ID is invalid"
	steps := []struct {
		params   map[string]any
		wantCode int
		wantDesc string
	}{
		{map[string]any{"callback_query_id": id2, "text": "Готово"}, 200, ""},
		{map[string]any{"callback_query_id": id2}, 400, tooOld}, // answered already
		{map[string]any{"callback_query_id": "nope"}, 400, tooOld},
		{map[string]any{"callback_query_id": id1, "show_alert": true}, 200, ""},
	}
	for i, st := range steps {
		if code, env := call(t, s, "answerCallbackQuery", st.params); code != st.wantCode || env.Description != st.wantDesc {
			t.Errorf("step %d: %d %q, want %d %q", i, code, env.Description, st.wantCode, st.wantDesc)
		}
	}
	if diff := cmp.Diff([]string{id2, id1}, s.Callbacks()); diff != "" {
		t.Errorf("Callbacks() (-want +got):\n%s", diff)
	}
	want := []telegramtest.CallbackAnswer{{ID: id2, Text: "Готово"}, {ID: id1, ShowAlert: true}}
	if diff := cmp.Diff(want, s.CallbackAnswers()); diff != "" {
		t.Errorf("CallbackAnswers() (-want +got):\n%s", diff)
	}
}

func TestCommands(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	uk := []telegramtest.Command{{Command: "start", Description: "Почати"}, {Command: "tags", Description: "Теми"}}
	en := []telegramtest.Command{{Command: "start", Description: "Start"}}
	if code, env := call(t, s, "setMyCommands", map[string]any{"commands": uk, "language_code": "uk"}); code != 200 {
		t.Fatal(env.Description)
	}
	enJSON, _ := json.Marshal(en)
	if code, env := callForm(t, s, "setMyCommands", map[string][]string{"commands": {string(enJSON)}}); code != 200 {
		t.Fatal(env.Description)
	}
	if diff := cmp.Diff(uk, s.Commands("uk")); diff != "" {
		t.Errorf("Commands(uk) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(en, s.Commands("")); diff != "" {
		t.Errorf("Commands(\"\") (-want +got):\n%s", diff)
	}
	code, env := call(t, s, "getMyCommands", map[string]any{"language_code": "uk"})
	var got []telegramtest.Command
	if code != 200 || json.Unmarshal(env.Result, &got) != nil {
		t.Fatalf("getMyCommands: %d %s", code, env.Description)
	}
	if diff := cmp.Diff(uk, got); diff != "" {
		t.Errorf("getMyCommands(uk) (-want +got):\n%s", diff)
	}

	bad := []struct {
		params   map[string]any
		wantDesc string
	}{
		{map[string]any{"commands": []telegramtest.Command{{Command: "Start", Description: "x"}}}, "Bad Request: BOT_COMMAND_INVALID"},
		{map[string]any{"commands": []telegramtest.Command{{Command: "/start", Description: "x"}}}, "Bad Request: BOT_COMMAND_INVALID"},
		{map[string]any{"commands": []telegramtest.Command{{Command: strings.Repeat("a", 33), Description: "x"}}}, "Bad Request: BOT_COMMAND_INVALID"},
		{map[string]any{"commands": []telegramtest.Command{{Command: "a", Description: ""}}}, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"},
		{map[string]any{"commands": "nope"}, "Bad Request: can't parse commands JSON array"},
		{map[string]any{"commands": en, "language_code": "ukr"}, "Bad Request: invalid language code specified"},
	}
	for _, b := range bad {
		if code, env := call(t, s, "setMyCommands", b.params); code != 400 || env.Description != b.wantDesc {
			t.Errorf("setMyCommands(%v) = %d %q, want 400 %q", b.params, code, env.Description, b.wantDesc)
		}
	}
	// An empty list removes the menu.
	if code, _ := call(t, s, "setMyCommands", map[string]any{"commands": []telegramtest.Command{}, "language_code": "uk"}); code != 200 {
		t.Fatal("setMyCommands([]) failed")
	}
	if got := s.Commands("uk"); got != nil {
		t.Errorf("Commands(uk) after an empty list = %v, want nil", got)
	}
}

// hook is a webhook endpoint that records updates and can fail.
type hook struct {
	mu      sync.Mutex
	fail    int // answer 500 to this many posts first
	secrets []string
	updates []update
	reply   string // JSON answer (a method call), once
	got     chan struct{}
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets = append(h.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	if h.fail > 0 {
		h.fail--
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.updates = append(h.updates, u)
	if h.reply != "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, h.reply)
		h.reply = ""
	}
	h.got <- struct{}{}
}

func TestWebhook(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	h := &hook{fail: 2, got: make(chan struct{}, 10),
		reply: `{"method":"sendMessage","chat_id":77,"text":"Вітаю"}`}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	s.SendText(olena, telegramtest.Chat{}, "queued before the webhook") // 1
	code, env := call(t, s, "setWebhook", map[string]any{"url": hs.URL + "/hook", "secret_token": "s3cr3t_-"})
	if code != 200 || env.Description != "Webhook was set" {
		t.Fatalf("setWebhook: %d %q", code, env.Description)
	}
	if code, desc, _ := poll(t, s, nil); code != 409 ||
		desc != "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" {
		t.Errorf("getUpdates with a webhook = %d %q, want 409", code, desc)
	}
	s.SendText(olena, telegramtest.Chat{}, "after") // 2

	for i := range 2 {
		select {
		case <-h.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("the webhook got %d of 2 updates", i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent, err := s.WaitSent(ctx, 77, 1) // the method in the webhook's answer
	if err != nil || sent[0].Text != "Вітаю" {
		t.Errorf("webhook reply: %v %+v, want sendMessage Вітаю", err, sent)
	}

	// The hook signals before its answer reaches the server.
	eventually(t, func() bool { return s.Pending() == 0 })
	h.mu.Lock()
	if diff := cmp.Diff([]int{1, 2}, updateIDs(h.updates)); diff != "" {
		t.Errorf("webhook updates (-want +got):\n%s", diff)
	}
	for _, sec := range h.secrets {
		if sec != "s3cr3t_-" {
			t.Errorf("secret header %q, want s3cr3t_-", sec)
		}
	}
	if len(h.secrets) != 4 {
		t.Errorf("webhook got %d posts, want 4 (two failures retried)", len(h.secrets))
	}
	h.mu.Unlock()
	st := s.Stats()
	if st.WebhookPosts != 2 || st.WebhookErrors != 2 || s.Pending() != 0 {
		t.Errorf("Stats() posts %d errors %d, Pending() %d; want 2, 2, 0", st.WebhookPosts, st.WebhookErrors, s.Pending())
	}

	code, env = call(t, s, "getWebhookInfo", nil)
	var info webhookInfo
	if code != 200 || json.Unmarshal(env.Result, &info) != nil || info.URL != hs.URL+"/hook" || info.LastErrorDate == 0 {
		t.Errorf("getWebhookInfo = %d %s, want the URL and the last error", code, env.Result)
	}

	if code, env := call(t, s, "deleteWebhook", nil); code != 200 || env.Description != "Webhook was deleted" {
		t.Errorf("deleteWebhook: %d %q", code, env.Description)
	}
	if code, env := call(t, s, "deleteWebhook", nil); code != 200 || env.Description != "Webhook is already deleted" {
		t.Errorf("second deleteWebhook: %d %q", code, env.Description)
	}
	s.SendText(olena, telegramtest.Chat{}, "polled") // 3
	if _, _, ups := poll(t, s, nil); len(ups) != 1 || ups[0].UpdateID != 3 {
		t.Errorf("getUpdates after deleteWebhook = %v, want update 3", updateIDs(ups))
	}

	bad := []map[string]any{
		{"url": "ftp://x.example/"},
		{"url": hs.URL, "secret_token": "no spaces"},
	}
	for _, p := range bad {
		if code, _ := call(t, s, "setWebhook", p); code != 400 {
			t.Errorf("setWebhook(%v) = %d, want 400", p, code)
		}
	}
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
