package telegram

import (
	"context"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// InlineQuery is a query typed as "@bot words" in the message field of any
// chat (https://core.telegram.org/bots/api#inlinequery).
type InlineQuery struct {
	ID     string `json:"id"`
	From   *User  `json:"from"`
	Query  string `json:"query"`
	Offset string `json:"offset,omitempty"`
	// ChatType is the type of the chat the query was sent from
	// ("sender", "private", "group", "supergroup", "channel"); may be empty.
	ChatType string `json:"chat_type,omitempty"`
}

// InlineArticle is an InlineQueryResultArticle
// (https://core.telegram.org/bots/api#inlinequeryresultarticle): a result
// that sends Text (in ParseMode) when chosen.
type InlineArticle struct {
	ID          string
	Title       string
	Description string
	URL         string
	Text        string
	ParseMode   string
	// DisablePreview hides the link preview of the message sent.
	DisablePreview bool
}

// inlineArticle is the wire form of an InlineArticle.
type inlineArticle struct {
	Type                string         `json:"type"`
	ID                  string         `json:"id"`
	Title               string         `json:"title"`
	Description         string         `json:"description,omitempty"`
	URL                 string         `json:"url,omitempty"`
	InputMessageContent inputTextInput `json:"input_message_content"`
}

// inputTextInput is an InputTextMessageContent
// (https://core.telegram.org/bots/api#inputtextmessagecontent).
type inputTextInput struct {
	MessageText        string       `json:"message_text"`
	ParseMode          string       `json:"parse_mode,omitempty"`
	LinkPreviewOptions *linkPreview `json:"link_preview_options,omitempty"`
}

type linkPreview struct {
	IsDisabled bool `json:"is_disabled"`
}

// AnswerInlineQuery answers an inline query with results, which Telegram
// may cache for cacheTime seconds; personal makes that cache per user.
func (c *Client) AnswerInlineQuery(ctx context.Context, queryID string, results []InlineArticle, cacheTime int, personal bool) error {
	wire := make([]inlineArticle, len(results))
	for i, r := range results {
		wire[i] = inlineArticle{Type: "article", ID: r.ID, Title: r.Title, Description: r.Description, URL: r.URL,
			InputMessageContent: inputTextInput{MessageText: r.Text, ParseMode: r.ParseMode}}
		if r.DisablePreview {
			wire[i].InputMessageContent.LinkPreviewOptions = &linkPreview{IsDisabled: true}
		}
	}
	p := tgbotapi.Params{}
	p["inline_query_id"] = queryID
	if err := p.AddInterface("results", wire); err != nil {
		return &Error{Kind: Unknown, Method: "answerInlineQuery", Description: "unable to encode results", Err: err}
	}
	p["cache_time"] = strconv.Itoa(cacheTime)
	p.AddBool("is_personal", personal)
	// https://core.telegram.org/bots/api#answerinlinequery
	return c.do(ctx, "answerInlineQuery", p, nil)
}
