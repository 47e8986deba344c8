package telegram

import (
	"context"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// MessageOrigin is where a forwarded message came from
// (https://core.telegram.org/bots/api#messageorigin). Only the channel
// kind carries a chat.
type MessageOrigin struct {
	// Type is "user", "hidden_user", "chat" or "channel".
	Type string `json:"type"`
	// Chat is the channel of a "channel" origin (the sender chat of a
	// "chat" one).
	Chat *Chat `json:"chat,omitempty"`
	// MessageID is the post's ID in the channel ("channel" origins).
	MessageID int `json:"message_id,omitempty"`
}

// ForwardedFromChannel returns the channel a forwarded message was first
// posted in, or nil when it was not forwarded from a channel. It reads
// forward_origin (Bot API 7.0) and, from older servers, forward_from_chat.
func (m *IncomingMessage) ForwardedFromChannel() *Chat {
	if o := m.ForwardOrigin; o != nil && o.Type == "channel" && o.Chat != nil {
		return o.Chat
	}
	if c := m.ForwardFromChat; c != nil && c.Type == "channel" {
		return c
	}
	return nil
}

// GetChat returns a chat by its ID or, for a public channel or
// supergroup, by "@username". A chat the bot cannot see fails with Kind
// ChatNotFound.
func (c *Client) GetChat(ctx context.Context, chat string) (Chat, error) {
	p := tgbotapi.Params{}
	p["chat_id"] = strings.TrimSpace(chat)
	// https://core.telegram.org/bots/api#getchat
	var out Chat
	if err := c.do(ctx, "getChat", p, &out); err != nil {
		return Chat{}, err
	}
	return out, nil
}

// ChatMember returns userID's membership of chatID (getChatMember): its
// status and, for an administrator of a channel, whether it may post.
func (c *Client) ChatMember(ctx context.Context, chatID, userID int64) (ChatMember, error) {
	p := tgbotapi.Params{}
	p["chat_id"] = strconv.FormatInt(chatID, 10)
	p.AddNonZero64("user_id", userID)
	// https://core.telegram.org/bots/api#getchatmember
	var m ChatMember
	if err := c.do(ctx, "getChatMember", p, &m); err != nil {
		return ChatMember{}, err
	}
	return m, nil
}
