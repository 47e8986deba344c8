package bot

import (
	"context"
	"strconv"
	"strings"

	"newsbot/internal/telegram"
)

// cmdStats and cmdBroadcast run only for admins (the command list marks
// them admin-only).
func (b *Bot) cmdStats(ctx context.Context, r *request, _ string) error {
	text, err := b.admin.Stats(ctx, r.lang)
	if err != nil {
		return err
	}
	return b.reply(ctx, r.chatID, text, nil)
}

// cmdBroadcast asks for confirmation before an announcement goes to every
// reader; the text waits in memory until the button is pressed.
func (b *Bot) cmdBroadcast(ctx context.Context, r *request, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return b.replyKey(ctx, r.chatID, r.lang, "admin.broadcast_usage")
	}
	n, err := b.admin.Recipients(ctx)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.pending[r.chatID] = text
	b.mu.Unlock()
	kb := telegram.NewInlineKeyboard([]telegram.InlineButton{
		telegram.CallbackButton(b.cat.T(r.lang, "button.confirm"), "bc:yes"),
		telegram.CallbackButton(b.cat.T(r.lang, "button.cancel"), "bc:no"),
	})
	msg := b.cat.T(r.lang, "admin.broadcast_confirm", "count", strconv.Itoa(n), "text", fitEscaped(text, 3000))
	return b.reply(ctx, r.chatID, msg, kb)
}

func (b *Bot) confirmBroadcast(ctx context.Context, r *request, yes bool, messageID int) error {
	if !b.isAdmin(r.chatID) || b.admin == nil {
		return nil
	}
	b.mu.Lock()
	text, ok := b.pending[r.chatID]
	delete(b.pending, r.chatID)
	b.mu.Unlock()
	if !ok {
		return nil // already confirmed or cancelled
	}
	if !yes {
		return b.api.EditText(ctx, r.chatID, messageID, b.cat.T(r.lang, "admin.broadcast_cancelled"), "HTML", nil)
	}
	n, err := b.admin.Broadcast(ctx, text)
	if err != nil {
		return err
	}
	b.log.Info("An admin queued a broadcast.", "chat_id", r.chatID, "recipients", n)
	return b.api.EditText(ctx, r.chatID, messageID, b.cat.T(r.lang, "admin.broadcast_queued", "count", strconv.Itoa(n)), "HTML", nil)
}
