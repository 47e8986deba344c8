package telegram

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// EditMarkup replaces the inline keyboard of a message the bot sent (nil
// removes it), leaving its text alone. An edit that changes nothing fails
// with Kind NotModified.
func (c *Client) EditMarkup(ctx context.Context, chatID int64, messageID int, markup *InlineKeyboard) error {
	p := tgbotapi.Params{}
	p.AddNonZero64("chat_id", chatID)
	p.AddNonZero("message_id", messageID)
	if err := addMarkup(p, markup); err != nil {
		return &Error{Kind: Unknown, Method: "editMessageReplyMarkup", Description: "unable to encode reply_markup", Err: err}
	}
	// https://core.telegram.org/bots/api#editmessagereplymarkup
	return c.do(ctx, "editMessageReplyMarkup", p, nil)
}
