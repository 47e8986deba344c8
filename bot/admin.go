package bot

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// Stats is what /stats shows: the app gathers it from the store and the
// delivery queue.
type Stats struct {
	Active, Inactive int64               // chats
	PerLang          map[news.Lang]int64 // chats per language
	Editions         []EditionStats      // in the order of EDITIONS
	Queue            QueueStats
}

// EditionStats is one edition's line of /stats.
type EditionStats struct {
	Edition  news.Lang
	LastPoll string // as the poller records it; empty: never
	TopTags  []news.TagCount
}

// QueueStats is the delivery queue's part of /stats.
type QueueStats struct {
	Breaking, Normal int64 // chats waiting per priority
	Pending          int64 // messages waiting, in flight included
	InFlight         int64 // chats being sent to
	Messages         int64 // messages delivered
	Delivered        int64 // articles delivered (to a chat)
	Floods           int64 // 429 answers
	Retried          int64
	DeadLetters      int64
	Paused           time.Duration // left of a pause after a 429
}

// cmdStats and cmdBroadcast run only for admins (the command list marks
// them admin-only).
func (b *Bot) cmdStats(ctx context.Context, r *request, _ string) error {
	s, err := b.admin.Stats(ctx)
	if err != nil {
		return err
	}
	return b.reply(ctx, r.chatID, renderStats(s), nil)
}

// renderStats renders /stats in HTML: readers, top tags and last poll per
// edition, the queue. It is for operators and in English.
func renderStats(s Stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>Readers</b>: %d active, %d inactive\n", s.Active, s.Inactive)
	for _, l := range news.Langs {
		fmt.Fprintf(&b, "  %s: %d\n", l, s.PerLang[l])
	}
	for _, ed := range s.Editions {
		names := make([]string, len(ed.TopTags))
		for i, t := range ed.TopTags {
			names[i] = html.EscapeString(t.Name) + " (" + strconv.FormatInt(t.Count, 10) + ")"
		}
		last := ed.LastPoll
		if last == "" {
			last = "never"
		}
		fmt.Fprintf(&b, "\n<b>%s</b>: last poll %s\n  top tags: %s\n", ed.Edition, html.EscapeString(last), strings.Join(names, ", "))
	}
	q := s.Queue
	fmt.Fprintf(&b, "\n<b>Delivery</b>\nwaiting: %d breaking, %d normal chats (%d messages), %d in flight\n",
		q.Breaking, q.Normal, q.Pending, q.InFlight)
	fmt.Fprintf(&b, "sent: %d messages, %d articles; 429s: %d; retried: %d; dead letters: %d",
		q.Messages, q.Delivered, q.Floods, q.Retried, q.DeadLetters)
	if q.Paused > 0 {
		fmt.Fprintf(&b, "\npaused after a 429 for %s", q.Paused.Round(time.Second))
	}
	return b.String()
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
