package telegramtest

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Telegram's limits on sizes.
const (
	maxTextUnits     = 4096 // message text, UTF-16 units after entity parsing
	maxCaptionUnits  = 1024
	maxCallbackData  = 64 // bytes
	maxCommands      = 100
	maxCommandLen    = 32
	maxCommandDesc   = 256
	maxSecretToken   = 256
	supergroupIDBase = -1000000000000 // supergroups and channels: -100…
)

// chat is the server's view of one chat.
type chat struct {
	id                  int64
	typ                 string
	title               string
	firstName, userName string
	nextMsgID           int
	msgs                map[int]*message
	blocked             bool
	migrateTo           int64
	lastSend            time.Time
	hasSent             bool
	window              []time.Time // group sends in the last minute
	delivered           map[uint64]bool
	bucket              bucket                // ChatBurst, private chats
	pausedUntil         time.Time             // end of the retry_after last given for this chat
	members             map[int64]string      // user ID → status set by SetMemberStatus
	forum               bool                  // a forum supergroup (forum.go)
	topics              map[int64]*forumTopic // its topics by thread ID
}

// message is a message of a chat, as the server remembers it.
type message struct {
	id       int
	fromBot  bool
	date     int64
	editDate int64
	threadID int64
	topic    bool   // sent in a forum topic (is_topic_message)
	text     string // plain text (text messages) or caption (photos)
	entities []entity
	photo    string
	markup   json.RawMessage
	userFrom *apiUser
	preview  json.RawMessage
	isPhoto  bool
}

// Bot API objects, as sent in answers and updates.
type (
	apiUser struct {
		ID                      int64  `json:"id"`
		IsBot                   bool   `json:"is_bot"`
		FirstName               string `json:"first_name"`
		UserName                string `json:"username,omitempty"`
		LanguageCode            string `json:"language_code,omitempty"`
		CanJoinGroups           bool   `json:"can_join_groups,omitempty"`
		CanReadAllGroupMessages *bool  `json:"can_read_all_group_messages,omitempty"`
		SupportsInlineQueries   *bool  `json:"supports_inline_queries,omitempty"`
	}
	apiChat struct {
		ID        int64  `json:"id"`
		Type      string `json:"type"`
		Title     string `json:"title,omitempty"`
		UserName  string `json:"username,omitempty"`
		FirstName string `json:"first_name,omitempty"`
		IsForum   bool   `json:"is_forum,omitempty"`
	}
	apiPhotoSize struct {
		FileID       string `json:"file_id"`
		FileUniqueID string `json:"file_unique_id"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		FileSize     int    `json:"file_size,omitempty"`
	}
	apiMessage struct {
		MessageID          int             `json:"message_id"`
		MessageThreadID    int64           `json:"message_thread_id,omitempty"`
		IsTopicMessage     bool            `json:"is_topic_message,omitempty"`
		From               *apiUser        `json:"from,omitempty"`
		Chat               apiChat         `json:"chat"`
		Date               int64           `json:"date"`
		EditDate           int64           `json:"edit_date,omitempty"`
		Text               string          `json:"text,omitempty"`
		Entities           []entity        `json:"entities,omitempty"`
		Photo              []apiPhotoSize  `json:"photo,omitempty"`
		Caption            string          `json:"caption,omitempty"`
		CaptionEntities    []entity        `json:"caption_entities,omitempty"`
		LinkPreviewOptions json.RawMessage `json:"link_preview_options,omitempty"`
		ReplyMarkup        json.RawMessage `json:"reply_markup,omitempty"`
	}
)

// botUser is the bot's own account (getMe).
func (s *Server) botUser() apiUser {
	f := false
	return apiUser{ID: s.botID, IsBot: true, FirstName: "Newsbot Test", UserName: s.opts.BotUserName,
		CanJoinGroups: true, CanReadAllGroupMessages: &f, SupportsInlineQueries: &f}
}

// botAsUser is the bot as it appears in messages: without the fields only
// getMe returns.
func (s *Server) botAsUser() apiUser {
	return apiUser{ID: s.botID, IsBot: true, FirstName: "Newsbot Test", UserName: s.opts.BotUserName}
}

// chatLocked returns the state of a chat, creating it (any chat exists).
func (s *Server) chatLocked(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{id: id, nextMsgID: 1, msgs: make(map[int]*message), delivered: make(map[uint64]bool)}
		switch {
		case id > 0:
			c.typ = "private"
		case id <= supergroupIDBase:
			c.typ = "supergroup"
		default:
			c.typ = "group"
		}
		s.chats[id] = c
	}
	return c
}

func (c *chat) api() apiChat {
	a := apiChat{ID: c.id, Type: c.typ}
	if c.typ == "private" {
		a.FirstName, a.UserName = c.firstName, c.userName
	} else {
		a.Title, a.IsForum = c.title, c.forum
		if c.typ == "channel" || c.typ == "supergroup" {
			a.UserName = c.userName
		}
	}
	return a
}

// apiMessage renders a stored message of chat c.
func (s *Server) apiMessage(c *chat, m *message) apiMessage {
	a := apiMessage{MessageID: m.id, MessageThreadID: m.threadID, IsTopicMessage: m.topic, Chat: c.api(), Date: m.date,
		EditDate: m.editDate, ReplyMarkup: m.markup}
	if m.fromBot {
		bot := s.botAsUser()
		a.From = &bot
	} else {
		a.From = m.userFrom
	}
	if m.isPhoto {
		a.Photo = photoSizes(m.photo)
		a.Caption, a.CaptionEntities = m.text, m.entities
	} else {
		a.Text, a.Entities = m.text, m.entities
		a.LinkPreviewOptions = m.preview
	}
	return a
}

// photoSizes invents the sizes Telegram would make of a photo.
func photoSizes(photo string) []apiPhotoSize {
	h := fnv.New64a()
	_, _ = h.Write([]byte(photo))
	id := strconv.FormatUint(h.Sum64(), 36)
	return []apiPhotoSize{
		{FileID: "AgAC" + id + "-s", FileUniqueID: "AQAD" + id + "s", Width: 90, Height: 60, FileSize: 1200},
		{FileID: "AgAC" + id + "-m", FileUniqueID: "AQAD" + id + "m", Width: 320, Height: 213, FileSize: 15000},
		{FileID: "AgAC" + id + "-x", FileUniqueID: "AQAD" + id + "x", Width: 800, Height: 533, FileSize: 60000},
	}
}

// chatID reads chat_id; a zero answer status means success.
func chatID(p params) (int64, answer) {
	if strings.TrimSpace(p.str("chat_id")) == "" {
		return 0, badRequest("chat_id is empty")
	}
	id, _, err := p.int64("chat_id")
	if err != nil || id == 0 {
		return 0, badRequest("chat not found")
	}
	return id, answer{}
}

// parseText parses text in a parse mode; a zero answer status means
// success.
func parseText(text, parseMode string) (string, []entity, answer) {
	if !utf8.ValidString(text) {
		return "", nil, badRequest("text must be encoded in UTF-8")
	}
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil, answer{}
	case "html":
		plain, ents, err := parseHTML(text)
		if err != nil {
			return "", nil, badRequest("can't parse entities: %s", err.Error())
		}
		return plain, ents, answer{}
	case "markdown", "markdownv2":
		// Not validated: newsbot sends HTML only.
		return text, nil, answer{}
	}
	return "", nil, badRequest("unsupported parse_mode")
}

// replyMarkup validates reply_markup; a zero answer status means success.
func replyMarkup(p params) (json.RawMessage, answer) {
	raw, err := p.json("reply_markup")
	if err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if raw == nil {
		return nil, answer{}
	}
	var m struct {
		InlineKeyboard *[][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if m.InlineKeyboard == nil {
		// Reply keyboards and force_reply are accepted unchecked.
		return raw, answer{}
	}
	for _, row := range *m.InlineKeyboard {
		for _, button := range row {
			var text string
			if json.Unmarshal(button["text"], &text) != nil || text == "" {
				return nil, badRequest("can't parse inline keyboard button: Text must be non-empty")
			}
			kinds := 0
			for _, k := range []string{"url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat",
				"login_url", "web_app", "callback_game", "pay", "copy_text", "switch_inline_query_chosen_chat"} {
				if _, has := button[k]; has {
					kinds++
				}
			}
			if kinds != 1 {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
			if rawData, has := button["callback_data"]; has {
				var data string
				if json.Unmarshal(rawData, &data) != nil || len(data) < 1 || len(data) > maxCallbackData {
					return nil, badRequest("BUTTON_DATA_INVALID")
				}
			}
			if rawURL, has := button["url"]; has {
				var u string
				if json.Unmarshal(rawURL, &u) != nil || !validButtonURL(u) {
					return nil, badRequest("BUTTON_URL_INVALID")
				}
			}
		}
	}
	return raw, answer{}
}

// validButtonURL accepts http(s) and tg:// links, as Telegram does.
func validButtonURL(u string) bool {
	l := strings.ToLower(u)
	return (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "tg://")) &&
		len(u) > len("tg://") && !strings.ContainsAny(u, " \n\t")
}

// outgoing is a message on its way to a chat.
type outgoing struct {
	method    string
	chatID    int64
	text      string // as sent
	plain     string
	entities  []entity
	parseMode string
	photo     string
	markup    json.RawMessage
	preview   json.RawMessage
	threadID  int64
	silent    bool
	paid      bool
	params    params
}

// messageText validates the text, parse_mode and reply_markup of a
// sendMessage or editMessageText call as Telegram does: markup that parses,
// a text that is not empty and at most maxTextUnits after parsing.
func messageText(p params) (text, plain string, ents []entity, markup json.RawMessage, a answer) {
	text = p.str("text")
	plain, ents, a = parseText(text, p.str("parse_mode"))
	if a.status != 0 {
		return
	}
	if strings.TrimSpace(plain) == "" {
		return text, plain, ents, nil, badRequest("message text is empty")
	}
	if utf16Len(plain) > maxTextUnits {
		return text, plain, ents, nil, badRequest("message is too long")
	}
	markup, a = replyMarkup(p)
	return
}

func (s *Server) sendMessage(p params) answer {
	id, a := chatID(p)
	if a.status != 0 {
		return a
	}
	text, plain, ents, markup, a := messageText(p)
	if a.status != 0 {
		return a
	}
	preview, err := p.json("link_preview_options")
	if err != nil || (preview != nil && !isJSONObject(preview)) {
		return badRequest("can't parse link preview options JSON object")
	}
	thread, _, err := p.int64("message_thread_id")
	if err != nil {
		return badRequest("message thread not found")
	}
	return s.deliver(outgoing{method: "sendMessage", chatID: id, text: text, plain: plain, entities: ents,
		parseMode: p.str("parse_mode"), markup: markup, preview: preview, threadID: thread,
		silent: p.bool("disable_notification"), paid: p.bool("allow_paid_broadcast"), params: p})
}

func (s *Server) sendPhoto(p params) answer {
	id, a := chatID(p)
	if a.status != 0 {
		return a
	}
	photo := strings.TrimSpace(p.str("photo"))
	if photo == "" {
		return badRequest("there is no photo in the request")
	}
	caption := p.str("caption")
	plain, ents, a := parseText(caption, p.str("parse_mode"))
	if a.status != 0 {
		return a
	}
	if utf16Len(plain) > maxCaptionUnits {
		return badRequest("message caption is too long")
	}
	markup, a := replyMarkup(p)
	if a.status != 0 {
		return a
	}
	thread, _, err := p.int64("message_thread_id")
	if err != nil {
		return badRequest("message thread not found")
	}
	return s.deliver(outgoing{method: "sendPhoto", chatID: id, text: caption, plain: plain, entities: ents,
		parseMode: p.str("parse_mode"), photo: photo, markup: markup, threadID: thread,
		silent: p.bool("disable_notification"), paid: p.bool("allow_paid_broadcast"), params: p})
}

func isJSONObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil
}

// chatRefusalLocked answers for blocked and migrated chats.
func chatRefusalLocked(c *chat) (answer, bool) {
	switch {
	case c.blocked:
		d := "Forbidden: bot was blocked by the user"
		if c.typ != "private" {
			d = "Forbidden: bot was kicked from the " + c.typ + " chat"
		}
		return answer{status: http.StatusForbidden, description: d}, true
	case c.migrateTo != 0:
		return answer{status: http.StatusBadRequest, description: "Bad Request: group chat was upgraded to a supergroup chat",
			parameters: &responseParameters{MigrateToChatID: c.migrateTo}}, true
	}
	return answer{}, false
}

// deliver applies chat refusals and rate limits, then delivers o.
func (s *Server) deliver(o outgoing) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(o.chatID)
	if a, refused := chatRefusalLocked(c); refused {
		return a
	}
	if a, refused := s.channelRefusalLocked(c); refused {
		return a
	}
	a, refused, inTopic := topicRefusalLocked(c, o.threadID)
	if refused {
		return a
	}
	now := s.now()
	if a, limited := s.limitLocked(c, o.paid, now); limited {
		return a
	}

	m := &message{id: c.nextMsgID, fromBot: true, date: now.Unix(), threadID: o.threadID, topic: inTopic, text: o.plain,
		entities: o.entities, photo: o.photo, markup: o.markup, preview: o.preview, isPhoto: o.method == "sendPhoto"}
	c.nextMsgID++
	c.msgs[m.id] = m

	key := fnv.New64a()
	_, _ = key.Write([]byte(o.method + "\x00" + o.photo + "\x00" + o.text))
	if c.delivered[key.Sum64()] {
		s.stats.Duplicates++
	}
	c.delivered[key.Sum64()] = true
	s.recordLocked(o, m.id, now)
	return answer{status: http.StatusOK, result: s.apiMessage(c, m), delivered: true}
}

// recordLocked adds a Sent.
func (s *Server) recordLocked(o outgoing, messageID int, now time.Time) {
	s.sentBy[o.chatID] = append(s.sentBy[o.chatID], len(s.sent))
	s.sent = append(s.sent, Sent{Method: o.method, ChatID: o.chatID, MessageID: messageID, Text: o.text,
		Plain: o.plain, ParseMode: o.parseMode, Silent: o.silent, ReplyMarkup: o.markup,
		Params: o.params.typed(), At: now, Paid: o.paid})
	s.stats.Delivered++
	s.notifyLocked()
}

// limitLocked applies the rate limits to a send or edit to c, taking from
// the buckets and windows when it passes. It returns a 429 answer when a
// limit is hit, or when the request comes inside an announced retry_after
// and StrictRetryAfter is set. Each bucket tolerates arrivals up to s.jitter
// early (see Options.Jitter); GlobalPerSecond never does.
func (s *Server) limitLocked(c *chat, paid bool, now time.Time) (answer, bool) {
	if a, paused := s.pausedLocked(c, now); paused {
		return a, true
	}
	if a, global, hit := s.checkLimitsLocked(c, paid, now); hit {
		s.notePauseLocked(c, a, global, now)
		return a, true
	}
	b := &s.global
	if paid {
		b = &s.paid
	}
	b.take(now)
	if !paid && s.opts.GlobalPerSecond > 0 {
		s.window = append(s.window, now)
	}
	if s.opts.ChatBurst > 0 && s.opts.ChatInterval > 0 && c.typ == "private" {
		c.bucket.take(now)
	}
	c.lastSend, c.hasSent = now, true
	if c.typ != "private" && s.opts.GroupPerMinute > 0 {
		c.window = append(c.window, now)
	}
	return answer{}, false
}

// checkLimitsLocked returns the 429 of the first limit a send to c would
// break, and whether that limit is the token's (global) or the chat's.
func (s *Server) checkLimitsLocked(c *chat, paid bool, now time.Time) (answer, bool, bool) {
	if iv := s.opts.ChatInterval; iv > 0 && c.typ == "private" {
		if s.opts.ChatBurst > 0 {
			if wait := s.chatBucketLocked(c, now); wait > 0 {
				s.stats.TooManyRequests++
				s.stats.FloodChat++
				return tooManyRequests(wait), false, true
			}
		} else if tolerance := min(s.jitter, iv/2); c.hasSent && now.Sub(c.lastSend) < iv-tolerance {
			s.stats.TooManyRequests++
			s.stats.FloodChat++
			return tooManyRequests(iv - now.Sub(c.lastSend)), false, true
		}
	}
	if n := s.opts.GroupPerMinute; n > 0 && c.typ != "private" {
		// The send passes if the window has room s.jitter from now.
		later := now.Add(s.jitter)
		cut := 0
		for cut < len(c.window) && !c.window[cut].After(later.Add(-time.Minute)) {
			cut++
		}
		c.window = c.window[cut:]
		if len(c.window) >= n {
			s.stats.TooManyRequests++
			s.stats.FloodGroup++
			return tooManyRequests(c.window[len(c.window)-n].Add(time.Minute).Sub(now)), false, true
		}
	}
	if !paid {
		if wait := s.windowLocked(now); wait > 0 {
			s.stats.TooManyRequests++
			s.stats.FloodGlobal++
			return tooManyRequests(wait), true, true
		}
	}
	b, counter := &s.global, &s.stats.FloodGlobal
	if paid {
		b, counter = &s.paid, &s.stats.FloodPaid
	}
	if wait := b.wait(now); wait > s.jitter {
		s.stats.TooManyRequests++
		*counter++
		return tooManyRequests(wait), true, true
	}
	return answer{}, false, false
}

func (s *Server) editMessageText(p params) answer {
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
	text, plain, ents, markup, a := messageText(p)
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
	case m.isPhoto:
		return badRequest("there is no text in the message to edit")
	case m.text == plain && sameEntities(m.entities, ents) && string(m.markup) == string(markup):
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	if a, refused, _ := topicRefusalLocked(c, m.threadID); refused && m.topic {
		return a
	}
	now := s.now()
	if a, limited := s.limitLocked(c, false, now); limited {
		return a
	}
	m.text, m.entities, m.markup, m.editDate = plain, ents, markup, now.Unix()
	s.recordLocked(outgoing{method: "editMessageText", chatID: id, text: text, plain: plain, entities: ents,
		parseMode: p.str("parse_mode"), markup: markup, params: p}, m.id, now)
	return answer{status: http.StatusOK, result: s.apiMessage(c, m), delivered: true}
}

func sameEntities(a, b []entity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *Server) answerCallbackQuery(p params) answer {
	id := p.str("callback_query_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || !s.pendingCallbacks[id] {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	delete(s.pendingCallbacks, id)
	s.callbacks = append(s.callbacks, CallbackAnswer{ID: id, Text: p.str("text"), ShowAlert: p.bool("show_alert")})
	s.notifyLocked()
	return ok(true)
}

// validCommand reports whether s is a valid bot command: 1–32 lower-case
// letters, digits and underscores.
func validCommand(s string) bool {
	if len(s) < 1 || len(s) > maxCommandLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// languageCode reads language_code: "" or a two-letter ISO 639-1 code.
func languageCode(p params) (string, answer) {
	lang := p.str("language_code")
	if lang != "" && (len(lang) != 2 || !isASCIILetter(lang[0]) || !isASCIILetter(lang[1])) {
		return "", badRequest("invalid language code specified")
	}
	return strings.ToLower(lang), answer{}
}

func (s *Server) setMyCommands(p params) answer {
	raw, err := p.json("commands")
	var cmds []Command
	if err != nil || raw == nil || json.Unmarshal(raw, &cmds) != nil {
		return badRequest("can't parse commands JSON array")
	}
	if len(cmds) > maxCommands {
		return badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(strings.TrimSpace(c.Description)); n < 1 || n > maxCommandDesc {
			return badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	lang, a := languageCode(p)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, lang)
	} else {
		s.commands[lang] = cmds
	}
	s.notifyLocked()
	return ok(true)
}

func (s *Server) getMyCommands(p params) answer {
	lang, a := languageCode(p)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[lang]
	if cmds == nil {
		cmds = []Command{}
	}
	return ok(cmds)
}

func (s *Server) deleteMyCommands(p params) answer {
	lang, a := languageCode(p)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, lang)
	s.notifyLocked()
	return ok(true)
}

func (s *Server) getChatMember(p params) answer {
	id, a := chatID(p)
	if a.status != 0 {
		return a
	}
	userID, _, err := p.int64("user_id")
	if err != nil || userID <= 0 {
		return badRequest("invalid user_id specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(id)
	if a, refused := chatRefusalLocked(c); refused {
		return a
	}
	if c.typ == "channel" {
		return s.channelMemberLocked(c, userID)
	}
	status := c.members[userID]
	switch {
	case status != "":
	case c.typ == "private" && userID == id:
		status = "member"
	case c.typ == "private" && userID != s.botID:
		return badRequest("user not found")
	default:
		status = "member"
	}
	user := apiUser{ID: userID, FirstName: "User " + strconv.FormatInt(userID, 10)}
	if userID == s.botID {
		user = s.botAsUser()
	}
	return ok(struct {
		User   apiUser `json:"user"`
		Status string  `json:"status"`
	}{user, status})
}
