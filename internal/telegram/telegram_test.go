package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

const token = "987654:AAF-very_secret"

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup starts a fake server and a client; the client's debug log goes to
// the returned buffer, checked for the token when the test ends.
func setup(t *testing.T, opts telegramtest.Options) (*telegramtest.Server, *telegram.Client) {
	t.Helper()
	opts.Token = token
	s := telegramtest.NewServer(opts)
	t.Cleanup(s.Close)
	logs := &syncBuffer{}
	c, err := telegram.New(context.Background(), telegram.Config{
		Token:  token,
		APIURL: s.URL(),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), token) {
			t.Errorf("the log shows the token:\n%s", logs.String())
		}
	})
	return s, c
}

// asError requires err to be a *telegram.Error without the token.
func asError(t *testing.T, err error) *telegram.Error {
	t.Helper()
	var e *telegram.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *telegram.Error", err, err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAF-very_secret") {
		t.Errorf("error shows the token: %v", err)
	}
	return e
}

func TestNew(t *testing.T) {
	s, c := setup(t, telegramtest.Options{BotUserName: "upravda_bot"})
	want := telegram.User{ID: 987654, UserName: "upravda_bot", FirstName: "Newsbot Test"}
	if diff := cmp.Diff(want, c.Self()); diff != "" {
		t.Errorf("Self() (-want +got):\n%s", diff)
	}
	if got := s.Stats().Requests["getMe"]; got != 1 {
		t.Errorf("getMe calls = %d, want 1", got)
	}
}

func TestNewRejectedToken(t *testing.T) {
	s := telegramtest.NewServer(telegramtest.Options{Token: "1:other"})
	defer s.Close()
	_, err := telegram.New(context.Background(), telegram.Config{Token: token, APIURL: s.URL()})
	e := asError(t, err)
	if e.Kind != telegram.Unauthorized || e.Code != 401 || e.Method != "getMe" {
		t.Errorf("error = %+v, want Unauthorized 401 from getMe", e)
	}
	if !strings.Contains(err.Error(), "the bot token was rejected") {
		t.Errorf("error %q does not say the token was rejected", err)
	}
}

func TestNewBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  telegram.Config
		want telegram.Kind
	}{
		{"empty token", telegram.Config{APIURL: "http://127.0.0.1:1"}, telegram.Unauthorized},
		{"token with a slash", telegram.Config{Token: "1:a/b", APIURL: "http://127.0.0.1:1"}, telegram.Unauthorized},
		{"relative API URL", telegram.Config{Token: token, APIURL: "api.telegram.org"}, telegram.Unknown},
		{"bad API URL", telegram.Config{Token: token, APIURL: "http://[::1"}, telegram.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := telegram.New(context.Background(), tt.cfg)
			if e := asError(t, err); e.Kind != tt.want {
				t.Errorf("New: %v (kind %v), want kind %v", err, e.Kind, tt.want)
			}
		})
	}
}

func TestAPIURLWithPathAndPercent(t *testing.T) {
	s := telegramtest.NewServer(telegramtest.Options{Token: token})
	defer s.Close()
	// A reverse proxy mounting the Bot API under a prefix.
	mux := http.NewServeMux()
	target := s.URL()
	mux.HandleFunc("/tg%2520x/", func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.EscapedPath(), "/tg%2520x")
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+path, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	proxy := httptest.NewServer(mux)
	defer proxy.Close()
	c, err := telegram.New(context.Background(), telegram.Config{Token: token, APIURL: proxy.URL + "/tg%2520x/"})
	if err != nil {
		t.Fatalf("New through a prefix with %%: %v", err)
	}
	if c.Self().ID != 987654 {
		t.Errorf("Self() = %+v", c.Self())
	}
}

func TestSend(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	kb := telegram.NewInlineKeyboard([]telegram.InlineButton{
		telegram.URLButton("Читати", "https://www.pravda.com.ua/news/1/"),
		telegram.CallbackButton("🔕", "mute:1"),
	})
	tests := []struct {
		name       string
		msg        telegram.Message
		wantParams map[string]any
	}{
		{"plain", telegram.Message{ChatID: 11, Text: "Новина"},
			map[string]any{"chat_id": int64(11), "text": "Новина"}},
		{"everything", telegram.Message{ChatID: 11, Text: "<b>Новина</b>", ParseMode: "HTML", Silent: true, DisablePreview: true,
			ReplyMarkup: kb, PaidBroadcast: true, ThreadID: 4},
			map[string]any{"chat_id": int64(11), "text": "<b>Новина</b>", "parse_mode": "HTML", "disable_notification": true,
				"link_preview_options": map[string]any{"is_disabled": true}, "allow_paid_broadcast": true, "message_thread_id": int64(4),
				"reply_markup": map[string]any{"inline_keyboard": []any{[]any{
					map[string]any{"text": "Читати", "url": "https://www.pravda.com.ua/news/1/"},
					map[string]any{"text": "🔕", "callback_data": "mute:1"},
				}}}}},
		{"preview URL", telegram.Message{ChatID: -100, Text: "x", PreviewURL: "https://www.pravda.com.ua/eng/news/2/"},
			map[string]any{"chat_id": int64(-100), "text": "x", "link_preview_options": map[string]any{"url": "https://www.pravda.com.ua/eng/news/2/"}}},
		{"disabled preview wins over a URL", telegram.Message{ChatID: 11, Text: "y", DisablePreview: true, PreviewURL: "https://x.example/"},
			map[string]any{"chat_id": int64(11), "text": "y", "link_preview_options": map[string]any{"is_disabled": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.SentTo(tt.msg.ChatID))
			id, err := c.Send(ctx, tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := s.SentTo(tt.msg.ChatID)
			if len(sent) != before+1 {
				t.Fatalf("SentTo has %d messages, want %d", len(sent), before+1)
			}
			got := sent[len(sent)-1]
			if got.MessageID != id || got.Silent != tt.msg.Silent || got.Paid != tt.msg.PaidBroadcast {
				t.Errorf("Sent = id %d silent %v paid %v; want id %d silent %v paid %v", got.MessageID, got.Silent, got.Paid, id, tt.msg.Silent, tt.msg.PaidBroadcast)
			}
			if diff := cmp.Diff(tt.wantParams, got.Params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendPhotoEditAnswerCommands(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()

	id, err := c.SendPhoto(ctx, 21, "https://img.pravda.com.ua/1.jpg", "<b>Фото</b>", "HTML", true)
	if err != nil {
		t.Fatalf("SendPhoto: %v", err)
	}
	p := s.SentTo(21)[0]
	if p.Method != "sendPhoto" || p.MessageID != id || p.Plain != "Фото" || !p.Silent || p.Params["photo"] != "https://img.pravda.com.ua/1.jpg" {
		t.Errorf("photo Sent = %+v", p)
	}

	msgID, err := c.Send(ctx, telegram.Message{ChatID: 21, Text: "Мова?"})
	if err != nil {
		t.Fatal(err)
	}
	kb := telegram.NewInlineKeyboard([]telegram.InlineButton{telegram.CallbackButton("✓ uk", "lang:uk")})
	if err := c.EditText(ctx, 21, msgID, "<i>Мова</i>", "HTML", kb); err != nil {
		t.Fatalf("EditText: %v", err)
	}
	edit := s.SentTo(21)[2]
	if edit.Method != "editMessageText" || edit.MessageID != msgID || edit.Plain != "Мова" ||
		string(edit.ReplyMarkup) != `{"inline_keyboard":[[{"text":"✓ uk","callback_data":"lang:uk"}]]}` {
		t.Errorf("edit Sent = %+v", edit)
	}
	err = c.EditText(ctx, 21, msgID, "<i>Мова</i>", "HTML", kb)
	if e := asError(t, err); e.Kind != telegram.NotModified {
		t.Errorf("repeated edit: %v, want NotModified", err)
	}

	_, cb := s.PressButton(telegramtest.User{ID: 21}, telegramtest.Chat{}, msgID, "lang:uk")
	if err := c.AnswerCallback(ctx, cb, "Готово"); err != nil {
		t.Fatalf("AnswerCallback: %v", err)
	}
	if diff := cmp.Diff([]telegramtest.CallbackAnswer{{ID: cb, Text: "Готово"}}, s.CallbackAnswers()); diff != "" {
		t.Errorf("CallbackAnswers (-want +got):\n%s", diff)
	}
	if err := c.AnswerCallback(ctx, cb, ""); telegram.KindOf(err) != telegram.BadRequest {
		t.Errorf("answering twice: %v, want BadRequest", err)
	}

	uk := []telegram.Command{{Command: "start", Description: "Почати"}, {Command: "lang", Description: "Мова"}}
	if err := c.SetMyCommands(ctx, uk, "uk"); err != nil {
		t.Fatalf("SetMyCommands: %v", err)
	}
	if err := c.SetMyCommands(ctx, []telegram.Command{{Command: "start", Description: "Start"}}, ""); err != nil {
		t.Fatalf("SetMyCommands default: %v", err)
	}
	want := []telegramtest.Command{{Command: "start", Description: "Почати"}, {Command: "lang", Description: "Мова"}}
	if diff := cmp.Diff(want, s.Commands("uk")); diff != "" {
		t.Errorf("Commands(uk) (-want +got):\n%s", diff)
	}
	if got := s.Commands(""); len(got) != 1 || got[0].Description != "Start" {
		t.Errorf("Commands(\"\") = %v", got)
	}
	if err := c.SetMyCommands(ctx, []telegram.Command{{Command: "Bad", Description: "x"}}, ""); telegram.KindOf(err) != telegram.BadRequest {
		t.Errorf("invalid command: %v, want BadRequest", err)
	}
	if err := c.SetMyCommands(ctx, nil, "uk"); err != nil {
		t.Fatalf("SetMyCommands(nil): %v", err)
	}
	if got := s.Commands("uk"); got != nil {
		t.Errorf("Commands(uk) after clearing = %v", got)
	}
}

func TestChatAdmin(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	s.SetMemberStatus(-7, 1, "creator")
	s.SetMemberStatus(-7, 2, "administrator")
	s.SetMemberStatus(-7, 3, "restricted")
	s.Block(-8)
	tests := []struct {
		chat, user int64
		want       bool
		wantKind   telegram.Kind
		wantErr    bool
	}{
		{-7, 1, true, 0, false},
		{-7, 2, true, 0, false},
		{-7, 3, false, 0, false},
		{-7, 4, false, 0, false}, // a plain member
		{9, 9, true, 0, false},   // a private chat is its user's
		{-8, 1, false, telegram.Blocked, true},
	}
	for _, tt := range tests {
		got, err := c.ChatAdmin(context.Background(), tt.chat, tt.user)
		if tt.wantErr {
			if e := asError(t, err); e.Kind != tt.wantKind {
				t.Errorf("ChatAdmin(%d, %d) error %v, want kind %v", tt.chat, tt.user, err, tt.wantKind)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ChatAdmin(%d, %d) = %v, %v; want %v", tt.chat, tt.user, got, err, tt.want)
		}
	}
	if n := s.Stats().Requests["getChatMember"]; n != 5 {
		t.Errorf("getChatMember calls = %d, want 5 (none for the private chat)", n)
	}
}

func TestGetUpdates(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	olena := telegramtest.User{ID: 31, FirstName: "Олена", LanguageCode: "ru-UA"}
	s.SendText(olena, telegramtest.Chat{}, "/start")
	s.PressButton(olena, telegramtest.Chat{}, 1, "x")

	ups, err := c.GetUpdates(ctx, 0, 0, []string{"message", "callback_query", "my_chat_member"})
	if err != nil {
		t.Fatalf("GetUpdates: %v", err)
	}
	if len(ups) != 2 || ups[0].Message == nil || ups[0].Message.From.LanguageCode != "ru-UA" || ups[1].CallbackQuery == nil {
		t.Fatalf("updates = %+v, want the message (with language_code) and the callback", ups)
	}
	if got := s.Stats().Requests["getUpdates"]; got != 1 {
		t.Errorf("getUpdates calls = %d", got)
	}

	// Confirming with offset, then a long poll that an injection ends.
	done := make(chan []telegram.Update, 1)
	errs := make(chan error, 1)
	go func() {
		ups, err := c.GetUpdates(ctx, ups[1].UpdateID+1, 20*time.Second, nil)
		errs <- err
		done <- ups
	}()
	time.Sleep(50 * time.Millisecond)
	id := s.ChatMember(olena, telegramtest.Chat{}, "member", "kicked")
	select {
	case err := <-errs:
		ups := <-done
		if err != nil || len(ups) != 1 || ups[0].UpdateID != id || ups[0].MyChatMember == nil {
			t.Errorf("long poll = %+v, %v; want the my_chat_member update", ups, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not return on an injected update")
	}
	if got := s.Pending(); got != 1 {
		t.Errorf("Pending() = %d, want 1 (the first two confirmed by offset)", got)
	}

	// A long poll ends when its context does.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = c.GetUpdates(short, id+1, 20*time.Second, nil)
	if e := asError(t, err); e.Kind != telegram.NetworkAmbiguous || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled poll: %v (kind %v), want NetworkAmbiguous wrapping the deadline", err, e.Kind)
	}
}

func TestWebhookMethods(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	if err := c.SetWebhook(ctx, hook.URL, "secret-1", []string{"message"}); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	_, err := c.GetUpdates(ctx, 0, 0, nil)
	if e := asError(t, err); e.Kind != telegram.Conflict || e.Code != 409 {
		t.Errorf("GetUpdates with a webhook: %v, want Conflict", err)
	}
	if err := c.SetWebhook(ctx, "ftp://nope", "", nil); telegram.KindOf(err) != telegram.BadRequest {
		t.Errorf("SetWebhook(ftp): %v, want BadRequest", err)
	}
	if err := c.DeleteWebhook(ctx); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := c.GetUpdates(ctx, 0, 0, nil); err != nil {
		t.Errorf("GetUpdates after DeleteWebhook: %v", err)
	}
	if got := s.Stats().Requests["setWebhook"]; got != 2 {
		t.Errorf("setWebhook calls = %d, want 2", got)
	}
}

func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		arrange     func(s *telegramtest.Server)
		msg         telegram.Message
		wantKind    telegram.Kind
		wantCode    int
		wantRetry   time.Duration
		wantMigrate int64
		wantSent    int // messages delivered to the chat
	}{
		{name: "flood from the limiter", arrange: func(s *telegramtest.Server) { s.FailNext("sendMessage", 429, "Too Many Requests: retry after 12", 1) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Flood, wantCode: 429, wantRetry: 12 * time.Second},
		{name: "migrated", arrange: func(s *telegramtest.Server) { s.Migrate(-42, -1000000000042) },
			msg: telegram.Message{ChatID: -42, Text: "x"}, wantKind: telegram.Migrated, wantCode: 400, wantMigrate: -1000000000042},
		{name: "bad markup", msg: telegram.Message{ChatID: 1, Text: "a <br> b", ParseMode: "HTML"}, wantKind: telegram.BadMarkup, wantCode: 400},
		{name: "too long", msg: telegram.Message{ChatID: 1, Text: strings.Repeat("є", 4097)}, wantKind: telegram.TooLong, wantCode: 400},
		{name: "chat not found", arrange: func(s *telegramtest.Server) { s.FailNext("sendMessage", 400, "Bad Request: chat not found", 1) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.ChatNotFound, wantCode: 400},
		{name: "bad request", msg: telegram.Message{ChatID: 1, Text: "  "}, wantKind: telegram.BadRequest, wantCode: 400},
		{name: "blocked", arrange: func(s *telegramtest.Server) { s.Block(1) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Blocked, wantCode: 403},
		{name: "unauthorized later", arrange: func(s *telegramtest.Server) { s.FailNext("sendMessage", 401, "Unauthorized", 1) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Unauthorized, wantCode: 401},
		{name: "server JSON 500", arrange: func(s *telegramtest.Server) { s.FailNext("sendMessage", 500, "Internal Server Error", 1) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Server, wantCode: 500},
		{name: "proxy HTML 502", arrange: func(s *telegramtest.Server) {
			s.FailNext("sendMessage", 502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", 1)
		}, msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Server, wantCode: 502},
		{name: "injected 5xx faults", arrange: func(s *telegramtest.Server) { s.SetFaults(telegramtest.Faults{ServerErrorRate: 1}) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.Server, wantCode: 500},
		{name: "dropped after delivery", arrange: func(s *telegramtest.Server) { s.SetFaults(telegramtest.Faults{DropRate: 1}) },
			msg: telegram.Message{ChatID: 1, Text: "x"}, wantKind: telegram.NetworkAmbiguous, wantSent: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t, telegramtest.Options{})
			if tt.arrange != nil {
				tt.arrange(s)
			}
			_, err := c.Send(ctx, tt.msg)
			e := asError(t, err)
			got := telegram.Error{Kind: e.Kind, Code: e.Code, RetryAfter: e.RetryAfter, MigrateTo: e.MigrateTo, Method: e.Method}
			want := telegram.Error{Kind: tt.wantKind, Code: tt.wantCode, RetryAfter: tt.wantRetry, MigrateTo: tt.wantMigrate, Method: "sendMessage"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error %v (-want +got):\n%s", err, diff)
			}
			if telegram.KindOf(err) != tt.wantKind {
				t.Errorf("KindOf = %v", telegram.KindOf(err))
			}
			if n := len(s.SentTo(tt.msg.ChatID)); n != tt.wantSent {
				t.Errorf("delivered %d messages, want %d", n, tt.wantSent)
			}
		})
	}
}

func TestFloodFromTheRateLimit(t *testing.T) {
	_, c := setup(t, telegramtest.Options{ChatInterval: time.Minute})
	ctx := context.Background()
	if _, err := c.Send(ctx, telegram.Message{ChatID: 5, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Send(ctx, telegram.Message{ChatID: 5, Text: "b"})
	e := asError(t, err)
	if e.Kind != telegram.Flood || e.RetryAfter < 55*time.Second || e.RetryAfter > time.Minute || !e.Kind.Retryable() {
		t.Errorf("second send: %v (retry after %v), want Flood after about a minute", err, e.RetryAfter)
	}
}

func TestNetworkBeforeSend(t *testing.T) {
	ctx := context.Background()

	t.Run("connection refused", func(t *testing.T) {
		s := telegramtest.NewServer(telegramtest.Options{Token: token})
		// No keep-alive: a request written on a pooled connection that the
		// server has just closed is (rightly) ambiguous.
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		c, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: s.URL(), HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = c.Send(ctx, telegram.Message{ChatID: 1, Text: "x"})
		e := asError(t, err)
		if e.Kind != telegram.NetworkBeforeSend || !e.Kind.Retryable() {
			t.Errorf("send to a closed server: %v, want NetworkBeforeSend", err)
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("the dial error is not kept: %v", err)
		}
	})

	t.Run("New against nothing", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = telegram.New(ctx, telegram.Config{Token: token, APIURL: "http://" + addr})
		if e := asError(t, err); e.Kind != telegram.NetworkBeforeSend {
			t.Errorf("New: %v, want NetworkBeforeSend", err)
		}
	})

	t.Run("context already done", func(t *testing.T) {
		s, c := setup(t, telegramtest.Options{})
		done, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Send(done, telegram.Message{ChatID: 1, Text: "x"})
		if e := asError(t, err); e.Kind != telegram.NetworkBeforeSend || !errors.Is(err, context.Canceled) {
			t.Errorf("send with a cancelled context: %v, want NetworkBeforeSend wrapping context.Canceled", err)
		}
		if s.Stats().Requests["sendMessage"] != 0 {
			t.Error("the request reached the server")
		}
	})

	t.Run("context ends while dialling", func(t *testing.T) {
		s := telegramtest.NewServer(telegramtest.Options{Token: token})
		defer s.Close()
		var dials atomic.Int32
		hc := &http.Client{Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) > 1 { // New's getMe dials; later dials hang
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}}
		c, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: s.URL(), HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err = c.Send(short, telegram.Message{ChatID: 1, Text: "x"})
		if e := asError(t, err); e.Kind != telegram.NetworkBeforeSend || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("send whose dial hung: %v, want NetworkBeforeSend wrapping the deadline", err)
		}
		if s.Stats().Requests["sendMessage"] != 0 {
			t.Error("the request reached the server")
		}
	})
}

func TestNetworkAmbiguous(t *testing.T) {
	ctx := context.Background()

	t.Run("slow answer, context ends after the write", func(t *testing.T) {
		s, c := setup(t, telegramtest.Options{})
		s.SetFaults(telegramtest.Faults{SlowRate: 1, SlowDelay: 2 * time.Second})
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := c.Send(short, telegram.Message{ChatID: 3, Text: "x"})
		e := asError(t, err)
		if e.Kind != telegram.NetworkAmbiguous || e.Kind.Retryable() || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("send answered too late: %v, want NetworkAmbiguous", err)
		}
		if n := len(s.SentTo(3)); n != 1 {
			t.Errorf("delivered %d, want 1: the ambiguous send did arrive", n)
		}
	})

	t.Run("answer cut off", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/getMe") {
				_, _ = io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"b","username":"b"}}`)
				return
			}
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":`)
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		defer srv.Close()
		c, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Send(ctx, telegram.Message{ChatID: 3, Text: "x"})
		if e := asError(t, err); e.Kind != telegram.NetworkAmbiguous || e.Code != 200 {
			t.Errorf("cut-off answer: %v (code %d), want NetworkAmbiguous with code 200", err, e.Code)
		}
	})
}

func TestOddAnswers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		status   int
		body     string
		wantKind telegram.Kind
		wantCode int
	}{
		{"non-JSON 200", 200, "<html>captive portal</html>", telegram.Server, 200},
		{"empty 503", 503, "", telegram.Server, 503},
		{"JSON 502 without error_code", 502, `{"ok":false}`, telegram.Server, 502},
		{"ok result of the wrong shape", 200, `{"ok":true,"result":"nope"}`, telegram.Unknown, 200},
		{"unknown method", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`, telegram.Unknown, 404},
		{"description with the token", 400, `{"ok":false,"error_code":400,"description":"Bad Request: bot` + token + ` bad"}`, telegram.BadRequest, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/getMe") {
					_, _ = io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"b","username":"b"}}`)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := telegram.New(ctx, telegram.Config{Token: token, APIURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Send(ctx, telegram.Message{ChatID: 3, Text: "x"})
			if e := asError(t, err); e.Kind != tt.wantKind || e.Code != tt.wantCode {
				t.Errorf("Send: %v (kind %v code %d), want kind %v code %d", err, e.Kind, e.Code, tt.wantKind, tt.wantCode)
			}
		})
	}
}

func TestConcurrentSends(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if _, err := c.Send(ctx, telegram.Message{ChatID: int64(g + 1), Text: "m" + strconv.Itoa(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for g := range 8 {
		sent := s.SentTo(int64(g + 1))
		if len(sent) != 20 {
			t.Errorf("chat %d got %d messages, want 20", g+1, len(sent))
			continue
		}
		for i, m := range sent {
			if m.MessageID != i+1 {
				t.Errorf("chat %d message %d has ID %d", g+1, i, m.MessageID)
			}
		}
	}
}
