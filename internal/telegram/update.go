package telegram

import (
	"encoding/json"
	"fmt"
)

// Update is one incoming update (https://core.telegram.org/bots/api#update).
// Only the kinds newsbot asks for are decoded; an update of any other kind
// has UpdateID set and every other field nil.
type Update struct {
	UpdateID int `json:"update_id"`
	// Message is a new message in a chat with the bot.
	Message *IncomingMessage `json:"message,omitempty"`
	// CallbackQuery is a press of an inline keyboard button.
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
	// MyChatMember is a change of the bot's own membership in a chat (a
	// reader blocked it, a group removed or added it).
	MyChatMember *ChatMemberUpdated `json:"my_chat_member,omitempty"`
	// InlineQuery is a query typed as "@bot words" in any chat (see
	// inline.go).
	InlineQuery *InlineQuery `json:"inline_query,omitempty"`
}

// DecodeUpdate decodes one update as Telegram POSTs it to a webhook.
func DecodeUpdate(body []byte) (Update, error) {
	var u Update
	if err := json.Unmarshal(body, &u); err != nil {
		return Update{}, fmt.Errorf("telegram: unable to decode an update: %w", err)
	}
	return u, nil
}

// User is a Telegram user or bot (https://core.telegram.org/bots/api#user).
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot,omitempty"`
	FirstName string `json:"first_name"`
	UserName  string `json:"username,omitempty"`
	// LanguageCode is the IETF tag of the user's interface language; may
	// be empty.
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a private chat, group, supergroup or channel
// (https://core.telegram.org/bots/api#chat).
type Chat struct {
	ID int64 `json:"id"`
	// Type is "private", "group", "supergroup" or "channel".
	Type  string `json:"type"`
	Title string `json:"title,omitempty"`
	// UserName is the @username of a public channel or group (without
	// the @), or of the user of a private chat.
	UserName string `json:"username,omitempty"`
}

// IsPrivate reports whether the chat is a one-to-one chat with a user.
func (c *Chat) IsPrivate() bool { return c.Type == "private" }

// IsChannel reports whether the chat is a channel.
func (c *Chat) IsChannel() bool { return c.Type == "channel" }

// IncomingMessage is a message the bot received
// (https://core.telegram.org/bots/api#message); Message is one it sends.
type IncomingMessage struct {
	MessageID int `json:"message_id"`
	// From is the sender; nil in channels.
	From     *User    `json:"from,omitempty"`
	Chat     *Chat    `json:"chat"`
	Date     int      `json:"date"`
	Text     string   `json:"text,omitempty"`
	Entities []Entity `json:"entities,omitempty"`
	// ForwardOrigin is where a forwarded message came from (see
	// ForwardedFromChannel); ForwardFromChat is its older form.
	ForwardOrigin   *MessageOrigin `json:"forward_origin,omitempty"`
	ForwardFromChat *Chat          `json:"forward_from_chat,omitempty"`
	// ThreadID is the message's thread (message_thread_id); with
	// IsTopicMessage, the forum topic it was sent in. Messages of a
	// forum's General topic have neither.
	ThreadID       int  `json:"message_thread_id,omitempty"`
	IsTopicMessage bool `json:"is_topic_message,omitempty"`
}

// Topic returns the forum topic the message was sent in, 0 for a message
// outside topics (a plain group, the General topic, a reply thread of a
// group without topics).
func (m *IncomingMessage) Topic() int {
	if m.IsTopicMessage && m.ThreadID > 0 {
		return m.ThreadID
	}
	return 0
}

// Entity is a special part of a message's text, such as a bot command
// (https://core.telegram.org/bots/api#messageentity). Offset and Length
// count UTF-16 code units.
type Entity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// BotCommand splits a message that starts with a bot command
// ("/name@bot args"): the command without the slash, "@bot" included when
// present, and the text after the command less its first character (the
// space). ok is false when the message does not start with a bot_command
// entity.
func (m *IncomingMessage) BotCommand() (command, args string, ok bool) {
	if len(m.Entities) == 0 {
		return "", "", false
	}
	e := m.Entities[0]
	// A bot command is ASCII, so its length in UTF-16 units is its length
	// in bytes.
	if e.Type != "bot_command" || e.Offset != 0 || e.Length < 1 || e.Length > len(m.Text) {
		return "", "", false
	}
	if e.Length < len(m.Text) {
		args = m.Text[e.Length+1:]
	}
	return m.Text[1:e.Length], args, true
}

// CallbackQuery is a press of an inline keyboard button
// (https://core.telegram.org/bots/api#callbackquery).
type CallbackQuery struct {
	ID   string `json:"id"`
	From *User  `json:"from"`
	// Message is the message with the button; nil for a button of an
	// inline message.
	Message *IncomingMessage `json:"message,omitempty"`
	// Data is the button's callback_data.
	Data string `json:"data,omitempty"`
}

// ChatMemberUpdated is a change of a member's status in a chat
// (https://core.telegram.org/bots/api#chatmemberupdated).
type ChatMemberUpdated struct {
	Chat          Chat       `json:"chat"`
	From          User       `json:"from"`
	Date          int        `json:"date"`
	OldChatMember ChatMember `json:"old_chat_member"`
	NewChatMember ChatMember `json:"new_chat_member"`
}

// ChatMember is a member's status in a chat
// (https://core.telegram.org/bots/api#chatmember).
type ChatMember struct {
	User *User `json:"user"`
	// Status is "creator", "administrator", "member", "restricted", "left"
	// or "kicked".
	Status string `json:"status"`
	// CanPostMessages is set for an administrator of a channel allowed to
	// post in it.
	CanPostMessages bool `json:"can_post_messages,omitempty"`
}

// IsAdmin reports whether the member is the chat's creator or one of its
// administrators.
func (m ChatMember) IsAdmin() bool { return m.Status == "creator" || m.Status == "administrator" }
