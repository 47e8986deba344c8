package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"newsbot/internal/telegram"
)

// replyOnly is a ReplyClient without AnswerInlineQuery.
type replyOnly struct{ ReplyClient }

// inlineRecorder is a ReplyClient that records inline answers.
type inlineRecorder struct {
	ReplyClient
	answered []string
}

func (r *inlineRecorder) AnswerInlineQuery(_ context.Context, queryID string, _ []telegram.InlineArticle, _ int, _ bool) error {
	r.answered = append(r.answered, queryID)
	return nil
}

func TestRepliesAnswerInlineQuery(t *testing.T) {
	st := newStore(realRedis(t))
	e, err := New(testConfig(t), st, queueOf(st), &fakeSender{}, textRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := &inlineRecorder{}
	if err := e.Replies(rec).AnswerInlineQuery(ctx, "q1", nil, 60, true); err != nil {
		t.Fatal(err)
	}
	if len(rec.answered) != 1 || rec.answered[0] != "q1" {
		t.Errorf("answered = %v, want [q1]", rec.answered)
	}
	if err := e.Replies(replyOnly{}).AnswerInlineQuery(ctx, "q2", nil, 60, true); !errors.Is(err, errNoInline) {
		t.Errorf("a client without inline mode gave %v, want errNoInline", err)
	}
}
