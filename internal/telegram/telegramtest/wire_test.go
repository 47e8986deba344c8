package telegramtest_test

// The Bot API objects the tests decode from the fake's answers, with the
// fields the tests check, spelled as in https://core.telegram.org/bots/api.
// They are independent of any client, so the fake is checked against the
// API's shapes.

type update struct {
	UpdateID      int                `json:"update_id"`
	Message       *message           `json:"message"`
	CallbackQuery *callbackQuery     `json:"callback_query"`
	MyChatMember  *chatMemberUpdated `json:"my_chat_member"`
}

type user struct {
	ID            int64  `json:"id"`
	IsBot         bool   `json:"is_bot"`
	FirstName     string `json:"first_name"`
	UserName      string `json:"username"`
	LanguageCode  string `json:"language_code"`
	CanJoinGroups bool   `json:"can_join_groups"`
}

type chat struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title"`
}

type message struct {
	MessageID   int             `json:"message_id"`
	From        *user           `json:"from"`
	Chat        *chat           `json:"chat"`
	Date        int             `json:"date"`
	Text        string          `json:"text"`
	Caption     string          `json:"caption"`
	Photo       []photoSize     `json:"photo"`
	Entities    []messageEntity `json:"entities"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup"`
}

type photoSize struct {
	FileID string `json:"file_id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type messageEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// IsCommand reports whether the message starts with a bot command.
func (m *message) IsCommand() bool {
	return len(m.Entities) > 0 && m.Entities[0].Offset == 0 && m.Entities[0].Type == "bot_command"
}

// Command is the message's command without the slash and without "@bot".
func (m *message) Command() string {
	if !m.IsCommand() || m.Entities[0].Length > len(m.Text) {
		return ""
	}
	cmd := m.Text[1:m.Entities[0].Length]
	for i := range len(cmd) {
		if cmd[i] == '@' {
			return cmd[:i]
		}
	}
	return cmd
}

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string  `json:"text"`
	URL          *string `json:"url"`
	CallbackData *string `json:"callback_data"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    *user    `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

type chatMemberUpdated struct {
	Chat          chat       `json:"chat"`
	From          user       `json:"from"`
	Date          int        `json:"date"`
	OldChatMember chatMember `json:"old_chat_member"`
	NewChatMember chatMember `json:"new_chat_member"`
}

type chatMember struct {
	User   *user  `json:"user"`
	Status string `json:"status"`
}

type webhookInfo struct {
	URL           string `json:"url"`
	LastErrorDate int    `json:"last_error_date"`
}
