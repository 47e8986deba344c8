package telegramtest

import "net/http"

// editMessageReplyMarkup replaces a bot message's keyboard, as Telegram
// does: the message must exist and be the bot's, and the new markup must
// differ. The edit is recorded (Sent with Method editMessageReplyMarkup,
// the message's text unchanged).
func (s *Server) editMessageReplyMarkup(p params) answer {
	if p.has("inline_message_id") {
		return badRequest("inline messages are not supported by telegramtest")
	}
	id, a := chatID(p)
	if a.status != 0 {
		return a
	}
	msgID, found, err := p.int64("message_id")
	if !found {
		return badRequest("message identifier is not specified")
	}
	if err != nil {
		return badRequest("message to edit not found")
	}
	markup, a := replyMarkup(p)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(id)
	if a, refused := chatRefusalLocked(c); refused {
		return a
	}
	m := c.msgs[int(msgID)]
	switch {
	case m == nil:
		return badRequest("message to edit not found")
	case !m.fromBot:
		return badRequest("message can't be edited")
	case string(m.markup) == string(markup):
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	now := s.now()
	m.markup, m.editDate = markup, now.Unix()
	s.recordLocked(outgoing{method: "editMessageReplyMarkup", chatID: id, text: m.text, plain: m.text,
		entities: m.entities, markup: markup, params: p}, m.id, now)
	return answer{status: http.StatusOK, result: s.apiMessage(c, m), delivered: true}
}
