package bot

import (
	"context"
	"errors"
	"fmt"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// Forum topics. A command sent in a topic of a forum supergroup (a message
// with is_topic_message and message_thread_id) is about that topic: its
// settings are stored apart, under the topic's ID (Store.TopicID), and
// every reply to the update goes to the same topic. The General topic
// (no thread) and plain groups are the group itself, as before. Changing
// a topic's settings takes a group admin, as for the group's
// (mayChange checks the group).

// TopicStore is what the bot needs from the store for forum topics;
// *store.Store implements it. A Store without it treats every message as
// the group's.
type TopicStore interface {
	// TopicID returns the settings ID of a topic, giving it one the first
	// time.
	TopicID(ctx context.Context, group int64, thread int) (int64, error)
	// Topics lists a group's topics with settings, thread → topic ID.
	Topics(ctx context.Context, group int64) (map[int]int64, error)
}

// threadKey is the context key of the topic an update came from.
type threadKey struct{}

// withUpdateThread returns ctx carrying the forum topic u was sent in (a
// message's, or a pressed button's message's), so that the settings and
// the replies of its handling are the topic's.
func withUpdateThread(ctx context.Context, u telegram.Update) context.Context {
	var m *telegram.IncomingMessage
	switch {
	case u.Message != nil:
		m = u.Message
	case u.CallbackQuery != nil:
		m = u.CallbackQuery.Message
	}
	if m == nil || m.Chat == nil || m.Chat.IsPrivate() || m.Topic() == 0 {
		return ctx
	}
	return context.WithValue(ctx, threadKey{}, m.Topic())
}

// updateThread is the topic the update being handled came from, 0 when
// none.
func updateThread(ctx context.Context) int {
	t, _ := ctx.Value(threadKey{}).(int)
	return t
}

// settingsID is the ID the settings of a request live under: the chat's,
// or in a forum topic the topic's.
func (b *Bot) settingsID(ctx context.Context, chat *telegram.Chat) (id int64, thread int, err error) {
	thread = updateThread(ctx)
	ts, ok := b.store.(TopicStore)
	if thread == 0 || !ok || chat.IsPrivate() {
		return chat.ID, 0, nil
	}
	id, err = ts.TopicID(ctx, chat.ID, thread)
	if err != nil {
		return 0, 0, fmt.Errorf("bot: unable to find topic %d of chat %d: %w", thread, chat.ID, err)
	}
	return id, thread, nil
}

// topicOf is the Topic a new topic record gets, nil outside topics.
func topicOf(r *request) *news.Topic {
	if r.thread == 0 {
		return nil
	}
	return &news.Topic{Chat: r.chatID, Thread: r.thread}
}

// followGroup makes a group's topics inactive (or active again) with the
// group, when the bot leaves (or rejoins) it.
func (b *Bot) followGroup(ctx context.Context, group int64, inactive bool) error {
	ts, ok := b.store.(TopicStore)
	if !ok || !news.IsGroupID(group) || news.IsTopicID(group) {
		return nil
	}
	topics, err := ts.Topics(ctx, group)
	if err != nil {
		return err
	}
	for _, id := range topics {
		_, err := b.store.UpdateChat(ctx, id, func(c *news.Chat, created bool) error {
			if created {
				return errSkip // numbered but never configured
			}
			c.Inactive, c.Strikes = inactive, 0
			return nil
		})
		if err != nil && !errors.Is(err, errSkip) {
			return err
		}
	}
	return nil
}
