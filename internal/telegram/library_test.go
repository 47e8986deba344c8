package telegram_test

// The library under the client against the fake Bot API: the fake speaks
// what tgbotapi sends (form-encoded and multipart bodies) and answers in
// shapes it decodes. Only this package may import the library.

import (
	"errors"
	"net/http"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram/telegramtest"
)

func TestGetMeWithTheRealClient(t *testing.T) {
	s := telegramtest.NewServer(telegramtest.Options{Token: "42:secret", BotUserName: "my_bot"})
	t.Cleanup(s.Close)
	bot, err := tgbotapi.NewBotAPIWithClient("42:secret", s.URL()+"/bot%s/%s", http.DefaultClient)
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	want := tgbotapi.User{ID: 42, IsBot: true, FirstName: "Newsbot Test", UserName: "my_bot", CanJoinGroups: true}
	if diff := cmp.Diff(want, bot.Self); diff != "" {
		t.Errorf("Self (-want +got):\n%s", diff)
	}

	// tgbotapi's own send path (form-encoded) works too.
	m, err := bot.Send(tgbotapi.NewMessage(7, "hello"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m.MessageID != 1 || m.Chat.ID != 7 || m.Text != "hello" {
		t.Errorf("Send result = id %d chat %d text %q, want 1, 7, hello", m.MessageID, m.Chat.ID, m.Text)
	}

	// An uploaded photo comes as multipart/form-data.
	photo := tgbotapi.NewPhoto(7, tgbotapi.FileBytes{Name: "front.jpg", Bytes: []byte("\xff\xd8\xff")})
	photo.Caption = "Фото дня"
	m, err = bot.Send(photo)
	if err != nil {
		t.Fatalf("Send(photo): %v", err)
	}
	if len(m.Photo) == 0 || m.Caption != "Фото дня" {
		t.Errorf("photo result = %+v, want sizes and the caption", m)
	}
	sent := s.SentTo(7)
	if len(sent) != 2 || sent[1].Method != "sendPhoto" || sent[1].Params["photo"] != "attach://front.jpg" || sent[1].Text != "Фото дня" {
		t.Errorf("SentTo(7) = %+v, want the uploaded photo", sent)
	}
}

func TestFloodSeenByTheRealClient(t *testing.T) {
	frozen := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s := telegramtest.NewServer(telegramtest.Options{ChatInterval: time.Second, Now: func() time.Time { return frozen }})
	t.Cleanup(s.Close)
	bot, err := tgbotapi.NewBotAPIWithClient(s.Token(), s.URL()+"/bot%s/%s", http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(1, "a")); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Send(tgbotapi.NewMessage(1, "b"))
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.RetryAfter != 1 {
		t.Fatalf("second send: %#v, want a 429 with retry_after 1", err)
	}
}
