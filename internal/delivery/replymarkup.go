package delivery

import (
	"context"

	"newsbot/internal/telegram"
)

// EditMarkup replaces a message's keyboard (a press on a story's button)
// within the shared budget, like EditText.
func (r *Replies) EditMarkup(ctx context.Context, chatID int64, messageID int, markup *telegram.InlineKeyboard) error {
	return r.withBudget(ctx, chatID, "edit a keyboard", func() error {
		return r.api.EditMarkup(ctx, chatID, messageID, markup)
	})
}
