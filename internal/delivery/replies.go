package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"newsbot/internal/telegram"
)

// ReplyClient is the part of the Bot API the bot's replies use;
// *telegram.Client implements it.
type ReplyClient interface {
	Send(ctx context.Context, m telegram.Message) (int, error)
	EditText(ctx context.Context, chatID int64, messageID int, text, parseMode string, markup *telegram.InlineKeyboard) error
	EditMarkup(ctx context.Context, chatID int64, messageID int, markup *telegram.InlineKeyboard) error
	AnswerCallback(ctx context.Context, callbackID, text string) error
	GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]telegram.Update, error)
	ChatAdmin(ctx context.Context, chatID, userID int64) (bool, error)
}

// pauseWaiter is the part of the limiter that requests outside the send
// rate need; *queue.Limiter implements it.
type pauseWaiter interface {
	WaitPause(ctx context.Context) error
}

// Replies is the Bot API as the bot's command handlers use it: every
// request that counts against Telegram's limits (sends and edits) takes a
// slot of the engine's shared budget, the one news and broadcasts draw
// from, so replies, news and every process of the token stay within one
// global rate and one pause after a 429. A reply that meets a 429 shares
// the pause, waits retry_after and is sent again: the person waiting gets
// the answer, late, rather than an error. Replies to one chat keep to the
// per-chat limit (chatPacer). Callback answers take no slot
// but wait out a pause. A reply reserves the next slot as it comes, so it
// waits only behind the sends already reserved (about rate × round trip of
// them, see Config.Workers), never behind a whole broadcast.
type Replies struct {
	api   ReplyClient
	e     *Engine
	chats *chatPacer
}

// Replies wraps api with the engine's shared budget.
func (e *Engine) Replies(api ReplyClient) *Replies {
	return &Replies{api: api, e: e, chats: newChatPacer(e.now, e.interval)}
}

// maxReplyFloods bounds the 429s one reply meets before it gives up.
const maxReplyFloods = 5

// withBudget runs a send or edit to chat in a slot, within the chat's own
// limit, again after each 429.
func (r *Replies) withBudget(ctx context.Context, chat int64, what string, do func() error) error {
	for n := 0; ; n++ {
		if err := r.chats.wait(ctx, chat); err != nil {
			return fmt.Errorf("delivery: unable to %s: %w", what, err)
		}
		_, ge, err := r.e.admit(ctx, -1)
		if err != nil {
			return fmt.Errorf("delivery: unable to %s: %w", what, err)
		}
		start := r.e.now()
		err = do()
		d := r.e.answered(ctx, ge, start, true, err) // the pause first, then the log
		if d == 0 || n >= maxReplyFloods {
			return err
		}
		r.e.log.Warn("Telegram asked to slow down during a reply; every sender pauses and the reply waits.",
			slog.String("reply", what), slog.Duration("retry_after", d))
	}
}

// Send sends a message within the shared budget.
func (r *Replies) Send(ctx context.Context, m telegram.Message) (int, error) {
	var id int
	err := r.withBudget(ctx, m.ChatID, "send a reply", func() error {
		var err error
		id, err = r.api.Send(ctx, m)
		return err
	})
	return id, err
}

// EditText edits a message within the shared budget.
func (r *Replies) EditText(ctx context.Context, chatID int64, messageID int, text, parseMode string, markup *telegram.InlineKeyboard) error {
	return r.withBudget(ctx, chatID, "edit a message", func() error {
		return r.api.EditText(ctx, chatID, messageID, text, parseMode, markup)
	})
}

// AnswerCallback answers a button press at once, unless a pause is in
// force.
func (r *Replies) AnswerCallback(ctx context.Context, callbackID, text string) error {
	if pw, ok := r.e.lim.(pauseWaiter); ok {
		if err := pw.WaitPause(ctx); err != nil {
			return fmt.Errorf("delivery: unable to answer a callback: %w", err)
		}
	}
	return r.api.AnswerCallback(ctx, callbackID, text)
}

// GetUpdates is the client's.
func (r *Replies) GetUpdates(ctx context.Context, offset int, timeout time.Duration, allowed []string) ([]telegram.Update, error) {
	return r.api.GetUpdates(ctx, offset, timeout, allowed)
}

// ChatAdmin is the client's.
func (r *Replies) ChatAdmin(ctx context.Context, chatID, userID int64) (bool, error) {
	return r.api.ChatAdmin(ctx, chatID, userID)
}
