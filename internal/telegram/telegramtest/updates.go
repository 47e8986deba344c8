package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Update handling limits.
const (
	maxUpdatesPerPoll = 100
	// webhookRetryMin and webhookRetryMax bound the backoff between
	// failed webhook deliveries (Telegram retries too, more slowly).
	webhookRetryMin = 20 * time.Millisecond
	webhookRetryMax = time.Second
	// maxWebhookAnswer caps the body read from a webhook's answer.
	maxWebhookAnswer = 1 << 20
)

// update is a queued update: its kind ("message", "callback_query", …) and
// its complete JSON.
type update struct {
	id   int
	kind string
	json json.RawMessage
}

// allowedLocked reports whether updates of kind pass allowed_updates.
func (s *Server) allowedLocked(kind string) bool {
	if len(s.allowed) == 0 {
		// Telegram's default: every kind but these.
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(s.allowed, kind)
}

// enqueueLocked queues an update with payload under kind and returns its
// update_id.
func (s *Server) enqueueLocked(kind string, payload any) int {
	id := s.nextUpdateID
	s.nextUpdateID++
	body, err := json.Marshal(map[string]any{"update_id": id, kind: payload})
	if err != nil {
		// Payloads are built from plain types; this cannot happen.
		body = []byte(`{"update_id":` + strconv.Itoa(id) + `}`)
	}
	s.queue = append(s.queue, update{id: id, kind: kind, json: body})
	s.notifyLocked()
	return id
}

// actorLocked registers the user and chat of an injected action and
// returns the chat and the user as a Bot API object.
func (s *Server) actorLocked(from User, ch Chat) (*chat, *apiUser) {
	if ch.ID == 0 {
		ch.ID, ch.Type = from.ID, "private"
	}
	c := s.chatLocked(ch.ID)
	if ch.Type != "" {
		c.typ = ch.Type
	}
	if c.typ == "private" {
		c.firstName, c.userName = from.FirstName, from.UserName
	} else if ch.Title != "" {
		c.title = ch.Title
	}
	u := &apiUser{ID: from.ID, FirstName: from.FirstName, UserName: from.UserName, LanguageCode: from.LanguageCode}
	if u.FirstName == "" {
		u.FirstName = "User " + strconv.FormatInt(from.ID, 10)
	}
	return c, u
}

// SendText injects a text message from a user in a chat and returns its
// update_id. Commands ("/start", "/lang@bot") get bot_command entities, as
// Telegram marks them.
func (s *Server) SendText(from User, chat Chat, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.actorLocked(from, chat)
	m := &message{id: c.nextMsgID, date: s.now().Unix(), text: text, entities: commandEntities(text), userFrom: u}
	c.nextMsgID++
	c.msgs[m.id] = m
	return s.enqueueLocked("message", s.apiMessage(c, m))
}

// commandEntities finds "/command" and "/command@bot" words.
func commandEntities(text string) []entity {
	var ents []entity
	units := 0
	atWordStart := true
	for i := 0; i < len(text); {
		if atWordStart && text[i] == '/' {
			j := i + 1
			for j < len(text) && isCommandByte(text[j]) {
				j++
			}
			if j > i+1 {
				if j < len(text) && text[j] == '@' {
					k := j + 1
					for k < len(text) && isCommandByte(text[k]) {
						k++
					}
					if k > j+1 {
						j = k
					}
				}
				if j == len(text) || isSpace(text[j]) {
					ents = append(ents, entity{Type: "bot_command", Offset: units, Length: j - i})
					units += j - i
					i = j
					atWordStart = false
					continue
				}
			}
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		units += utf16Len(text[i : i+size])
		atWordStart = isSpace(text[i])
		i += size
	}
	return ents
}

func isCommandByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// PressButton injects a press on an inline button of message messageID (a
// message the bot sent to chat) and returns the update_id and the callback
// query ID the bot must answer.
func (s *Server) PressButton(from User, chat Chat, messageID int, data string) (updateID int, callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.actorLocked(from, chat)
	callbackID = strconv.FormatInt(s.nextCallback, 10)
	s.nextCallback++
	s.pendingCallbacks[callbackID] = true
	var msg apiMessage
	if m := c.msgs[messageID]; m != nil {
		msg = s.apiMessage(c, m)
	} else {
		// An inaccessible message: Telegram sends date 0.
		msg = apiMessage{MessageID: messageID, Chat: c.api()}
	}
	cb := struct {
		ID           string     `json:"id"`
		From         *apiUser   `json:"from"`
		Message      apiMessage `json:"message"`
		ChatInstance string     `json:"chat_instance"`
		Data         string     `json:"data,omitempty"`
	}{callbackID, u, msg, strconv.FormatInt(c.id*31+7, 10), data}
	return s.enqueueLocked("callback_query", cb), callbackID
}

// ChatMember injects a my_chat_member update: the bot's status in chat
// changed from oldStatus to newStatus ("member", "kicked", "left", …)
// because of from. In a private chat, "kicked" means the user blocked the
// bot and "member" that they unblocked it.
func (s *Server) ChatMember(from User, chat Chat, oldStatus, newStatus string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, u := s.actorLocked(from, chat)
	bot := s.botAsUser()
	type member struct {
		User      apiUser `json:"user"`
		Status    string  `json:"status"`
		UntilDate *int64  `json:"until_date,omitempty"`
	}
	mk := func(status string) member {
		m := member{User: bot, Status: status}
		if status == "kicked" {
			zero := int64(0)
			m.UntilDate = &zero
		}
		return m
	}
	upd := struct {
		Chat          apiChat  `json:"chat"`
		From          *apiUser `json:"from"`
		Date          int64    `json:"date"`
		OldChatMember member   `json:"old_chat_member"`
		NewChatMember member   `json:"new_chat_member"`
	}{c.api(), u, s.now().Unix(), mk(oldStatus), mk(newStatus)}
	return s.enqueueLocked("my_chat_member", upd)
}

// Pending returns the number of updates not yet confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// confirmLocked applies a getUpdates offset: a positive one confirms every
// earlier update, a negative one keeps only the last -offset updates.
func (s *Server) confirmLocked(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.queue) && int64(s.queue[i].id) < offset {
			i++
		}
		s.queue = s.queue[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.queue) {
			s.queue = s.queue[len(s.queue)-keep:]
		}
	}
}

// availableLocked drops queued updates that allowed_updates excludes (they
// would never have been made) and returns up to limit of the rest.
func (s *Server) availableLocked(limit int) []json.RawMessage {
	kept := s.queue[:0]
	for _, u := range s.queue {
		if s.allowedLocked(u.kind) {
			kept = append(kept, u)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	out := make([]json.RawMessage, 0, min(limit, len(kept)))
	for _, u := range kept[:min(limit, len(kept))] {
		out = append(out, u.json)
	}
	return out
}

// allowedUpdates reads allowed_updates; nil means the parameter was absent.
func allowedUpdates(p params) ([]string, answer) {
	if !p.has("allowed_updates") {
		return nil, answer{}
	}
	raw, err := p.json("allowed_updates")
	list := []string{}
	if err != nil || (raw != nil && json.Unmarshal(raw, &list) != nil) {
		return nil, badRequest("can't parse allowed updates JSON array")
	}
	return list, answer{}
}

// webhookActive is the answer to getUpdates while a webhook is set.
func webhookActive() answer {
	return answer{status: http.StatusConflict,
		description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
}

// terminated is the answer to a poll cut short by a newer one.
func terminated() answer {
	return answer{status: http.StatusConflict,
		description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
}

// getUpdates answers a poll; with a timeout it waits until an update
// arrives, the timeout passes, or a newer poll takes over (409).
func (s *Server) getUpdates(r *http.Request, p params) answer {
	offset, _, err := p.int64("offset")
	if err != nil {
		return badRequest("invalid offset")
	}
	limit, found, err := p.int64("limit")
	if err != nil {
		return badRequest("invalid limit")
	}
	if !found || limit <= 0 || limit > maxUpdatesPerPoll {
		limit = maxUpdatesPerPoll
	}
	timeout, _, err := p.int64("timeout")
	if err != nil {
		return badRequest("invalid timeout")
	}
	allowed, a := allowedUpdates(p)
	if a.status != 0 {
		return a
	}
	deadline := time.Now().Add(time.Duration(max(timeout, 0)) * time.Second)

	s.mu.Lock()
	if s.webhook.url != "" {
		s.mu.Unlock()
		return webhookActive()
	}
	if allowed != nil {
		s.allowed = allowed
	}
	s.confirmLocked(offset)
	close(s.pollKick) // a waiting older poll ends with 409
	kick := make(chan struct{})
	s.pollKick = kick
	for {
		ups := s.availableLocked(int(limit))
		wait := time.Until(deadline)
		if len(ups) > 0 || wait <= 0 {
			s.mu.Unlock()
			return ok(ups)
		}
		changed := s.changed
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-changed:
		case <-t.C:
		case <-kick:
			t.Stop()
			return terminated()
		case <-r.Context().Done():
			t.Stop()
			return ok([]json.RawMessage{})
		case <-s.closed:
			t.Stop()
			return ok([]json.RawMessage{})
		}
		t.Stop()
		s.mu.Lock()
		if s.webhook.url != "" {
			s.mu.Unlock()
			return webhookActive()
		}
	}
}

func (s *Server) setWebhook(p params) answer {
	raw := strings.TrimSpace(p.str("url"))
	if raw == "" {
		return s.removeWebhook(p)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := p.str("secret_token")
	if len(secret) > maxSecretToken || strings.ContainsFunc(secret, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return badRequest("secret token contains unallowed characters")
	}
	allowed, a := allowedUpdates(p)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was set"
	if s.webhook.url == raw {
		desc = "Webhook is already set"
	}
	s.webhook.url, s.webhook.secret = raw, secret
	if allowed != nil {
		s.allowed = allowed
	}
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	s.notifyLocked()
	return answer{status: http.StatusOK, result: true, description: desc}
}

func (s *Server) deleteWebhook(p params) answer { return s.removeWebhook(p) }

func (s *Server) removeWebhook(p params) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was deleted"
	if s.webhook.url == "" {
		desc = "Webhook is already deleted"
	}
	s.webhook = webhook{}
	if p.bool("drop_pending_updates") {
		s.queue = nil
	}
	s.notifyLocked()
	return answer{status: http.StatusOK, result: true, description: desc}
}

func (s *Server) getWebhookInfo() answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := struct {
		URL                  string   `json:"url"`
		HasCustomCertificate bool     `json:"has_custom_certificate"`
		PendingUpdateCount   int      `json:"pending_update_count"`
		LastErrorDate        int64    `json:"last_error_date,omitempty"`
		LastErrorMessage     string   `json:"last_error_message,omitempty"`
		MaxConnections       int      `json:"max_connections,omitempty"`
		AllowedUpdates       []string `json:"allowed_updates,omitempty"`
	}{URL: s.webhook.url, PendingUpdateCount: len(s.queue), LastErrorDate: s.webhook.lastErrDate,
		LastErrorMessage: s.webhook.lastErrMsg, AllowedUpdates: s.allowed}
	if s.webhook.url != "" {
		info.MaxConnections = 40
	}
	return ok(info)
}

// deliverWebhooks POSTs queued updates, oldest first, to the webhook while
// one is set; an update leaves the queue when the webhook answers 2xx.
// Failures are retried with a growing pause.
func (s *Server) deliverWebhooks(ctx context.Context) {
	defer s.workers.Done()
	pause := webhookRetryMin
	for {
		s.mu.Lock()
		hookURL, secret := s.webhook.url, s.webhook.secret
		var next *update
		if hookURL != "" {
			if ups := s.availableLocked(1); len(ups) > 0 {
				u := s.queue[0]
				next = &u
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if next == nil {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		reply, err := s.postUpdate(ctx, hookURL, secret, next.json)
		s.mu.Lock()
		if err == nil {
			if len(s.queue) > 0 && s.queue[0].id == next.id {
				s.queue = s.queue[1:]
			}
			s.stats.WebhookPosts++
			s.notifyLocked()
		} else {
			s.stats.WebhookErrors++
			s.webhook.lastErrDate = s.now().Unix()
			s.webhook.lastErrMsg = err.Error()
		}
		s.mu.Unlock()
		if err == nil {
			pause = webhookRetryMin
			if reply != nil {
				s.runWebhookReply(reply)
			}
			continue
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		pause = min(2*pause, webhookRetryMax)
	}
}

// postUpdate sends one update to the webhook and returns the JSON of its
// answer when the answer is a method call.
func (s *Server) postUpdate(ctx context.Context, hookURL, secret string, body []byte) (map[string]json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("telegramtest: unable to make the webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.hooks.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegramtest: webhook unreachable: %w", err)
	}
	defer resp.Body.Close()
	answerBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("telegramtest: wrong response from the webhook: %s", resp.Status)
	}
	if readErr != nil {
		return nil, nil // delivered; a broken answer body carries no method
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		return nil, nil
	}
	var reply map[string]json.RawMessage
	if json.Unmarshal(answerBody, &reply) != nil || reply["method"] == nil {
		return nil, nil
	}
	return reply, nil
}

// runWebhookReply executes a method call made in a webhook's answer, as
// Telegram allows; its result is not reported anywhere.
func (s *Server) runWebhookReply(reply map[string]json.RawMessage) {
	var name string
	if json.Unmarshal(reply["method"], &name) != nil {
		return
	}
	method, known := canonicalMethod(name)
	if !known || method == "getUpdates" {
		return
	}
	p := params{}
	for k, v := range reply {
		if k != "method" {
			p[k] = param{text: string(v), isJSON: true}
		}
	}
	s.mu.Lock()
	s.stats.Requests[method]++
	s.mu.Unlock()
	s.count(s.call(method, p))
}
