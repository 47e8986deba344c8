package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// EditWindow is how long Telegram lets a bot edit its messages; the
// message log keeps a story's message IDs that long after its last send.
const EditWindow = 48 * time.Hour

// SentMessage is a message the bot sent for a story to one chat.
type SentMessage struct {
	ID     int       // Telegram's message_id
	Digest uint64    // of what the chat sees (text and markup), to skip edits that change nothing
	At     time.Time // when it was sent
	// Breaking is set for a message sent as a breaking alert: an edit
	// renders it the same way.
	Breaking bool
}

// String is the record's value: "id|digest|sent_unix|b" (b: "1" breaking, "0").
func (m SentMessage) String() string {
	b := "0"
	if m.Breaking {
		b = "1"
	}
	return strconv.Itoa(m.ID) + valueSep + strconv.FormatUint(m.Digest, 16) + valueSep + strconv.FormatInt(m.At.Unix(), 10) + valueSep + b
}

// RecordMessage remembers that chat holds message m for ref, for edits;
// the story's log expires EditWindow after its last record. A record takes
// about 60 bytes of Redis memory (see docs/redis-keys.md).
func (q *Queue) RecordMessage(ctx context.Context, ref string, chat int64, m SentMessage) error {
	v := m.String()
	key := q.k.messages(ref)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, strconv.FormatInt(chat, 10), v)
		p.Expire(ctx, key, EditWindow)
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: unable to record message %d of %s for chat %d: %w", m.ID, ref, chat, err)
	}
	return nil
}

// Messages returns, by chat, the messages sent for ref after since.
func (q *Queue) Messages(ctx context.Context, ref string, since time.Time) (map[int64]SentMessage, error) {
	all, err := q.rdb.HGetAll(ctx, q.k.messages(ref)).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: unable to read the messages of %s: %w", ref, err)
	}
	out := make(map[int64]SentMessage, len(all))
	for f, v := range all {
		chat, err := strconv.ParseInt(f, 10, 64)
		m, ok := parseSentMessage(v)
		if err != nil || !ok || !m.At.After(since) {
			continue
		}
		out[chat] = m
	}
	return out, nil
}

// Message returns the message chat holds for ref; ok is false when none
// is recorded.
func (q *Queue) Message(ctx context.Context, ref string, chat int64) (SentMessage, bool, error) {
	v, err := q.rdb.HGet(ctx, q.k.messages(ref), strconv.FormatInt(chat, 10)).Result()
	if err == redis.Nil {
		return SentMessage{}, false, nil
	}
	if err != nil {
		return SentMessage{}, false, fmt.Errorf("queue: unable to read the message of %s for chat %d: %w", ref, chat, err)
	}
	m, ok := parseSentMessage(v)
	return m, ok, nil
}

// UpdateMessage records a new digest for a message that was edited,
// keeping its ID and send time (Telegram counts the window from the send).
func (q *Queue) UpdateMessage(ctx context.Context, ref string, chat int64, m SentMessage) error {
	v := m.String()
	if err := q.rdb.HSet(ctx, q.k.messages(ref), strconv.FormatInt(chat, 10), v).Err(); err != nil {
		return fmt.Errorf("queue: unable to update message %d of %s for chat %d: %w", m.ID, ref, chat, err)
	}
	return nil
}

func parseSentMessage(v string) (SentMessage, bool) {
	parts := strings.Split(v, valueSep)
	if len(parts) != 4 {
		return SentMessage{}, false
	}
	id, err1 := strconv.Atoi(parts[0])
	d, err2 := strconv.ParseUint(parts[1], 16, 64)
	at, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || id <= 0 {
		return SentMessage{}, false
	}
	return SentMessage{ID: id, Digest: d, At: time.Unix(at, 0), Breaking: parts[3] == "1"}, true
}
