package delivery

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/telegram"
)

// quietRecheck and digestRecheck bound how long a chat whose news is held
// (quiet hours, a daily digest) waits before its queue is looked at again,
// so that a change of its settings (/quiet off, /digest off, /timezone)
// reaches the news already held. The hold is the queue's, for normal items
// only: a breaking alert rings at once, paced like any message.
const (
	quietRecheck  = time.Minute
	digestRecheck = 10 * time.Minute
)

// HeldRenderer is a Renderer that also renders the digest of the stories
// held for a chat (its quiet hours ended, its daily digest is due): as are
// the stories, newest first; it returns the message and how many of them
// it holds (fewer than all when Telegram's limit forces a split: the rest
// go in the next message). A Renderer without it sends held stories like
// any others (Digest, oldest first, at most maxDigest a message).
type HeldRenderer interface {
	HeldDigest(as []*news.Article, lang news.Lang, chat news.Chat, daily bool) (telegram.Message, int)
}

// holdQuiet keeps the chat's news queued while its quiet hours or its
// daily digest hold it, and sends the digest of the stories whose hold has
// ended. It returns the items to send as usual (breaking alerts ring
// during quiet hours unless they are strict, and in digest mode), nil when
// it sent the digest or everything is held. The queue holds the chat's
// normal items until the hold ends (looking again every quietRecheck or
// digestRecheck); held items stay in the durable queue, so they go
// through the same limits and sent-ledger as everything else and survive
// a restart, and a bot that is down at the hour sends them when it is
// back.
func (e *Engine) holdQuiet(ctx context.Context, j *job, valid []pending) []pending {
	now := e.now()
	hr, digests := e.r.(HeldRenderer)
	var live, due []pending
	var until time.Time
	daily, heldBreaking := false, false
	for _, p := range valid {
		h, end, recheck := holdOf(j.chat, p, now)
		switch {
		case h == news.Held:
			if t := now.Add(recheck); t.Before(end) {
				end = t
			}
			if until.IsZero() || end.Before(until) {
				until = end
			}
			heldBreaking = heldBreaking || p.prio == prioBreaking
		case h != news.Live && digests:
			due = append(due, p)
			daily = daily || h == news.DailyDue
		default: // without a HeldRenderer, held stories go as ordinary news
			live = append(live, p)
		}
	}
	held := len(valid) - len(live) - len(due)
	if held > 0 && len(due) == 0 {
		// While a digest is due, its next part must not wait for the hold.
		j.hold(until)
		if heldBreaking { // strict quiet hours: nothing rings, nothing is due
			j.after(now, until.Sub(now))
		}
		j.log.Debug("Holding news for the quiet hours or the daily digest.", slog.Int("items", held), slog.Time("until", until))
	}
	if len(due) > 0 && (len(live) == 0 || live[0].prio != prioBreaking) {
		e.sendHeld(ctx, j, hr, due, daily)
		return nil
	}
	return live
}

// hold keeps the chat's normal items queued until t (quiet hours, a daily
// digest); breaking items do not wait for it.
func (j *job) hold(t time.Time) {
	if t.After(j.o.holdUntil) {
		j.o.holdUntil = t
	}
}

// holdOf says what becomes of p now, until when it is held and how soon
// the chat is looked at again. Broadcasts and notices are held by quiet
// hours only (notices and breaking alerts ring unless they are strict).
func holdOf(c news.Chat, p pending, now time.Time) (news.Hold, time.Time, time.Duration) {
	if !p.item.article() {
		end, quiet := c.QuietUntil(now)
		if quiet && (p.prio != prioBreaking || p.item.broadcast != 0 || c.Quiet.Strict) {
			return news.Held, end, quietRecheck
		}
		return news.Live, time.Time{}, 0
	}
	breaking := p.prio == prioBreaking
	h, end := c.HoldAt(p.enqueued, now, breaking)
	if !breaking && c.Digest != nil {
		return h, end, digestRecheck
	}
	return h, end, quietRecheck
}

// sendHeld sends the digest of the stories whose hold ended, newest first:
// all of them in one message unless Telegram's limit splits it, when the
// part sent is acknowledged and the rest stay queued for the next message
// (the per-chat pacing apart).
func (e *Engine) sendHeld(ctx context.Context, j *job, hr HeldRenderer, due []pending, daily bool) {
	var batch []pending
	var arts []*news.Article
	for _, p := range due {
		a, err := e.article(ctx, p.item)
		if errors.Is(err, news.ErrNotFound) {
			j.log.Warn("Dropping an article that is no longer stored.", slog.String("item", p.ref))
			j.o.drop = append(j.o.drop, p.ref)
			continue
		}
		if err != nil {
			j.log.Warn("Unable to read an article; retrying later.", slog.String("item", p.ref), slog.Any("err", err))
			j.after(e.now(), e.cfg.Backoff)
			return
		}
		batch = append(batch, p)
		arts = append(arts, a)
	}
	if len(batch) == 0 {
		return
	}
	idx := make([]int, len(batch))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return newer(arts[a], batch[a], arts[b], batch[b]) })
	sortedArts, sortedBatch := make([]*news.Article, len(idx)), make([]pending, len(idx))
	for i, k := range idx {
		sortedArts[i], sortedBatch[i] = arts[k], batch[k]
	}
	lang := j.chat.Lang
	if !lang.Valid() {
		lang = sortedBatch[0].item.edition
	}
	m, n := hr.HeldDigest(sortedArts, lang, j.chat, daily)
	n = min(max(n, 1), len(sortedBatch))
	j.batch = sortedBatch[:n]
	m.Silent = true
	j.log.Debug("Sending the digest of held news.", slog.Int("articles", n), slog.Int("left", len(sortedBatch)-n), slog.Bool("daily", daily))
	e.sendToChat(ctx, j, m)
}

// newer orders stories newest first: by publication time (the queueing
// time when the site gave none), then by reference.
func newer(a *news.Article, pa pending, b *news.Article, pb pending) int {
	ta, tb := a.Published, b.Published
	if ta.IsZero() {
		ta = pa.enqueued
	}
	if tb.IsZero() {
		tb = pb.enqueued
	}
	if c := tb.Compare(ta); c != 0 {
		return c
	}
	return cmp.Compare(pa.ref, pb.ref)
}
