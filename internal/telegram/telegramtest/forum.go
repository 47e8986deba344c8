package telegramtest

import (
	"net/http"
	"slices"
)

// Forum supergroups. A chat made a forum by CreateForum has topics; each
// topic is a thread whose ID is the message_id of its creation (as in
// Telegram). Sends and edits with a message_thread_id to a forum must name
// one of its topics: an open one is delivered into it (message_thread_id
// and is_topic_message set on the message), a closed one is refused with
// 400 "Bad Request: TOPIC_CLOSED", a deleted or unknown one with 400 "Bad
// Request: message thread not found". No thread (or thread 0) is the
// General topic. Chats that are not forums keep accepting any
// message_thread_id (reply threads). The per-group limit
// (Options.GroupPerMinute) counts the group's messages whatever topic they
// go to.

// forumTopic is one topic of a forum.
type forumTopic struct {
	name    string
	closed  bool
	deleted bool
}

// CreateForum makes chatID a forum supergroup titled title (kept when
// empty).
func (s *Server) CreateForum(chatID int64, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.typ = "supergroup"
	c.forum = true
	if title != "" {
		c.title = title
	}
	if c.topics == nil {
		c.topics = make(map[int64]*forumTopic)
	}
}

// CreateTopic adds an open topic to forum chatID (made a forum when it is
// not one) and returns its message_thread_id.
func (s *Server) CreateTopic(chatID int64, name string) int64 {
	s.CreateForum(chatID, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	thread := int64(c.nextMsgID)
	c.nextMsgID++ // the topic's service message
	c.topics[thread] = &forumTopic{name: name}
	return thread
}

// CloseTopic closes a topic: sends to it are refused with TOPIC_CLOSED.
func (s *Server) CloseTopic(chatID, thread int64) { s.setTopic(chatID, thread, true, false) }

// ReopenTopic reopens a closed topic.
func (s *Server) ReopenTopic(chatID, thread int64) { s.setTopic(chatID, thread, false, false) }

// DeleteTopic deletes a topic: sends to it are refused with "message
// thread not found".
func (s *Server) DeleteTopic(chatID, thread int64) { s.setTopic(chatID, thread, false, true) }

func (s *Server) setTopic(chatID, thread int64, closed, deleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.chatLocked(chatID).topics[thread]; t != nil {
		t.closed, t.deleted = closed, deleted
	}
}

// SendTextInTopic injects a text message from a user in topic thread of
// forum chat and returns its update_id (see SendText). Thread 0 is the
// General topic: the message carries no thread.
func (s *Server) SendTextInTopic(from User, chat Chat, thread int64, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.actorLocked(from, chat)
	m := &message{id: c.nextMsgID, date: s.now().Unix(), text: text, entities: commandEntities(text), userFrom: u}
	if thread != 0 {
		m.threadID, m.topic = thread, true
	}
	c.nextMsgID++
	c.msgs[m.id] = m
	return s.enqueueLocked("message", s.apiMessage(c, m))
}

// SentToTopic returns the messages delivered to topic thread of chat (0:
// the General topic, or a chat without topics), in order.
func (s *Server) SentToTopic(chatID, thread int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(s.sentToLocked(chatID), func(m Sent) bool { return m.Thread() != thread })
}

// Thread is the message's message_thread_id (a forum topic), 0 when none.
func (m Sent) Thread() int64 {
	t, _ := m.Params["message_thread_id"].(int64)
	return t
}

// topicRefusalLocked answers a send or edit to thread of c: refused when
// c is a forum and thread is not one of its open topics. inTopic reports
// whether the message goes into a topic.
func topicRefusalLocked(c *chat, thread int64) (a answer, refused, inTopic bool) {
	if !c.forum || thread == 0 {
		return answer{}, false, false
	}
	t := c.topics[thread]
	switch {
	case t == nil || t.deleted:
		return answer{status: http.StatusBadRequest, description: "Bad Request: message thread not found"}, true, false
	case t.closed:
		return answer{status: http.StatusBadRequest, description: "Bad Request: TOPIC_CLOSED"}, true, false
	}
	return answer{}, false, true
}
