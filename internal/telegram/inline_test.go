package telegram_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"newsbot/internal/telegram"
	"newsbot/internal/telegram/telegramtest"
)

func TestAnswerInlineQuery(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, qid := s.InlineQuery(telegramtest.User{ID: 7, FirstName: "Ann", LanguageCode: "uk"}, "uk: бюджет", "sender")
	updates, err := c.GetUpdates(ctx, 0, 0, []string{"inline_query"})
	if err != nil {
		t.Fatal(err)
	}
	if len(updates) != 1 || updates[0].InlineQuery == nil {
		t.Fatalf("updates = %+v, want one inline query", updates)
	}
	q := updates[0].InlineQuery
	if q.ID != qid || q.Query != "uk: бюджет" || q.From == nil || q.From.ID != 7 || q.ChatType != "sender" {
		t.Errorf("inline query = %+v", q)
	}
	results := []telegram.InlineArticle{{ID: "a1", Title: "Бюджет", Description: "Уряд ухвалив", URL: "https://example.com/1",
		Text: "<b>Бюджет</b> https://example.com/1", ParseMode: "HTML", DisablePreview: true}}
	if err := c.AnswerInlineQuery(ctx, qid, results, 30, true); err != nil {
		t.Fatal(err)
	}
	got, err := s.WaitInlineAnswer(ctx, qid)
	if err != nil {
		t.Fatal(err)
	}
	want := telegramtest.InlineAnswer{QueryID: qid, CacheTime: 30, Personal: true, Results: []telegramtest.InlineResult{{
		ID: "a1", Title: "Бюджет", Description: "Уряд ухвалив", URL: "https://example.com/1",
		Text: "<b>Бюджет</b> https://example.com/1", ParseMode: "HTML", Plain: "Бюджет https://example.com/1"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	// A query is answered once.
	if err := c.AnswerInlineQuery(ctx, qid, results, 30, true); err == nil {
		t.Error("a second answer was accepted")
	}
	// An empty answer is an answer.
	_, qid2 := s.InlineQuery(telegramtest.User{ID: 7}, "", "")
	if err := c.AnswerInlineQuery(ctx, qid2, nil, 0, false); err != nil {
		t.Errorf("empty answer: %v", err)
	}
}

func TestAnswerInlineQueryRejectsBadResults(t *testing.T) {
	s, c := setup(t, telegramtest.Options{})
	ctx := context.Background()
	ok := telegram.InlineArticle{ID: "a", Title: "T", Text: "text"}
	for name, rs := range map[string][]telegram.InlineArticle{
		"duplicate IDs": {ok, ok},
		"no title":      {{ID: "b", Text: "text"}},
		"bad HTML":      {{ID: "c", Title: "T", Text: "<b>open", ParseMode: "HTML"}},
		"empty text":    {{ID: "d", Title: "T"}},
		"long ID":       {{ID: string(make([]byte, 65)), Title: "T", Text: "x"}},
	} {
		_, qid := s.InlineQuery(telegramtest.User{ID: 8}, "q", "")
		if err := c.AnswerInlineQuery(ctx, qid, rs, 0, false); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(s.InlineAnswers()); n != 0 {
		t.Errorf("%d answers recorded, want 0", n)
	}
}
