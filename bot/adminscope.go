package bot

import (
	"context"
	"sync"
	"time"
)

// adminCacheTTL is how long a getChatMember answer about a group admin is
// trusted: promotions and demotions take effect within it, and a busy group
// costs one Bot API call per person every few minutes, not one per command.
const adminCacheTTL = 5 * time.Minute

// draftTTL is how long a /broadcast waits for its confirmation.
const draftTTL = time.Hour

// adminCache remembers, per (group, user), whether the user is one of the
// group's Telegram admins.
type adminCache struct {
	mu      sync.Mutex
	entries map[[2]int64]adminEntry
}

type adminEntry struct {
	admin bool
	at    time.Time
}

// chatAdmin reports whether userID administers the group chatID, asking
// Telegram at most once per adminCacheTTL for each pair.
func (b *Bot) chatAdmin(ctx context.Context, chatID, userID int64) (bool, error) {
	key := [2]int64{chatID, userID}
	now := b.cfg.Now()
	c := &b.admins
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < adminCacheTTL {
		return e.admin, nil
	}
	admin, err := b.api.ChatAdmin(ctx, chatID, userID)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[[2]int64]adminEntry{} // bounded: start over
	}
	c.entries[key] = adminEntry{admin: admin, at: now}
	c.mu.Unlock()
	return admin, nil
}

// isAdmin reports whether the request may use the operators' commands: the
// chat is in ADMIN_CHAT_IDS and, when it is a group, the user is one of
// that group's Telegram admins (a listed group does not make every member
// an operator).
func (b *Bot) isAdmin(ctx context.Context, r *request) bool {
	if b.admin == nil || !b.listedAdminChat(r.chatID) {
		return false
	}
	if !r.group {
		return true
	}
	if r.user == nil {
		return false
	}
	ok, err := b.chatAdmin(ctx, r.chatID, r.user.ID)
	if err != nil {
		b.log.Warn("Unable to check a group's admins; refusing an admin command.", "chat_id", r.chatID, "err", err)
		return false
	}
	return ok
}

func (b *Bot) listedAdminChat(chatID int64) bool {
	for _, id := range b.cfg.AdminChatIDs {
		if id == chatID {
			return true
		}
	}
	return false
}
