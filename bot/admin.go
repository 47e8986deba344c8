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
// reader; the text waits in the store (draftTTL) until its author presses
// the button, so a restart in between keeps it.
func (b *Bot) cmdBroadcast(ctx context.Context, r *request, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return b.replyKey(ctx, r.chatID, r.lang, "admin.broadcast_usage")
	}
	n, err := b.admin.Recipients(ctx)
	if err != nil {
		return err
	}
	if r.user == nil {
		return nil
	}
	if err := b.store.PutBroadcastDraft(ctx, r.chatID, r.user.ID, text, draftTTL); err != nil {
		return err
	}
	kb := telegram.NewInlineKeyboard([]telegram.InlineButton{
		telegram.CallbackButton(b.cat.T(r.lang, "button.confirm"), "bc:yes"),
		telegram.CallbackButton(b.cat.T(r.lang, "button.cancel"), "bc:no"),
	})
	msg := b.cat.T(r.lang, "admin.broadcast_confirm", "count", strconv.Itoa(n), "text", fitEscaped(text, 3000))
	return b.reply(ctx, r.chatID, msg, kb)
}

func (b *Bot) confirmBroadcast(ctx context.Context, r *request, yes bool, messageID int) error {
	if !b.isAdmin(ctx, r) || r.user == nil {
		return nil
	}
	text, ok, err := b.store.TakeBroadcastDraft(ctx, r.chatID, r.user.ID)
	if err != nil {
		return err
	}
	if !ok {
		return nil // already confirmed or cancelled, expired, or another admin's draft
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
