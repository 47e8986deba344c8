package telegram

// InlineKeyboard is the keyboard shown under a message
// (https://core.telegram.org/bots/api#inlinekeyboardmarkup): rows of
// buttons.
type InlineKeyboard struct {
	Rows [][]InlineButton `json:"inline_keyboard"`
}

// InlineButton is one button of an inline keyboard
// (https://core.telegram.org/bots/api#inlinekeyboardbutton). Exactly one of
// URL and CallbackData is set.
type InlineButton struct {
	Text string `json:"text"`
	// URL is opened when the button is pressed.
	URL string `json:"url,omitempty"`
	// CallbackData (1–64 bytes) comes back to the bot in a CallbackQuery
	// when the button is pressed.
	CallbackData string `json:"callback_data,omitempty"`
}

// CallbackButton returns a button that sends data to the bot.
func CallbackButton(text, data string) InlineButton {
	return InlineButton{Text: text, CallbackData: data}
}

// URLButton returns a button that opens url.
func URLButton(text, url string) InlineButton {
	return InlineButton{Text: text, URL: url}
}

// NewInlineKeyboard returns a keyboard with the given rows.
func NewInlineKeyboard(rows ...[]InlineButton) *InlineKeyboard {
	return &InlineKeyboard{Rows: rows}
}
