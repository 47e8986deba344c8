package telegram_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram"
)

func TestDecodeUpdate(t *testing.T) {
	body := `{"update_id":9,"message":{"message_id":5,"date":1764000000,"chat":{"id":-300,"type":"supergroup","title":"Редакція"},` +
		`"from":{"id":3002,"is_bot":false,"first_name":"Bob","username":"bob","language_code":"uk"},"text":"/sub@newsbot_bot Київ",` +
		`"entities":[{"type":"bot_command","offset":0,"length":16}],"reply_markup":{"inline_keyboard":[]}},"edited_message":{"message_id":1}}`
	u, err := telegram.DecodeUpdate([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := telegram.Update{UpdateID: 9, Message: &telegram.IncomingMessage{
		MessageID: 5, Date: 1764000000,
		Chat:     &telegram.Chat{ID: -300, Type: "supergroup", Title: "Редакція"},
		From:     &telegram.User{ID: 3002, FirstName: "Bob", UserName: "bob", LanguageCode: "uk"},
		Text:     "/sub@newsbot_bot Київ",
		Entities: []telegram.Entity{{Type: "bot_command", Offset: 0, Length: 16}},
	}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("DecodeUpdate (-want +got):\n%s", diff)
	}
	if u.Message.Chat.IsPrivate() {
		t.Error("a supergroup is private")
	}

	cb, err := telegram.DecodeUpdate([]byte(`{"update_id":10,"callback_query":{"id":"c1","from":{"id":7,"first_name":"A"},` +
		`"message":{"message_id":2,"chat":{"id":7,"type":"private"},"date":1},"data":"lang:uk"}}`))
	if err != nil || cb.CallbackQuery == nil || cb.CallbackQuery.Data != "lang:uk" || cb.CallbackQuery.Message.MessageID != 2 ||
		!cb.CallbackQuery.Message.Chat.IsPrivate() || cb.CallbackQuery.From.ID != 7 {
		t.Errorf("callback update = %+v, %v", cb, err)
	}
	cm, err := telegram.DecodeUpdate([]byte(`{"update_id":11,"my_chat_member":{"chat":{"id":7,"type":"private"},"from":{"id":7,"first_name":"A"},` +
		`"date":1,"old_chat_member":{"user":{"id":42,"is_bot":true,"first_name":"Bot"},"status":"member"},` +
		`"new_chat_member":{"user":{"id":42,"is_bot":true,"first_name":"Bot"},"status":"kicked"}}}`))
	if err != nil || cm.MyChatMember == nil || cm.MyChatMember.NewChatMember.Status != "kicked" ||
		cm.MyChatMember.OldChatMember.Status != "member" || !cm.MyChatMember.NewChatMember.User.IsBot || cm.MyChatMember.Chat.ID != 7 {
		t.Errorf("my_chat_member update = %+v, %v", cm, err)
	}
	other, err := telegram.DecodeUpdate([]byte(`{"update_id":12,"channel_post":{"message_id":1}}`))
	if err != nil || other != (telegram.Update{UpdateID: 12}) {
		t.Errorf("an update of another kind = %+v, %v; want only its ID", other, err)
	}
	if _, err := telegram.DecodeUpdate([]byte(`{"update_id":"x"`)); err == nil {
		t.Error("DecodeUpdate accepted broken JSON")
	}
}

func TestBotCommand(t *testing.T) {
	cmd := func(length int) []telegram.Entity {
		return []telegram.Entity{{Type: "bot_command", Offset: 0, Length: length}}
	}
	tests := []struct {
		name          string
		msg           telegram.IncomingMessage
		command, args string
		ok            bool
	}{
		{"alone", telegram.IncomingMessage{Text: "/start", Entities: cmd(6)}, "start", "", true},
		{"with arguments", telegram.IncomingMessage{Text: "/latest 10  Київ ", Entities: cmd(7)}, "latest", "10  Київ ", true},
		{"addressed", telegram.IncomingMessage{Text: "/sub@news_bot Russia", Entities: cmd(13)}, "sub@news_bot", "Russia", true},
		{"new line after the command", telegram.IncomingMessage{Text: "/broadcast\nline", Entities: cmd(10)}, "broadcast", "line", true},
		{"plain text", telegram.IncomingMessage{Text: "hello"}, "", "", false},
		{"command later in the text", telegram.IncomingMessage{Text: "see /help",
			Entities: []telegram.Entity{{Type: "bot_command", Offset: 4, Length: 5}}}, "", "", false},
		{"another entity first", telegram.IncomingMessage{Text: "#tag /help",
			Entities: []telegram.Entity{{Type: "hashtag", Offset: 0, Length: 4}}}, "", "", false},
		{"entity longer than the text", telegram.IncomingMessage{Text: "/st", Entities: cmd(6)}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			command, args, ok := tt.msg.BotCommand()
			if command != tt.command || args != tt.args || ok != tt.ok {
				t.Errorf("BotCommand() = %q, %q, %v; want %q, %q, %v", command, args, ok, tt.command, tt.args, tt.ok)
			}
		})
	}
}
