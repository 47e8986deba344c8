package telegramtest

import (
	"net/http"
	"strconv"
	"strings"
)

// Channels. A channel is a chat of type "channel" made with AddChannel,
// public when it has a username. Its members are set with SetChannelAdmin
// and SetMemberStatus (anyone else has left it); the bot is one of them,
// under BotID. What the server does with channels, as Telegram does:
//   - getChat finds a chat by ID (one the server knows) or a channel by
//     "@username", and answers 400 "chat not found" otherwise;
//   - getChatMember in a channel answers 400 "member list is inaccessible"
//     unless the bot administers it, and carries can_post_messages for
//     administrators;
//   - a send to a channel answers 403 when the bot is not a member and 400
//     "need administrator rights" when it may not post; the group limit
//     (GroupPerMinute) applies to channels too;
//   - ChannelPost, BotChannelStatus and ForwardFromChannel inject
//     channel_post, my_chat_member and forwarded-message updates.

// channelState holds what only channels have.
type channelState struct {
	byName  map[string]int64  // lower-case username → channel ID
	canPost map[[2]int64]bool // (channel, user) → may post
}

// BotID returns the bot's own user ID (from the token).
func (s *Server) BotID() int64 { return s.botID }

// AddChannel registers a channel: ch.ID (-100…), ch.Title and, for a
// public channel, ch.UserName (without the @).
func (s *Server) AddChannel(ch Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(ch.ID)
	c.typ, c.title, c.userName = "channel", ch.Title, strings.TrimPrefix(ch.UserName, "@")
	if c.userName != "" {
		if s.channels.byName == nil {
			s.channels.byName = map[string]int64{}
		}
		s.channels.byName[strings.ToLower(c.userName)] = ch.ID
	}
}

// SetChannelAdmin makes userID (BotID for the bot) an administrator of a
// channel, allowed to post or not.
func (s *Server) SetChannelAdmin(channelID, userID int64, canPost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setChannelMemberLocked(channelID, userID, "administrator", canPost)
}

func (s *Server) setChannelMemberLocked(channelID, userID int64, status string, canPost bool) {
	c := s.chatLocked(channelID)
	if c.members == nil {
		c.members = make(map[int64]string)
	}
	c.members[userID] = status
	if s.channels.canPost == nil {
		s.channels.canPost = map[[2]int64]bool{}
	}
	s.channels.canPost[[2]int64{channelID, userID}] = canPost && status == "administrator" || status == "creator"
}

// botMayPostLocked reports whether the bot administers channel c with the
// right to post.
func (s *Server) botMayPostLocked(c *chat) bool {
	return c.members[s.botID] == "administrator" && s.channels.canPost[[2]int64{c.id, s.botID}]
}

// channelRefusalLocked answers a send to a channel the bot may not post
// in; ok is false for any other chat.
func (s *Server) channelRefusalLocked(c *chat) (answer, bool) {
	if c.typ != "channel" {
		return answer{}, false
	}
	switch status := c.members[s.botID]; {
	case status != "administrator":
		return answer{status: http.StatusForbidden, description: "Forbidden: bot is not a member of the channel chat"}, true
	case !s.botMayPostLocked(c):
		return badRequest("need administrator rights in the channel chat"), true
	}
	return answer{}, false
}

// channelMemberLocked answers getChatMember in a channel.
func (s *Server) channelMemberLocked(c *chat, userID int64) answer {
	if c.members[s.botID] != "administrator" {
		return badRequest("member list is inaccessible")
	}
	status := c.members[userID]
	if status == "" {
		status = "left"
	}
	user := apiUser{ID: userID, FirstName: "User " + strconv.FormatInt(userID, 10)}
	if userID == s.botID {
		user = s.botAsUser()
	}
	return ok(s.channelMember(c.id, user, status))
}

// channelMemberJSON is a ChatMember of a channel.
type channelMemberJSON struct {
	User            apiUser `json:"user"`
	Status          string  `json:"status"`
	CanPostMessages *bool   `json:"can_post_messages,omitempty"`
}

func (s *Server) channelMember(channelID int64, user apiUser, status string) channelMemberJSON {
	m := channelMemberJSON{User: user, Status: status}
	if status == "administrator" {
		can := s.channels.canPost[[2]int64{channelID, user.ID}]
		m.CanPostMessages = &can
	}
	return m
}

// getChat answers getChat: by "@username" for public channels, by ID for
// any chat the server knows.
func (s *Server) getChat(p params) answer {
	ref := strings.TrimSpace(p.str("chat_id"))
	if ref == "" {
		return badRequest("chat_id is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *chat
	if name, isName := strings.CutPrefix(ref, "@"); isName {
		if id, found := s.channels.byName[strings.ToLower(name)]; found {
			c = s.chats[id]
		}
	} else if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		c = s.chats[id]
		if c != nil && c.typ == "channel" && c.userName == "" && c.members[s.botID] == "" {
			c = nil // a private channel the bot is not in
		}
	}
	if c == nil {
		return badRequest("chat not found")
	}
	return ok(c.api())
}

// ChannelPost injects a post published in a channel (a channel_post
// update) and returns its update_id.
func (s *Server) ChannelPost(channelID int64, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(channelID)
	m := &message{id: c.nextMsgID, date: s.now().Unix(), text: text}
	c.nextMsgID++
	c.msgs[m.id] = m
	a := s.apiMessage(c, m)
	a.From = nil // channel posts have no sender
	return s.enqueueLocked("channel_post", a)
}

// BotChannelStatus changes the bot's membership of a channel, as from (an
// admin of the channel) did, and injects the my_chat_member update:
// status "administrator" (with canPost), "left" or "kicked".
func (s *Server) BotChannelStatus(from User, channelID int64, status string, canPost bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(channelID)
	bot := s.botAsUser()
	oldStatus := c.members[bot.ID]
	if oldStatus == "" {
		oldStatus = "left"
	}
	old := s.channelMember(channelID, bot, oldStatus)
	s.setChannelMemberLocked(channelID, bot.ID, status, canPost)
	_, u := s.actorLocked(from, Chat{ID: from.ID, Type: "private"})
	upd := struct {
		Chat          apiChat           `json:"chat"`
		From          *apiUser          `json:"from"`
		Date          int64             `json:"date"`
		OldChatMember channelMemberJSON `json:"old_chat_member"`
		NewChatMember channelMemberJSON `json:"new_chat_member"`
	}{c.api(), u, s.now().Unix(), old, s.channelMember(channelID, bot, status)}
	return s.enqueueLocked("my_chat_member", upd)
}

// ForwardFromChannel injects a message in from's private chat with the
// bot: post postID of a channel, forwarded (forward_origin of type
// "channel", and the older forward_from_chat). It returns the update_id.
func (s *Server) ForwardFromChannel(from User, channelID int64, postID int, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chatLocked(channelID).api()
	c, u := s.actorLocked(from, Chat{})
	m := &message{id: c.nextMsgID, date: s.now().Unix(), text: text, userFrom: u}
	c.nextMsgID++
	c.msgs[m.id] = m
	type origin struct {
		Type      string  `json:"type"`
		Date      int64   `json:"date"`
		Chat      apiChat `json:"chat"`
		MessageID int     `json:"message_id"`
	}
	msg := struct {
		apiMessage
		ForwardOrigin      origin  `json:"forward_origin"`
		ForwardFromChat    apiChat `json:"forward_from_chat"`
		ForwardFromMessage int     `json:"forward_from_message_id"`
		ForwardDate        int64   `json:"forward_date"`
	}{s.apiMessage(c, m), origin{"channel", m.date, ch, postID}, ch, postID, m.date}
	return s.enqueueLocked("message", msg)
}
