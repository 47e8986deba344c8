package delivery

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/telegram"
)

// Editor edits a message the bot sent; *telegram.Client implements it.
type Editor interface {
	EditText(ctx context.Context, chatID int64, messageID int, text, parseMode string, markup *telegram.InlineKeyboard) error
}

// messageLog keeps which chat holds which message of a story, for edits;
// *queue.Queue implements it.
type messageLog interface {
	RecordMessage(ctx context.Context, ref string, chat int64, m queue.SentMessage) error
	Messages(ctx context.Context, ref string, since time.Time) (map[int64]queue.SentMessage, error)
	Message(ctx context.Context, ref string, chat int64) (queue.SentMessage, bool, error)
	UpdateMessage(ctx context.Context, ref string, chat int64, m queue.SentMessage) error
}

var _ messageLog = (*queue.Queue)(nil)

// editMargin keeps edits clear of the end of Telegram's 48-hour window.
const editMargin = 10 * time.Minute

// editPrefix starts the queue reference of a correction:
// "ed:<edition>:<id>:<version>".
const editPrefix = "ed:"

// Promote queues an announced article that became important for every
// breaking subscriber of its edition who has not received it (nor has it
// pending), as a breaking alert with sound. Idempotent: the sent-ledger
// and the pending items stop a second copy, and a finished promotion is
// remembered. It returns the number of alerts queued.
func (e *Engine) Promote(ctx context.Context, a *news.Article) (int, error) {
	if a == nil || !a.Edition.Valid() || a.ID <= 0 {
		return 0, fmt.Errorf("delivery: promote: article without edition or ID: %w", news.ErrInvalid)
	}
	it := item{edition: a.Edition, articleID: a.ID}
	ref := it.String()
	marker := "promo:" + ref
	if n, done, err := e.q.FanOut(ctx, marker); err != nil {
		return 0, fmt.Errorf("delivery: promote %s: %w", ref, err)
	} else if done {
		return n, nil
	}
	e.cache.put(it, a, e.now())
	ids, err := e.st.BreakingSubscribers(ctx, a.Edition)
	if err != nil {
		return 0, fmt.Errorf("delivery: promote %s: %w", ref, err)
	}
	recipients := make(map[int64]int, len(ids))
	for _, id := range ids {
		recipients[id] = prioBreaking
	}
	added, err := e.q.Enqueue(ctx, e.now(), ref, recipients)
	if added > 0 {
		e.wake()
	}
	if err != nil {
		return 0, fmt.Errorf("delivery: promote %s: %w", ref, err)
	}
	if err := e.q.SetFanOut(ctx, marker, added); err != nil {
		return 0, fmt.Errorf("delivery: promote %s: %w", ref, err)
	}
	e.log.Info("Promoted article queued for breaking subscribers.", slog.String("edition", string(a.Edition)),
		slog.Int64("article_id", a.ID), slog.Int("queued", added))
	return added, nil
}

// Correct queues an edit of every message sent for the article within
// Telegram's edit window, at normal priority, through the same queue and
// rate budget as sends. The edit renders the stored article again; a chat
// whose message would not change costs no request. Each version of the
// article is edited once per chat. It returns the number of edits queued.
func (e *Engine) Correct(ctx context.Context, a *news.Article) (int, error) {
	if a == nil || !a.Edition.Valid() || a.ID <= 0 {
		return 0, fmt.Errorf("delivery: correct: article without edition or ID: %w", news.ErrInvalid)
	}
	ml, ok := e.q.(messageLog)
	if !ok {
		return 0, nil
	}
	it := item{edition: a.Edition, articleID: a.ID}
	e.cache.put(it, a, e.now())
	msgs, err := ml.Messages(ctx, it.String(), e.now().Add(-queue.EditWindow+editMargin))
	if err != nil {
		return 0, fmt.Errorf("delivery: correct %s: %w", it, err)
	}
	recipients := make(map[int64]int, len(msgs))
	for chat := range msgs {
		recipients[chat] = prioNormal
	}
	ref := editPrefix + it.String() + ":" + strconv.FormatUint(version(a), 16)
	added, err := e.q.Enqueue(ctx, e.now(), ref, recipients)
	if added > 0 {
		e.wake()
	}
	if err != nil {
		return 0, fmt.Errorf("delivery: correct %s: %w", it, err)
	}
	return added, nil
}

// version is a digest of what a correction may change.
func version(a *news.Article) uint64 {
	return digest(a.Headline + "\x00" + a.Lead + "\x00" + a.Summary)
}

func digest(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// messageDigest is the digest of what a chat sees of a message.
func messageDigest(m telegram.Message) uint64 {
	return digest(m.ParseMode + "\x00" + m.Text)
}

// parseEdit reads an edit reference "ed:<edition>:<id>:<version>".
func parseEdit(s string) (item, bool) {
	rest, ok := strings.CutPrefix(s, editPrefix)
	if !ok {
		return item{}, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return item{}, false
	}
	it, ok := parseItem(rest[:i])
	if !ok || it.broadcast != 0 {
		return item{}, false
	}
	it.edit = true
	return it, true
}

// record remembers the message a single-article send delivered, for
// corrections.
func (e *Engine) recordMessage(ctx context.Context, j *job, msgID int, m telegram.Message) {
	ml, ok := e.q.(messageLog)
	if !ok || msgID <= 0 || len(j.batch) != 1 || j.batch[0].item.broadcast != 0 || j.batch[0].item.edit {
		return
	}
	p := j.batch[0]
	rec := queue.SentMessage{ID: msgID, Digest: messageDigest(m), At: e.now(), Breaking: p.prio == prioBreaking}
	if err := ml.RecordMessage(ctx, p.item.String(), j.c.chat, rec); err != nil {
		j.log.Warn("Unable to record a sent message for corrections.", slog.String("item", p.ref), slog.Any("err", err))
	}
}

// edit carries out one queued correction for the claimed chat: the
// message is rendered again from the stored article and edited when it
// changed. A message too old, gone, or "not modified" is dropped without
// a retry; a flood or a transient failure is retried like a send.
func (e *Engine) edit(ctx context.Context, j *job, p pending) {
	j.batch = []pending{p}
	ml, ok := e.q.(messageLog)
	ed, _ := e.send.(Editor)
	if !ok || ed == nil {
		j.o.drop = append(j.o.drop, p.ref)
		return
	}
	ref := item{edition: p.item.edition, articleID: p.item.articleID}
	rec, found, err := ml.Message(ctx, ref.String(), j.c.chat)
	if err != nil {
		j.log.Warn("Unable to read a sent message; retrying later.", slog.Any("err", err))
		j.after(e.now(), e.cfg.Backoff)
		return
	}
	if !found || e.now().Sub(rec.At) > queue.EditWindow-editMargin {
		j.o.sent = append(j.o.sent, p.ref) // nothing to edit any more
		return
	}
	a, err := e.st.Article(ctx, ref.edition, ref.articleID) // the store, not the cache: another process corrected it
	if errors.Is(err, news.ErrNotFound) {
		j.o.drop = append(j.o.drop, p.ref)
		return
	}
	if err != nil {
		j.log.Warn("Unable to read an article to correct; retrying later.", slog.Any("err", err))
		j.after(e.now(), e.cfg.Backoff)
		return
	}
	m := e.render([]*news.Article{a}, ref.edition, []pending{{prio: prioOf(rec.Breaking)}}, j.chat)
	d := messageDigest(m)
	if d == rec.Digest {
		j.o.sent = append(j.o.sent, p.ref) // the reader sees no change: no request
		return
	}
	e.sendEdit(ctx, j, ed, ml, p, rec, m, d)
}

func prioOf(breaking bool) int {
	if breaking {
		return prioBreaking
	}
	return prioNormal
}

// sendEdit takes a global slot and edits the message.
func (e *Engine) sendEdit(ctx context.Context, j *job, ed Editor, ml messageLog, p pending, rec queue.SentMessage, m telegram.Message, d uint64) {
	// Edits count against the same strict sliding second as sends.
	slot, ge, err := e.admit(j.parent, e.cfg.Lease/4)
	if err != nil {
		var pe queue.PausedError
		if errors.As(err, &pe) {
			j.after(e.now(), pe.For)
		} else if j.parent.Err() == nil {
			j.after(e.now(), e.cfg.Backoff)
		}
		return
	}
	dest, _ := j.chat.Destination() // a topic's message is in its group
	start := e.now()
	// https://core.telegram.org/bots/api#editmessagetext
	err = ed.EditText(ctx, dest, rec.ID, m.Text, m.ParseMode, m.ReplyMarkup)
	pause := e.answered(ctx, ge, start, !slot.Paid, err)
	j.after(start, e.interval(j.c.chat))
	switch k := telegram.KindOf(err); {
	case err == nil:
		j.o.sent = append(j.o.sent, p.ref)
		j.o.messages++
		rec.Digest = d
		if uerr := ml.UpdateMessage(ctx, item{edition: p.item.edition, articleID: p.item.articleID}.String(), j.c.chat, rec); uerr != nil {
			j.log.Warn("Unable to record an edited message.", slog.Any("err", uerr))
		}
	case k == telegram.NotModified, k == telegram.BadRequest, k == telegram.ChatNotFound, k == telegram.Blocked:
		// Too old, deleted by the reader, unchanged, or the chat is gone:
		// nothing to retry.
		j.log.Info("A message could not be edited; skipping the correction.", slog.String("kind", k.String()), slog.Any("err", err))
		j.o.drop = append(j.o.drop, p.ref)
	case k == telegram.Flood:
		j.after(e.now(), pause) // shared by answered
	default:
		e.retry(j, k, err, j.log)
	}
}
