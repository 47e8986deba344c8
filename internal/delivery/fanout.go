package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/text"
)

// Announce fans article a out to its readers in its edition: the
// subscribers of its tags, the breaking subscribers when it is important and
// the subscribers of keywords found in its text. Chat IDs are merged in Go
// (never SUNION in Redis); a breaking subscriber of an important article
// gets it as a breaking alert (first in the queue, with sound), everyone
// else as normal news. The article is saved in the store when it is not
// there yet, since senders read it from there.
//
// Announce is idempotent per (edition, ID): a second call after a complete
// fan-out returns the first call's count and queues nothing; a call after
// a fan-out interrupted half way (a crash, a Redis error) completes it
// without queueing anything twice. It returns the number of recipients,
// and an error wrapping news.ErrInvalid for an article without a valid
// edition or ID.
func (e *Engine) Announce(ctx context.Context, a *news.Article) (int, error) {
	if a == nil || !a.Edition.Valid() || a.ID <= 0 {
		return 0, fmt.Errorf("delivery: announce: article without edition or ID: %w", news.ErrInvalid)
	}
	ref := item{edition: a.Edition, articleID: a.ID}.String()
	if n, done, err := e.q.FanOut(ctx, ref); err != nil {
		return 0, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
	} else if done {
		return n, nil
	}
	if _, err := e.st.Article(ctx, a.Edition, a.ID); errors.Is(err, news.ErrNotFound) {
		if err := e.st.SaveArticle(ctx, a); err != nil {
			return 0, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
		}
	} else if err != nil {
		return 0, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
	}
	recipients, err := e.recipients(ctx, a)
	if err != nil {
		return 0, err
	}
	added, err := e.q.Enqueue(ctx, e.now(), ref, recipients)
	if added > 0 {
		e.wake()
	}
	if err != nil {
		return 0, err
	}
	if err := e.q.SetFanOut(ctx, ref, len(recipients)); err != nil {
		return 0, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
	}
	e.log.Info("Article queued for delivery.", slog.String("edition", string(a.Edition)),
		slog.Int64("article_id", a.ID), slog.Int("recipients", len(recipients)),
		slog.Int("queued", added), slog.Bool("important", a.Important))
	return len(recipients), nil
}

// recipients returns chat → priority for an article.
func (e *Engine) recipients(ctx context.Context, a *news.Article) (map[int64]int, error) {
	out := make(map[int64]int)
	add := func(ids []int64, prio int) {
		for _, id := range ids {
			if id == 0 {
				continue
			}
			if cur, ok := out[id]; !ok || prio < cur {
				out[id] = prio
			}
		}
	}
	if a.Important {
		ids, err := e.st.BreakingSubscribers(ctx, a.Edition)
		if err != nil {
			return nil, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
		}
		add(ids, prioBreaking)
	}
	seen := make(map[string]bool, len(a.Tags))
	for _, t := range a.Tags {
		if t.Slug == "" || seen[t.Slug] {
			continue
		}
		seen[t.Slug] = true
		ids, err := e.st.Subscribers(ctx, a.Edition, t.Slug)
		if errors.Is(err, news.ErrInvalid) {
			e.log.Warn("Skipping a tag the store does not accept.", slog.String("edition", string(a.Edition)),
				slog.Int64("article_id", a.ID), slog.String("slug", t.Slug), slog.Any("err", err))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
		}
		add(ids, prioNormal)
	}
	kws, err := e.st.KeywordSubscribers(ctx, a.Edition)
	if err != nil {
		return nil, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
	}
	if len(kws) > 0 {
		words := text.SearchWords(a.Searchable()...)
		for kw, ids := range kws {
			if text.MatchKeyword(words, kw) {
				add(ids, prioNormal)
			}
		}
	}
	if err := e.applyMutes(ctx, a, out); err != nil {
		return nil, fmt.Errorf("delivery: announce %s/%d: %w", a.Edition, a.ID, err)
	}
	return out, nil
}

// Broadcast queues an announcement for every active chat, at normal
// priority; each chat gets it in its own language. It returns the number
// of recipients. Inactive chats are skipped when their turn comes, so they
// cost no send.
func (e *Engine) Broadcast(ctx context.Context, text string) (int, error) {
	if strings.TrimSpace(text) == "" {
		return 0, fmt.Errorf("delivery: broadcast: empty text: %w", news.ErrInvalid)
	}
	ids, err := e.st.ChatIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("delivery: broadcast: %w", err)
	}
	_, inactive, _, err := e.st.CountChats(ctx)
	if err != nil {
		return 0, fmt.Errorf("delivery: broadcast: %w", err)
	}
	n, err := e.q.AddBroadcast(ctx, text)
	if err != nil {
		return 0, fmt.Errorf("delivery: broadcast: %w", err)
	}
	recipients := make(map[int64]int, len(ids))
	for _, id := range ids {
		recipients[id] = prioNormal
	}
	added, err := e.q.Enqueue(ctx, e.now(), item{broadcast: n}.String(), recipients)
	if added > 0 {
		e.wake()
	}
	if err != nil {
		return 0, fmt.Errorf("delivery: broadcast %d: %w", n, err)
	}
	active := max(int64(len(ids))-inactive, 0)
	e.log.Info("Broadcast queued.", slog.Int64("broadcast_id", n), slog.Int64("recipients", active))
	return int(active), nil
}

// noticeLang is the language of a notice for a chat the store does not
// know, or that has no valid language.
const noticeLang = news.English

// Notify queues a notice for each of chatIDs, ahead of news (at breaking
// priority, with sound): render gives its text, in HTML, in the chat's
// language (noticeLang for a chat the store does not know or cannot read).
// Notices go through the queue, the rate limits and the metrics like every
// other message, one per message; unlike news they reach a chat the store
// does not know (an admin's, after the store lost data). It returns the
// number of chats queued, and an error wrapping news.ErrInvalid when render
// gives an empty text.
func (e *Engine) Notify(ctx context.Context, chatIDs []int64, render func(news.Lang) string) (int, error) {
	byLang := make(map[news.Lang]map[int64]int)
	for _, id := range chatIDs {
		if id == 0 {
			continue
		}
		lang := noticeLang
		if c, err := e.st.Chat(ctx, id); err == nil && c.Lang.Valid() {
			lang = c.Lang
		}
		if byLang[lang] == nil {
			byLang[lang] = make(map[int64]int)
		}
		byLang[lang][id] = prioBreaking
	}
	queued := 0
	for lang, recipients := range byLang {
		text := render(lang)
		if strings.TrimSpace(text) == "" {
			return queued, fmt.Errorf("delivery: notify: empty %s text: %w", lang, news.ErrInvalid)
		}
		n, err := e.q.AddBroadcast(ctx, text)
		if err != nil {
			return queued, fmt.Errorf("delivery: notify: %w", err)
		}
		added, err := e.q.Enqueue(ctx, e.now(), item{notice: n}.String(), recipients)
		if added > 0 {
			e.wake()
		}
		if err != nil {
			return queued, fmt.Errorf("delivery: notify %d: %w", n, err)
		}
		queued += len(recipients)
	}
	return queued, nil
}

// broadcastText reads the text of broadcast (or notice) n; an error wraps
// news.ErrNotFound once it has expired.
func (e *Engine) broadcastText(ctx context.Context, n int64) (string, error) {
	s, err := e.q.BroadcastText(ctx, n)
	if err != nil {
		return "", fmt.Errorf("delivery: %w", err)
	}
	return s, nil
}

const (
	articleCacheSize = 256
	articleCacheTTL  = time.Minute
)

// articleCache keeps recently sent articles: a fan-out to thousands of
// chats reads the article once, not once per chat.
type articleCache struct {
	mu   sync.Mutex
	size int
	ttl  time.Duration
	m    map[item]cachedArticle
}

type cachedArticle struct {
	a  *news.Article
	at time.Time
}

func newArticleCache(size int, ttl time.Duration) *articleCache {
	return &articleCache{size: size, ttl: ttl, m: make(map[item]cachedArticle)}
}

func (c *articleCache) get(k item, now time.Time) (*news.Article, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	if !ok || now.Sub(v.at) > c.ttl || now.Before(v.at) {
		return nil, false
	}
	return v.a, true
}

func (c *articleCache) put(k item, a *news.Article, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.size {
		// Drop expired entries, then the oldest if still full.
		var oldest item
		var oldestAt time.Time
		for key, v := range c.m {
			if now.Sub(v.at) > c.ttl {
				delete(c.m, key)
				continue
			}
			if oldestAt.IsZero() || v.at.Before(oldestAt) {
				oldest, oldestAt = key, v.at
			}
		}
		if len(c.m) >= c.size {
			delete(c.m, oldest)
		}
	}
	c.m[k] = cachedArticle{a: a, at: now}
}

// article returns an article from the cache or the store.
func (e *Engine) article(ctx context.Context, it item) (*news.Article, error) {
	now := e.now()
	if a, ok := e.cache.get(it, now); ok {
		return a, nil
	}
	a, err := e.st.Article(ctx, it.edition, it.articleID)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("delivery: article %s: %w", it, news.ErrNotFound)
	}
	e.cache.put(it, a, now)
	return a, nil
}
