package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Inline mode limits (https://core.telegram.org/bots/api#answerinlinequery).
const (
	maxInlineResults  = 50
	maxInlineResultID = 64 // bytes
)

// inlineState holds the inline queries sent to the bot and its answers.
type inlineState struct {
	next    int64
	pending map[string]bool // query ID → not answered yet
	answers []InlineAnswer
}

// InlineAnswer is one answerInlineQuery call the server accepted.
type InlineAnswer struct {
	QueryID   string
	Results   []InlineResult
	CacheTime int
	Personal  bool
}

// InlineResult is one InlineQueryResultArticle of an answer: what the
// reader sees in the list (Title, Description, URL) and the message sent
// when they pick it (Text in ParseMode; Plain is Text without markup).
type InlineResult struct {
	ID, Title, Description, URL string
	Text, ParseMode, Plain      string
}

// InlineQuery injects an inline query: from typed "@bot query" in a chat
// of chatType ("sender", "private", "group", …; "" for unknown). It returns
// the update_id and the query ID the bot must answer.
func (s *Server) InlineQuery(from User, query, chatType string) (updateID int, queryID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u := s.actorLocked(from, Chat{})
	if s.inline.pending == nil {
		s.inline.pending = map[string]bool{}
	}
	s.inline.next++
	queryID = "iq" + strconv.FormatInt(s.inline.next, 10)
	s.inline.pending[queryID] = true
	q := struct {
		ID       string   `json:"id"`
		From     *apiUser `json:"from"`
		Query    string   `json:"query"`
		Offset   string   `json:"offset"`
		ChatType string   `json:"chat_type,omitempty"`
	}{queryID, u, query, "", chatType}
	return s.enqueueLocked("inline_query", q), queryID
}

// InlineAnswers returns every accepted answerInlineQuery call, in order.
func (s *Server) InlineAnswers() []InlineAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inline.answers)
}

// WaitInlineAnswer blocks until the query queryID is answered and returns
// the answer, or returns an error when ctx ends first.
func (s *Server) WaitInlineAnswer(ctx context.Context, queryID string) (InlineAnswer, error) {
	for {
		s.mu.Lock()
		i := slices.IndexFunc(s.inline.answers, func(a InlineAnswer) bool { return a.QueryID == queryID })
		var a InlineAnswer
		if i >= 0 {
			a = s.inline.answers[i]
		}
		changed := s.changed
		s.mu.Unlock()
		if i >= 0 {
			return a, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return InlineAnswer{}, fmt.Errorf("telegramtest: inline query %s not answered: %w", queryID, ctx.Err())
		}
	}
}

// wireResult is an InlineQueryResult as the bot sends it; only articles
// are accepted.
type wireResult struct {
	Type                string `json:"type"`
	ID                  string `json:"id"`
	Title               string `json:"title"`
	Description         string `json:"description"`
	URL                 string `json:"url"`
	InputMessageContent *struct {
		MessageText        string          `json:"message_text"`
		ParseMode          string          `json:"parse_mode"`
		LinkPreviewOptions json.RawMessage `json:"link_preview_options"`
	} `json:"input_message_content"`
}

// answerInlineQuery checks an answer as Telegram does: a pending query ID,
// at most 50 results with distinct IDs of 1–64 bytes, each with a title
// and a message text that parses, and a cache_time that is not negative.
func (s *Server) answerInlineQuery(p params) answer {
	id := p.str("inline_query_id")
	raw, err := p.json("results")
	if err != nil || raw == nil {
		return badRequest("can't parse inline query results JSON object")
	}
	var wire []wireResult
	if err := json.Unmarshal(raw, &wire); err != nil {
		return badRequest("can't parse inline query results JSON object")
	}
	if len(wire) > maxInlineResults {
		return badRequest("RESULTS_TOO_MUCH")
	}
	cache, _, err := p.int64("cache_time")
	if err != nil || cache < 0 {
		return badRequest("cache_time is invalid")
	}
	results, a := inlineResults(wire)
	if a.status != 0 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || !s.inline.pending[id] {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	delete(s.inline.pending, id)
	s.inline.answers = append(s.inline.answers, InlineAnswer{QueryID: id, Results: results, CacheTime: int(cache),
		Personal: p.bool("is_personal")})
	s.notifyLocked()
	return ok(true)
}

func inlineResults(wire []wireResult) ([]InlineResult, answer) {
	out := make([]InlineResult, 0, len(wire))
	seen := map[string]bool{}
	for i, w := range wire {
		switch {
		case w.Type != "article":
			return nil, badRequest("RESULT_TYPE_INVALID")
		case w.ID == "" || len(w.ID) > maxInlineResultID || seen[w.ID]:
			return nil, badRequest("RESULT_ID_INVALID")
		case strings.TrimSpace(w.Title) == "":
			return nil, badRequest("RESULT_TITLE_EMPTY")
		case w.InputMessageContent == nil:
			return nil, badRequest("can't parse inline query result %d: input_message_content is missing", i)
		case w.URL != "" && !validButtonURL(w.URL):
			return nil, badRequest("RESULT_URL_INVALID")
		}
		seen[w.ID] = true
		c := w.InputMessageContent
		plain, _, a := parseText(c.MessageText, c.ParseMode)
		if a.status != 0 {
			return nil, a
		}
		if strings.TrimSpace(plain) == "" {
			return nil, badRequest("MESSAGE_EMPTY")
		}
		if utf16Len(plain) > maxTextUnits {
			return nil, badRequest("MESSAGE_TOO_LONG")
		}
		out = append(out, InlineResult{ID: w.ID, Title: w.Title, Description: w.Description, URL: w.URL,
			Text: c.MessageText, ParseMode: c.ParseMode, Plain: plain})
	}
	return out, answer{}
}
