package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

const (
	// inlineResults is the most stories an inline answer offers.
	inlineResults = 20
	// inlineCacheTime is how long Telegram may cache an inline answer, in
	// seconds: long enough to spare the store while a reader types, short
	// enough for news.
	inlineCacheTime = 60
	// inlineTimeout bounds the handling of one inline query (Telegram
	// drops answers after about 10 s).
	inlineTimeout = 8 * time.Second
	// maxInlineAtOnce bounds the inline queries handled at once; beyond it
	// a query is dropped (the reader types on and sends another).
	maxInlineAtOnce = 16
	// maxDescriptionRunes bounds the summary line shown under a result.
	maxDescriptionRunes = 200
)

// inlineRunner runs inline queries off the update loop, at most
// maxInlineAtOnce at a time.
type inlineRunner struct {
	once sync.Once
	sem  chan struct{}
	wg   sync.WaitGroup
}

// InlineAPI is what inline mode needs from the Bot API besides API;
// *telegram.Client implements it. A bot whose API lacks it ignores inline
// queries.
type InlineAPI interface {
	AnswerInlineQuery(ctx context.Context, queryID string, results []telegram.InlineArticle, cacheTime int, personal bool) error
}

// onInlineQuery starts answering q in its own goroutine and returns at
// once: a slow store never holds up the other updates of the batch.
func (b *Bot) onInlineQuery(ctx context.Context, q *telegram.InlineQuery) error {
	api, ok := b.api.(InlineAPI)
	if !ok || q.From == nil {
		return nil
	}
	r := &b.inline
	r.once.Do(func() { r.sem = make(chan struct{}, maxInlineAtOnce) })
	select {
	case r.sem <- struct{}{}:
	default:
		b.log.Warn("Too many inline queries at once; one is dropped.", "user_id", q.From.ID)
		return nil
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-r.sem }()
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inlineTimeout)
		defer cancel()
		if err := b.answerInline(ictx, api, q); err != nil {
			b.log.Error("Unable to answer an inline query.", "user_id", q.From.ID, "err", err)
		}
	}()
	return nil
}

// WaitInline waits for the inline queries being answered (at shutdown and
// in tests).
func (b *Bot) WaitInline() { b.inline.wg.Wait() }

// answerInline answers q with the stories matching it, or the latest ones
// for an empty query, from the edition the query's prefix names or else
// the reader's: their stored language, or their Telegram language.
func (b *Bot) answerInline(ctx context.Context, api InlineAPI, q *telegram.InlineQuery) error {
	ed, query, prefixed := searchEdition(q.Query)
	if !prefixed {
		ed = b.readerEdition(ctx, q.From)
	}
	var (
		as  []*news.Article
		err error
	)
	if query == "" {
		as, err = b.store.Latest(ctx, ed, inlineResults, "")
	} else if len([]rune(query)) <= maxSearchRunes {
		as, err = b.store.Search(ctx, ed, query, inlineResults)
	}
	if err != nil {
		return err
	}
	results := make([]telegram.InlineArticle, 0, len(as))
	for _, a := range as {
		results = append(results, b.inlineArticle(a, ed))
	}
	// Without a prefix the answer depends on who asks: cached per user.
	return api.AnswerInlineQuery(ctx, q.ID, results, inlineCacheTime, !prefixed)
}

// readerEdition is the language stored for the user's private chat with
// the bot, or their Telegram language.
func (b *Bot) readerEdition(ctx context.Context, u *telegram.User) news.Lang {
	c, err := b.store.Chat(ctx, u.ID)
	if err == nil && c.Lang.Valid() {
		return c.Lang
	}
	if err != nil && !errors.Is(err, news.ErrNotFound) {
		b.log.Warn("Unable to read a reader's language for an inline query.", "user_id", u.ID, "err", err)
	}
	return langOf(u.LanguageCode)
}

// inlineArticle is the result offering a: its headline, summary (or lead)
// and link; choosing it sends the article as the bot renders it.
func (b *Bot) inlineArticle(a *news.Article, ed news.Lang) telegram.InlineArticle {
	m := b.render.Article(a, ed, false)
	desc := strings.TrimSpace(a.Summary)
	if desc == "" {
		desc = strings.TrimSpace(a.Lead)
	}
	title := truncateWords(strings.TrimSpace(a.Headline), 256)
	if title == "" {
		title = a.URL
	}
	return telegram.InlineArticle{
		ID:          string(ed) + "-" + strconv.FormatInt(a.ID, 10),
		Title:       title,
		Description: truncateWords(desc, maxDescriptionRunes),
		URL:         a.URL,
		Text:        m.Text,
		ParseMode:   m.ParseMode,
	}
}
