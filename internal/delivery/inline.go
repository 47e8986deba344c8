package delivery

import (
	"context"
	"errors"
	"fmt"

	"newsbot/internal/telegram"
)

// inlineClient is the Bot API call of inline mode; *telegram.Client
// implements it.
type inlineClient interface {
	AnswerInlineQuery(ctx context.Context, queryID string, results []telegram.InlineArticle, cacheTime int, personal bool) error
}

// errNoInline is returned by Replies.AnswerInlineQuery when the wrapped
// client cannot answer inline queries.
var errNoInline = errors.New("delivery: the Bot API client does not answer inline queries")

// AnswerInlineQuery answers an inline query through the wrapped client. An
// answer is not a message: like a callback answer it takes no slot of the
// budget, but waits out a pause in force. It fails when the client has no
// AnswerInlineQuery.
func (r *Replies) AnswerInlineQuery(ctx context.Context, queryID string, results []telegram.InlineArticle, cacheTime int, personal bool) error {
	ic, ok := r.api.(inlineClient)
	if !ok {
		return errNoInline
	}
	if pw, ok := r.e.lim.(pauseWaiter); ok {
		if err := pw.WaitPause(ctx); err != nil {
			return fmt.Errorf("delivery: unable to answer an inline query: %w", err)
		}
	}
	return ic.AnswerInlineQuery(ctx, queryID, results, cacheTime, personal)
}
