package delivery

import (
	"context"
	"sync"
	"time"
)

// chatPacer keeps the replies to one chat within Telegram's per-chat
// limit: a burst of replyBurst, then one per interval (the engine's
// per-chat spacing, with its margin). A burst of 2 leaves the third
// message Telegram tolerates in a second to the news engine, which spaces
// its own sends per chat in Redis.
type chatPacer struct {
	now      func() time.Time
	interval func(chat int64) time.Duration

	mu    sync.Mutex
	chats map[int64]*chatBudget
}

// chatBudget is a token bucket of one chat, in sends.
type chatBudget struct {
	tokens float64
	last   time.Time
}

const (
	replyBurst = 2
	// pacerForget is how long an idle chat's bucket is kept.
	pacerForget = time.Minute
)

func newChatPacer(now func() time.Time, interval func(int64) time.Duration) *chatPacer {
	return &chatPacer{now: now, interval: interval, chats: make(map[int64]*chatBudget)}
}

// wait returns when chat may get its next reply, taking the token.
func (p *chatPacer) wait(ctx context.Context, chat int64) error {
	iv := p.interval(chat)
	p.mu.Lock()
	now := p.now()
	if len(p.chats) > 4096 {
		for id, b := range p.chats {
			if now.Sub(b.last) > pacerForget {
				delete(p.chats, id)
			}
		}
	}
	b := p.chats[chat]
	if b == nil {
		b = &chatBudget{tokens: replyBurst, last: now}
		p.chats[chat] = b
	}
	b.tokens = min(replyBurst, b.tokens+float64(now.Sub(b.last))/float64(iv))
	b.last = now
	b.tokens-- // taken now; a debt is waited out below
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens * float64(iv))
	}
	p.mu.Unlock()
	return sleep(ctx, d)
}
