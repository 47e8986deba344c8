package news

// Topic is a forum topic of a supergroup: where the news of a topic
// subscriber goes. A topic has settings of its own, stored as a Chat under
// a topic ID (IsTopicID) that the store gives it; its record's Topic field
// says where to post.
type Topic struct {
	// Chat is the supergroup's chat ID.
	Chat int64 `json:"chat"`
	// Thread is the topic's message_thread_id (never 0: the General topic
	// is the group itself).
	Thread int `json:"thread"`
}

// Topic IDs lie outside Telegram's chat IDs, which have at most 52
// significant bits: a topic ID is −(TopicIDBase + k), k < TopicIDBase, so
// its absolute value stays below 2^53 and is exact in a float64 (Lua, JSON
// readers).
const TopicIDBase = 1 << 52

// IsTopicID reports whether id is a topic's settings ID rather than a
// Telegram chat ID.
func IsTopicID(id int64) bool { return id <= -TopicIDBase && id > -2*TopicIDBase }

// Destination is where a message to chat c goes: the supergroup and
// thread of a topic, or the chat itself (thread 0).
func (c *Chat) Destination() (chatID int64, thread int) {
	if c.Topic != nil && c.Topic.Chat != 0 {
		return c.Topic.Chat, c.Topic.Thread
	}
	return c.ID, 0
}
