package delivery

import (
	"context"
	"log/slog"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/telegram"
)

// A forum topic with settings of its own is a chat of the queue under its
// topic ID (store.TopicID): it is claimed, spaced, struck and made inactive
// on its own, and its messages go to the supergroup with the topic's
// message_thread_id (news.Chat.Destination). Telegram's limit of a group
// (GroupPerMinute) is the group's, whichever topic a message goes to: every
// message to a group takes one of the group's turns (groupTurns, shared in
// Redis by every process), one per group interval. For a group without
// topics the turn is never the constraint (its own not-before is at least
// as late), so nothing changes for it.

// groupTurns is the shared per-group turn; *queue.Queue implements it.
type groupTurns interface {
	GroupTurn(ctx context.Context, now time.Time, group int64, interval time.Duration) (time.Duration, error)
	DelayGroupTurn(ctx context.Context, group int64, at time.Time) error
}

var _ groupTurns = (*queue.Queue)(nil)

// lateTurn is how much later than its turn a send may start before the
// group's next turn is moved to follow it.
func (e *Engine) lateTurn() time.Duration { return e.groupIv / 10 }

// takeGroupTurn takes the turn of group chatID for the job's message. It
// reports false when the message must wait (the job then waits for the
// turn; no attempt is counted), and returns when the turn was taken (zero
// for chats that are not groups).
func (e *Engine) takeGroupTurn(ctx context.Context, j *job, chatID int64) (time.Time, bool) {
	gt, ok := e.q.(groupTurns)
	if !ok || !news.IsGroupID(chatID) {
		return time.Time{}, true
	}
	now := e.now()
	wait, err := gt.GroupTurn(ctx, now, chatID, e.groupIv)
	switch {
	case err != nil:
		j.log.Warn("Unable to take the group's turn; the message waits.", slog.Any("err", err))
		j.after(now, e.cfg.Backoff)
		return time.Time{}, false
	case wait > 0:
		// Another topic of the group (or the group) had the turn.
		j.after(now, wait)
		return time.Time{}, false
	}
	return now, true
}

// endGroupTurn moves the group's next turn after a send that started
// late (it waited for a global slot), so that the group's messages stay
// a group interval apart as Telegram sees them.
func (e *Engine) endGroupTurn(ctx context.Context, j *job, chatID int64, taken time.Time) {
	gt, ok := e.q.(groupTurns)
	if !ok || taken.IsZero() || j.sentAt.Sub(taken) <= e.lateTurn() {
		return
	}
	if err := gt.DelayGroupTurn(ctx, chatID, j.sentAt.Add(e.groupIv)); err != nil {
		j.log.Warn("Unable to move the group's next turn.", slog.Any("err", err))
	}
}

// sendToChat sends m, the job's next message, where the job's chat
// reads its news (its forum topic, if any), in its group's turn.
func (e *Engine) sendToChat(ctx context.Context, j *job, m telegram.Message) {
	m.ChatID, m.ThreadID = j.chat.Destination()
	taken, ok := e.takeGroupTurn(ctx, j, m.ChatID)
	if !ok {
		return
	}
	e.sendAndHandle(ctx, j, m, 0)
	e.endGroupTurn(ctx, j, m.ChatID, taken)
}
