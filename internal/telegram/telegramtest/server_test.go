package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

// envelope is a Bot API answer.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// clock is a fake clock for the rate limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newServer(t *testing.T, opts telegramtest.Options) *telegramtest.Server {
	t.Helper()
	s := telegramtest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// call posts params as JSON to method and decodes the answer.
func call(t *testing.T, s *telegramtest.Server, method string, params map[string]any) (int, envelope) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(body))
}

// callForm posts params form-encoded, as the client library does.
func callForm(t *testing.T, s *telegramtest.Server, method string, params url.Values) (int, envelope) {
	t.Helper()
	return post(t, s.URL()+"/bot"+s.Token()+"/"+method, "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
}

func post(t *testing.T, u, contentType string, body io.Reader) (int, envelope) {
	t.Helper()
	resp, err := http.Post(u, contentType, body)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	if env.OK != (resp.StatusCode == http.StatusOK) || (!env.OK && env.ErrorCode != resp.StatusCode) {
		t.Fatalf("answer %d does not match its envelope: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, env
}

// send sends a plain message and returns the answer.
func send(t *testing.T, s *telegramtest.Server, chatID int64, text string) (int, envelope) {
	t.Helper()
	return call(t, s, "sendMessage", map[string]any{"chat_id": chatID, "text": text})
}

func sendOK(t *testing.T, s *telegramtest.Server, chatID int64, text string) message {
	t.Helper()
	code, env := send(t, s, chatID, text)
	if code != http.StatusOK {
		t.Fatalf("sendMessage to %d: %d %s", chatID, code, env.Description)
	}
	var m message
	if err := json.Unmarshal(env.Result, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	s := newServer(t, telegramtest.Options{Token: "1:right"})
	for _, path := range []string{"/bot1:wrong/getMe", "/bot/getMe", "/getMe"} {
		code, env := post(t, s.URL()+path, "application/json", strings.NewReader("{}"))
		if code != http.StatusUnauthorized || env.Description != "Unauthorized" {
			t.Errorf("%s: %d %q, want 401 Unauthorized", path, code, env.Description)
		}
	}
	if got := s.Stats().Unauthorized; got != 3 {
		t.Errorf("Stats().Unauthorized = %d, want 3", got)
	}
	for _, path := range []string{"/bot1:right/noSuchMethod", "/bot1:right"} {
		code, env := post(t, s.URL()+path, "application/json", strings.NewReader("{}"))
		if code != http.StatusNotFound || env.Description != "Not Found" {
			t.Errorf("%s: %d %q, want 404 Not Found", path, code, env.Description)
		}
	}
	// Method names are case-insensitive.
	if code, _ := post(t, s.URL()+"/bot1:right/GETME", "application/json", nil); code != http.StatusOK {
		t.Errorf("GETME: %d, want 200", code)
	}
}

func TestSendMessageValidation(t *testing.T) {
	cyrillic := func(n int) string { return strings.Repeat("ї", n) }
	tests := []struct {
		name     string
		params   map[string]any
		wantCode int
		wantDesc string
	}{
		{"ok", map[string]any{"chat_id": 1, "text": "x"}, 200, ""},
		{"chat_id as string", map[string]any{"chat_id": "1", "text": "x"}, 200, ""},
		{"no chat_id", map[string]any{"text": "x"}, 400, "Bad Request: chat_id is empty"},
		{"channel username", map[string]any{"chat_id": "@news", "text": "x"}, 400, "Bad Request: chat not found"},
		{"no text", map[string]any{"chat_id": 1}, 400, "Bad Request: message text is empty"},
		{"blank text", map[string]any{"chat_id": 1, "text": " \n "}, 400, "Bad Request: message text is empty"},
		{"only tags", map[string]any{"chat_id": 1, "text": "<b></b>", "parse_mode": "HTML"}, 400, "Bad Request: message text is empty"},
		{"4096 Cyrillic letters", map[string]any{"chat_id": 1, "text": cyrillic(4096)}, 200, ""},
		{"4097 Cyrillic letters", map[string]any{"chat_id": 1, "text": cyrillic(4097)}, 400, "Bad Request: message is too long"},
		{"2049 emoji are 4098 units", map[string]any{"chat_id": 1, "text": strings.Repeat("😀", 2049)}, 400, "Bad Request: message is too long"},
		{"markup does not count", map[string]any{"chat_id": 1, "parse_mode": "HTML",
			"text": "<b>" + cyrillic(4000) + "</b><a href=\"https://x.example/\">" + cyrillic(90) + "</a>&amp;&lt;&gt;&quot;"}, 200, ""},
		{"entities count decoded", map[string]any{"chat_id": 1, "parse_mode": "HTML", "text": cyrillic(4093) + "&amp;&amp;&amp;&amp;"}, 400, "Bad Request: message is too long"},
		{"bad HTML", map[string]any{"chat_id": 1, "text": "a<br>b", "parse_mode": "HTML"}, 400,
			`Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 1`},
		{"bare ampersand", map[string]any{"chat_id": 1, "text": "R&D", "parse_mode": "HTML"}, 400,
			`Bad Request: can't parse entities: Unescaped "&" (use &amp;) at byte offset 1`},
		{"bare ampersand in plain text", map[string]any{"chat_id": 1, "text": "R&D <x>"}, 200, ""},
		{"html parse mode is case-insensitive", map[string]any{"chat_id": 1, "text": "<b>x</b>", "parse_mode": "html"}, 200, ""},
		{"unknown parse mode", map[string]any{"chat_id": 1, "text": "x", "parse_mode": "BBCode"}, 400, "Bad Request: unsupported parse_mode"},
		{"invalid UTF-8", map[string]any{"chat_id": 1, "text": "\xff"}, 200, ""}, // json.Marshal repairs it; see the form case below
		{"callback_data of 64 bytes", map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "b", "callback_data": strings.Repeat("d", 64)}}}}}, 200, ""},
		{"callback_data of 65 bytes", map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "b", "callback_data": strings.Repeat("d", 65)}}}}}, 400, "Bad Request: BUTTON_DATA_INVALID"},
		{"Cyrillic callback_data over 64 bytes", map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "b", "callback_data": cyrillic(33)}}}}}, 400, "Bad Request: BUTTON_DATA_INVALID"},
		{"button without action", map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "b"}}}}}, 400,
			"Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"button URL", map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "b", "url": "javascript:alert(1)"}}}}}, 400, "Bad Request: BUTTON_URL_INVALID"},
		{"reply_markup as a JSON string", map[string]any{"chat_id": 1, "text": "x",
			"reply_markup": `{"inline_keyboard":[[{"text":"b","url":"https://x.example/"}]]}`}, 200, ""},
		{"reply_markup not JSON", map[string]any{"chat_id": 1, "text": "x", "reply_markup": "{"}, 400,
			"Bad Request: can't parse reply keyboard markup JSON object"},
		{"link_preview_options not an object", map[string]any{"chat_id": 1, "text": "x", "link_preview_options": "[1]"}, 400,
			"Bad Request: can't parse link preview options JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, telegramtest.Options{})
			code, env := call(t, s, "sendMessage", tt.params)
			if code != tt.wantCode || env.Description != tt.wantDesc {
				t.Errorf("sendMessage = %d %q, want %d %q", code, env.Description, tt.wantCode, tt.wantDesc)
			}
			wantSent := 0
			if tt.wantCode == 200 {
				wantSent = 1
			}
			if got := len(s.Sent()); got != wantSent {
				t.Errorf("len(Sent()) = %d, want %d", got, wantSent)
			}
		})
	}

	t.Run("invalid UTF-8 in a form", func(t *testing.T) {
		s := newServer(t, telegramtest.Options{})
		code, env := callForm(t, s, "sendMessage", url.Values{"chat_id": {"1"}, "text": {"a\xffb"}})
		if code != 400 || env.Description != "Bad Request: text must be encoded in UTF-8" {
			t.Errorf("sendMessage = %d %q, want 400 text must be encoded in UTF-8", code, env.Description)
		}
	})
}

func TestSendMessageResultAndRecord(t *testing.T) {
	clk := newClock()
	s := newServer(t, telegramtest.Options{Now: clk.Now})
	s.SendText(telegramtest.User{ID: 5, FirstName: "Олена", UserName: "olena"}, telegramtest.Chat{}, "/start")

	markup := `{"inline_keyboard":[[{"text":"Читати","url":"https://www.pravda.com.ua/"}],[{"text":"🔔","callback_data":"sub:war"}]]}`
	code, env := callForm(t, s, "sendMessage", url.Values{
		"chat_id":              {"5"},
		"text":                 {"<b>Заголовок</b> &amp; текст"},
		"parse_mode":           {"HTML"},
		"disable_notification": {"true"},
		"allow_paid_broadcast": {"true"},
		"message_thread_id":    {"3"},
		"link_preview_options": {`{"is_disabled":true}`},
		"reply_markup":         {markup},
	})
	if code != 200 {
		t.Fatalf("sendMessage: %d %s", code, env.Description)
	}
	var got map[string]any
	if err := json.Unmarshal(env.Result, &got); err != nil {
		t.Fatal(err)
	}
	var wantResult map[string]any
	if err := json.Unmarshal([]byte(`{
		"message_id": 2, "message_thread_id": 3,
		"from": {"id": 123456789, "is_bot": true, "first_name": "Newsbot Test", "username": "newsbot_test_bot"},
		"chat": {"id": 5, "type": "private", "first_name": "Олена", "username": "olena"},
		"date": `+strconv.FormatInt(clk.Now().Unix(), 10)+`,
		"text": "Заголовок & текст",
		"entities": [{"type": "bold", "offset": 0, "length": 9}],
		"link_preview_options": {"is_disabled": true},
		"reply_markup": `+markup+`}`), &wantResult); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantResult, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	wantSent := []telegramtest.Sent{{
		Method: "sendMessage", ChatID: 5, MessageID: 2,
		Text: "<b>Заголовок</b> &amp; текст", Plain: "Заголовок & текст", ParseMode: "HTML", Silent: true,
		ReplyMarkup: json.RawMessage(markup),
		Params: map[string]any{
			"chat_id": int64(5), "text": "<b>Заголовок</b> &amp; текст", "parse_mode": "HTML",
			"disable_notification": true, "allow_paid_broadcast": true, "message_thread_id": int64(3),
			"link_preview_options": map[string]any{"is_disabled": true},
			"reply_markup": map[string]any{"inline_keyboard": []any{
				[]any{map[string]any{"text": "Читати", "url": "https://www.pravda.com.ua/"}},
				[]any{map[string]any{"text": "🔔", "callback_data": "sub:war"}},
			}},
		},
		At: clk.Now(), Paid: true,
	}}
	if diff := cmp.Diff(wantSent, s.SentTo(5)); diff != "" {
		t.Errorf("SentTo(5) (-want +got):\n%s", diff)
	}

	// The same message as JSON gives the same record.
	code, env = call(t, s, "sendMessage", map[string]any{
		"chat_id": 5, "text": "<b>Заголовок</b> &amp; текст", "parse_mode": "HTML", "disable_notification": true,
		"allow_paid_broadcast": true, "message_thread_id": 3, "link_preview_options": map[string]any{"is_disabled": true},
		"reply_markup": json.RawMessage(markup),
	})
	if code != 200 {
		t.Fatalf("sendMessage (JSON): %d %s", code, env.Description)
	}
	sent := s.SentTo(5)
	wantSent[0].MessageID = 3
	if diff := cmp.Diff(wantSent[0], sent[1]); diff != "" {
		t.Errorf("JSON-sent record (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Duplicates != 1 || st.Delivered != 2 {
		t.Errorf("Stats() duplicates %d delivered %d, want 1 and 2", st.Duplicates, st.Delivered)
	}
}

func TestMessageIDsPerChat(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	var got []int
	for _, chat := range []int64{1, 2, 1, -100, 1, 2} {
		got = append(got, sendOK(t, s, chat, "x").MessageID)
	}
	if diff := cmp.Diff([]int{1, 1, 2, 1, 3, 2}, got); diff != "" {
		t.Errorf("message IDs (-want +got):\n%s", diff)
	}
	chatTypes := map[int64]string{}
	for _, id := range []int64{9, -9, -1001234567890} {
		chatTypes[id] = sendOK(t, s, id, "x").Chat.Type
	}
	if diff := cmp.Diff(map[int64]string{9: "private", -9: "group", -1001234567890: "supergroup"}, chatTypes); diff != "" {
		t.Errorf("chat types (-want +got):\n%s", diff)
	}
}

func TestSendPhoto(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	tests := []struct {
		name     string
		params   map[string]any
		wantCode int
		wantDesc string
	}{
		{"by URL with caption", map[string]any{"chat_id": 3, "photo": "https://img.pravda.com/x.jpg", "caption": "<i>Фото</i>", "parse_mode": "HTML"}, 200, ""},
		{"no photo", map[string]any{"chat_id": 3, "caption": "x"}, 400, "Bad Request: there is no photo in the request"},
		{"caption of 1025", map[string]any{"chat_id": 3, "photo": "p", "caption": strings.Repeat("я", 1025)}, 400, "Bad Request: message caption is too long"},
		{"bad caption markup", map[string]any{"chat_id": 3, "photo": "p", "caption": "<x>", "parse_mode": "HTML"}, 400,
			`Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, env := call(t, s, "sendPhoto", tt.params)
			if code != tt.wantCode || env.Description != tt.wantDesc {
				t.Errorf("sendPhoto = %d %q, want %d %q", code, env.Description, tt.wantCode, tt.wantDesc)
			}
		})
	}
	sent := s.SentTo(3)
	if len(sent) != 1 {
		t.Fatalf("SentTo(3) has %d messages, want 1", len(sent))
	}
	if got := sent[0]; got.Method != "sendPhoto" || got.Text != "<i>Фото</i>" || got.Plain != "Фото" || got.Params["photo"] != "https://img.pravda.com/x.jpg" {
		t.Errorf("Sent = %+v, want the photo with its caption", got)
	}
}

func TestEditMessageText(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	kb := `{"inline_keyboard":[[{"text":"a","callback_data":"a"}]]}`
	code, env := call(t, s, "sendMessage", map[string]any{"chat_id": 8, "text": "<b>one</b>", "parse_mode": "HTML", "reply_markup": json.RawMessage(kb)})
	if code != 200 {
		t.Fatalf("sendMessage: %d %s", code, env.Description)
	}
	s.SendText(telegramtest.User{ID: 8}, telegramtest.Chat{}, "hi") // message 2, the user's
	photo, _ := call(t, s, "sendPhoto", map[string]any{"chat_id": 8, "photo": "p"})
	if photo != 200 {
		t.Fatal("sendPhoto failed")
	}

	edit := func(p map[string]any) (int, string) {
		code, env := call(t, s, "editMessageText", p)
		return code, env.Description
	}
	notModified := "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	steps := []struct {
		name     string
		params   map[string]any
		wantCode int
		wantDesc string
	}{
		{"same text and keyboard", map[string]any{"chat_id": 8, "message_id": 1, "text": "<b>one</b>", "parse_mode": "HTML", "reply_markup": json.RawMessage(kb)}, 400, notModified},
		{"same text, keyboard removed", map[string]any{"chat_id": 8, "message_id": 1, "text": "<b>one</b>", "parse_mode": "HTML"}, 200, ""},
		{"same again", map[string]any{"chat_id": 8, "message_id": 1, "text": "<b>one</b>", "parse_mode": "HTML"}, 400, notModified},
		{"bold dropped", map[string]any{"chat_id": 8, "message_id": 1, "text": "one"}, 200, ""},
		{"new text", map[string]any{"chat_id": 8, "message_id": 1, "text": "two"}, 200, ""},
		{"unknown message", map[string]any{"chat_id": 8, "message_id": 99, "text": "x"}, 400, "Bad Request: message to edit not found"},
		{"user's message", map[string]any{"chat_id": 8, "message_id": 2, "text": "x"}, 400, "Bad Request: message can't be edited"},
		{"photo", map[string]any{"chat_id": 8, "message_id": 3, "text": "x"}, 400, "Bad Request: there is no text in the message to edit"},
		{"no message_id", map[string]any{"chat_id": 8, "text": "x"}, 400, "Bad Request: message identifier is not specified"},
		{"empty text", map[string]any{"chat_id": 8, "message_id": 1, "text": ""}, 400, "Bad Request: message text is empty"},
	}
	for _, st := range steps {
		code, desc := edit(st.params)
		if code != st.wantCode || desc != st.wantDesc {
			t.Errorf("%s: editMessageText = %d %q, want %d %q", st.name, code, desc, st.wantCode, st.wantDesc)
		}
	}
	var methods []string
	for _, m := range s.SentTo(8) {
		methods = append(methods, fmt.Sprintf("%s %d %s", m.Method, m.MessageID, m.Plain))
	}
	want := []string{"sendMessage 1 one", "sendPhoto 3 ", "editMessageText 1 one", "editMessageText 1 one", "editMessageText 1 two"}
	if diff := cmp.Diff(want, methods); diff != "" {
		t.Errorf("SentTo(8) (-want +got):\n%s", diff)
	}
}

func TestBlockAndMigrate(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	sendOK(t, s, 10, "before")
	s.Block(10)
	s.Block(-20)
	s.Migrate(-30, -1009990000030)

	tests := []struct {
		chat        int64
		wantCode    int
		wantDesc    string
		wantMigrate int64
	}{
		{10, 403, "Forbidden: bot was blocked by the user", 0},
		{-20, 403, "Forbidden: bot was kicked from the group chat", 0},
		{-30, 400, "Bad Request: group chat was upgraded to a supergroup chat", -1009990000030},
		{-1009990000030, 200, "", 0},
		{11, 200, "", 0},
	}
	for _, tt := range tests {
		code, env := send(t, s, tt.chat, "x")
		var migrate int64
		if env.Parameters != nil {
			migrate = env.Parameters.MigrateToChatID
		}
		if code != tt.wantCode || env.Description != tt.wantDesc || migrate != tt.wantMigrate {
			t.Errorf("send to %d = %d %q migrate %d, want %d %q migrate %d", tt.chat, code, env.Description, migrate, tt.wantCode, tt.wantDesc, tt.wantMigrate)
		}
	}
	// Edits are refused too.
	if code, env := call(t, s, "editMessageText", map[string]any{"chat_id": 10, "message_id": 1, "text": "y"}); code != 403 {
		t.Errorf("edit in a blocked chat = %d %q, want 403", code, env.Description)
	}
	s.Unblock(10)
	sendOK(t, s, 10, "after")

	st := s.Stats()
	if st.Forbidden != 3 || st.Migrations != 1 || st.Delivered != 4 {
		t.Errorf("Stats() forbidden %d migrations %d delivered %d, want 3, 1, 4", st.Forbidden, st.Migrations, st.Delivered)
	}
	if got := len(s.SentTo(10)); got != 2 {
		t.Errorf("SentTo(10) has %d messages, want 2 (nothing while blocked)", got)
	}
}

func TestWaitSent(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	go func() {
		for i := range 3 {
			time.Sleep(10 * time.Millisecond)
			sendOK(t, s, 4, "m"+strconv.Itoa(i))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := s.WaitSent(ctx, 4, 3)
	if err != nil {
		t.Fatalf("WaitSent: %v", err)
	}
	if len(got) < 3 || got[2].Text != "m2" {
		t.Errorf("WaitSent returned %d messages, want m0..m2", len(got))
	}

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	got, err = s.WaitSent(short, 4, 10)
	if !errors.Is(err, context.DeadlineExceeded) || len(got) != 3 {
		t.Errorf("WaitSent(…, 10) = %d messages, %v; want 3 and a deadline error", len(got), err)
	}
}

func TestGetChatMember(t *testing.T) {
	s := newServer(t, telegramtest.Options{})
	s.SetMemberStatus(-300, 1, "creator")
	s.SetMemberStatus(-300, 2, "administrator")
	s.SetMemberStatus(-300, 4, "kicked")
	s.Block(-301)
	tests := []struct {
		chat, user int64
		wantCode   int
		want       string // status or description
	}{
		{-300, 1, 200, "creator"},
		{-300, 2, 200, "administrator"},
		{-300, 3, 200, "member"},
		{-300, 4, 200, "kicked"},
		{-301, 1, 403, "Forbidden: bot was kicked from the group chat"},
		{5, 5, 200, "member"},
		{5, 6, 400, "Bad Request: user not found"},
		{-300, 0, 400, "Bad Request: invalid user_id specified"},
	}
	for _, tt := range tests {
		code, env := call(t, s, "getChatMember", map[string]any{"chat_id": tt.chat, "user_id": tt.user})
		got := env.Description
		if code == 200 {
			var m chatMember
			if err := json.Unmarshal(env.Result, &m); err != nil {
				t.Fatal(err)
			}
			got = m.Status
			if m.User == nil || m.User.ID != tt.user {
				t.Errorf("chat %d user %d: member user = %+v", tt.chat, tt.user, m.User)
			}
		}
		if code != tt.wantCode || got != tt.want {
			t.Errorf("getChatMember(%d, %d) = %d %q, want %d %q", tt.chat, tt.user, code, got, tt.wantCode, tt.want)
		}
	}
}
