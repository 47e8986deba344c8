package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"newsbot/internal/news"
	"newsbot/internal/queue"
	"newsbot/internal/telegram"
)

const (
	// maxDigest caps the articles coalesced into one message.
	maxDigest = 10
	// digestBudget is what the estimate of a digest may reach (headlines,
	// links and markup) before articles are left for the next message.
	digestBudget = 3600
	// unauthorizedPause stops every sender after a 401: the token is wrong,
	// and hammering the API with it helps nobody.
	unauthorizedPause = time.Minute
	// redisRetry is the pause after a failed Redis call in the loop.
	redisRetry = 500 * time.Millisecond
)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run starts Config.Workers senders and blocks until ctx is done. Sends in
// progress then finish (each is bounded by max(Lease/3, 15s)) and their outcome is
// recorded; claimed work not yet sent is handed back to the queue. Run
// returns nil after a shutdown, and an error only when the engine is
// already running.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errRunning
	}
	defer e.running.Store(false)
	e.log.Info("Delivery started.", slog.Int("workers", e.cfg.Workers), slog.Float64("rate", e.cfg.Rate),
		slog.Bool("paid_broadcast", e.cfg.PaidBroadcast))
	var wg sync.WaitGroup
	for i := range e.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.worker(ctx, i)
		}()
	}
	wg.Wait()
	e.log.Info("Delivery stopped.")
	return nil
}

// worker is one sender: it claims the chat due first, prepares its
// message, then reserves a global slot and sends. The slot is taken last,
// right before the request, so that the spacing the limiter decides is the
// spacing Telegram sees; a claim is held meanwhile (at most Workers claims
// per process wait for slots, which bounds how far normal news already
// claimed can delay a breaking alert).
func (e *Engine) worker(ctx context.Context, n int) {
	log := e.log.With(slog.Int("worker", n))
	for ctx.Err() == nil {
		if n >= e.activeWorkers() {
			_ = sleep(ctx, idleSenderCheck)
			continue
		}
		wake := e.wakeChan()
		res, err := e.q.Claim(ctx, e.now(), e.token(), e.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("Unable to claim work.", slog.Any("err", err))
			_ = sleep(ctx, redisRetry)
			continue
		}
		switch res.State {
		case queue.Paused:
			_ = sleep(ctx, res.Wait)
		case queue.Idle:
			e.idleWait(ctx, wake, res.Wait)
		case queue.Got:
			e.process(ctx, newClaimed(res.Claim))
		}
	}
}

// idleWait sleeps until work may be due: the poll interval, the queue's
// own hint, or a wake-up from this process.
func (e *Engine) idleWait(ctx context.Context, wake <-chan struct{}, hint time.Duration) {
	d := e.cfg.PollInterval + time.Duration(rand.Int64N(int64(e.cfg.PollInterval)/5+1))
	if hint >= 0 && hint < d {
		d = max(hint, 2*time.Millisecond)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}

// job is one claimed chat being worked on.
type job struct {
	parent context.Context // the Run context: waiting for a slot stops with it
	c      claimed
	chat   news.Chat
	batch  []pending // the items of this message
	o      outcome
	log    *slog.Logger
	sentAt time.Time // start of the last request made for this job
}

// after makes the chat wait at least d from now.
func (j *job) after(now time.Time, d time.Duration) {
	if t := now.Add(d); t.After(j.o.notBefore) {
		j.o.notBefore = t
	}
}

// process sends what a claimed chat is owed and records the outcome.
func (e *Engine) process(parent context.Context, c claimed) {
	// The claim is renewed while this sender works on it, so only a dead
	// sender's claim runs out; the outcome must be recorded within a lease
	// of the last renewal.
	stopRenew := e.keepLease(c)
	defer stopRenew()
	// The send and its bookkeeping outlive a shutdown: an interrupted send
	// would be ambiguous.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), e.sendTimeout)
	defer cancel()
	j := &job{parent: parent, c: c, log: e.log.With(slog.Int64("chat_id", c.chat))}
	func() {
		defer func() {
			if r := recover(); r != nil {
				j.log.Error("Sending failed with a panic; the message goes to the dead letters.", slog.Any("panic", r))
				j.o = outcome{}
				e.deadLetter(j, "panic", fmt.Sprint(r), j.batchOrAll())
			}
		}()
		e.deliver(ctx, j)
	}()
	if !j.o.released {
		e.record(parent, c, j.o, e.now().Add(e.cfg.Lease-e.cfg.Lease/6))
	}
}

func (j *job) batchOrAll() []pending {
	if len(j.batch) > 0 {
		return j.batch
	}
	return j.c.items
}

// record writes an outcome, retrying while Redis is unreachable (a restart)
// until the lease is about to run out: a send that happened must be
// recorded, or it would be sent again.
func (e *Engine) record(parent context.Context, c claimed, o outcome, deadline time.Time) {
	wait := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
		held, err := e.finish(ctx, c, o)
		cancel()
		if err == nil {
			if !held && (len(o.sent) > 0 || o.messages > 0) {
				e.log.Warn("A claim was lost before its outcome was recorded; another sender may have sent it too.",
					slog.Int64("chat_id", c.chat))
			}
			return
		}
		if e.now().Add(wait).After(deadline) {
			e.log.Error("Unable to record a delivery outcome before the lease ran out; the chat will be retried.",
				slog.Int64("chat_id", c.chat), slog.Int("sent", len(o.sent)), slog.Any("err", err))
			return
		}
		e.log.Warn("Unable to record a delivery outcome; retrying.", slog.Int64("chat_id", c.chat), slog.Any("err", err))
		t := time.NewTimer(wait)
		<-t.C
		wait = min(wait*2, time.Second)
	}
}

// finish records o in the queue and releases the claim.
func (e *Engine) finish(ctx context.Context, c claimed, o outcome) (bool, error) {
	qo, err := o.queued()
	if err != nil {
		return false, err
	}
	return e.q.Finish(ctx, e.now(), c.raw, qo)
}

// deliver decides what to send to the claimed chat, sends it and fills j.o.
func (e *Engine) deliver(ctx context.Context, j *job) {
	var valid []pending
	for _, p := range j.c.items {
		if p.valid {
			valid = append(valid, p)
		} else {
			j.log.Warn("Dropping a queue entry that cannot be read.", slog.String("ref", p.ref))
			j.o.drop = append(j.o.drop, p.ref)
		}
	}
	if len(valid) == 0 {
		return
	}
	chat, err := e.st.Chat(ctx, j.c.chat)
	switch {
	case errors.Is(err, news.ErrNotFound):
		if valid = keepNotices(j, valid); len(valid) == 0 {
			return
		}
		chat = news.Chat{ID: j.c.chat, Lang: noticeLang}
	case err != nil:
		j.log.Warn("Unable to read the chat; retrying later.", slog.Any("err", err))
		j.after(e.now(), e.cfg.Backoff)
		return
	case chat.Inactive:
		j.o.drop = append(j.o.drop, refs(valid)...)
		return
	}
	j.chat = chat
	if valid = skipBroadcasts(j, valid); len(valid) == 0 {
		return
	}
	if first := valid[0]; first.item.edit {
		e.edit(ctx, j, first)
		return
	}
	if valid = e.holdQuiet(ctx, j, valid); len(valid) == 0 {
		return
	}
	m, ok := e.compose(ctx, j, valid)
	if !ok {
		return
	}
	e.sendToChat(ctx, j, m)
}

// skipBroadcasts drops the operator's broadcasts queued for a channel or
// a forum topic: a channel's readers are not the bot's users, and a group
// gets a broadcast once, in its General topic, not once per topic.
func skipBroadcasts(j *job, valid []pending) []pending {
	if !j.chat.Channel && j.chat.Topic == nil {
		return valid
	}
	var keep []pending
	for _, p := range valid {
		if p.item.broadcast != 0 {
			j.o.drop = append(j.o.drop, p.ref)
		} else {
			keep = append(keep, p)
		}
	}
	return keep
}

// keepNotices returns the notices queued for a chat the store does not
// know, and drops the rest: news goes only to known chats, notices go to
// any (an admin's chat, after the store lost data).
func keepNotices(j *job, valid []pending) []pending {
	var notices, other []pending
	for _, p := range valid {
		if p.item.notice != 0 {
			notices = append(notices, p)
		} else {
			other = append(other, p)
		}
	}
	if len(other) > 0 {
		j.log.Info("Dropping news for an unknown chat.", slog.Int("items", len(other)))
		j.o.drop = append(j.o.drop, refs(other)...)
	}
	return notices
}

// compose picks the items of the next message and renders it. Broadcasts
// and notices go one per message; articles of one edition are coalesced,
// breaking first, then oldest first. Items left out stay queued for the
// next turn.
func (e *Engine) compose(ctx context.Context, j *job, valid []pending) (telegram.Message, bool) {
	first := valid[0]
	if !first.item.article() {
		return e.composeText(ctx, j, first)
	}
	ed := first.item.edition
	var batch []pending
	var arts []*news.Article
	for _, p := range valid {
		if !p.item.article() || p.item.edition != ed {
			continue
		}
		if len(batch) == maxDigest {
			break
		}
		a, err := e.article(ctx, p.item)
		if errors.Is(err, news.ErrNotFound) {
			j.log.Warn("Dropping an article that is no longer stored.", slog.String("item", p.ref))
			j.o.drop = append(j.o.drop, p.ref)
			continue
		}
		if err != nil {
			j.log.Warn("Unable to read an article; retrying later.", slog.String("item", p.ref), slog.Any("err", err))
			j.after(e.now(), e.cfg.Backoff)
			return telegram.Message{}, false
		}
		batch = append(batch, p)
		arts = append(arts, a)
	}
	if len(batch) == 0 {
		return telegram.Message{}, false
	}
	n := fitDigest(arts)
	for {
		j.batch = batch[:n]
		m := e.render(arts[:n], ed, j.batch, j.chat)
		if n == 1 || telegram.Units(m.Text) <= telegram.MaxTextUnits {
			return m, true
		}
		n /= 2
	}
}

// composeText renders a broadcast (in the chat's language, Ukrainian when
// it has none) or a notice (already rendered) as one message.
func (e *Engine) composeText(ctx context.Context, j *job, p pending) (telegram.Message, bool) {
	n := max(p.item.broadcast, p.item.notice)
	text, err := e.broadcastText(ctx, n)
	if errors.Is(err, news.ErrNotFound) {
		j.o.drop = append(j.o.drop, p.ref)
		return telegram.Message{}, false
	}
	if err != nil {
		j.log.Warn("Unable to read a broadcast; retrying later.", slog.String("item", p.ref), slog.Any("err", err))
		j.after(e.now(), e.cfg.Backoff)
		return telegram.Message{}, false
	}
	j.batch = []pending{p}
	if p.item.notice != 0 {
		return telegram.Message{Text: text, ParseMode: "HTML", DisablePreview: true}, true
	}
	lang := j.chat.Lang
	if !lang.Valid() {
		lang = news.Ukrainian
	}
	return e.r.Announcement(text, lang), true
}

// render renders articles as one message.
func (e *Engine) render(arts []*news.Article, ed news.Lang, batch []pending, chat news.Chat) telegram.Message {
	breaking := batch[0].prio == prioBreaking
	var m telegram.Message
	if cr, ok := e.r.(ChatRenderer); ok && len(arts) == 1 {
		m = cr.ArticleFor(arts[0], ed, breaking, chat)
	} else if len(arts) == 1 {
		m = e.r.Article(arts[0], ed, breaking)
	} else {
		m = e.r.Digest(arts, ed, breaking)
	}
	m.Silent = !breaking
	return m
}

// fitDigest returns how many of the articles fit in one digest, estimating
// each line as its headline (capped as renderers cap it), its link and some
// markup.
func fitDigest(arts []*news.Article) int {
	total := 200 // header
	for i, a := range arts {
		total += min(telegram.Units(a.Headline), 300) + telegram.Units(a.URL) + 40
		if total > digestBudget {
			return max(i, 1)
		}
	}
	return len(arts)
}

func refs(ps []pending) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ref
	}
	return out
}

// sendAndHandle takes a global slot, sends m and records the result in
// j.o. depth counts the resends made for this message (plain text, shorter
// digest).
func (e *Engine) sendAndHandle(ctx context.Context, j *job, m telegram.Message, depth int) {
	// The slot is the shared spacing of starts; the guard then keeps this
	// process's arrivals within a strict server's sliding second. Paid
	// sends are outside the free sliding second.
	s, ge, err := e.admit(j.parent, e.cfg.Lease/4)
	if err != nil {
		// Nothing was sent: the items wait, no attempt is counted.
		var p queue.PausedError
		switch {
		case errors.As(err, &p):
			j.after(e.now(), p.For)
		case j.parent.Err() == nil:
			j.log.Warn("Unable to reserve a send slot; the message waits.", slog.Any("err", err))
			j.after(e.now(), e.cfg.Backoff)
		}
		return
	}
	m.PaidBroadcast = s.Paid
	start := e.now()
	j.sentAt = start
	msgID, err := e.send.Send(ctx, m)
	d := e.now().Sub(start)
	e.answered(ctx, ge, start, !s.Paid, err)
	e.noteSendTime(d)
	// The chat's next message waits for the per-chat interval from this
	// request, whatever its outcome.
	j.after(start, e.interval(j.c.chat))
	if err == nil {
		e.recordMessage(ctx, j, msgID, m)
		e.delivered(ctx, j)
		return
	}
	e.handleFailure(ctx, j, m, err, depth)
}

// interval is the per-chat spacing of a chat: private chats and groups
// differ.
func (e *Engine) interval(chat int64) time.Duration {
	if news.IsGroupID(chat) {
		return e.groupIv
	}
	return e.privIv
}

// delivered records a successful send.
func (e *Engine) delivered(ctx context.Context, j *job) {
	j.o.sent = append(j.o.sent, refs(j.batch)...)
	j.o.messages++
	now := e.now()
	for _, p := range j.batch {
		if !p.item.article() {
			continue
		}
		pub := time.Duration(-1)
		if a, ok := e.cache.get(p.item, now); ok && !a.Published.IsZero() && !a.Published.After(now) {
			pub = now.Sub(a.Published)
		}
		e.cfg.Observer.Delivered(now.Sub(p.enqueued), pub)
	}
	if j.chat.Strikes > 0 {
		_, err := e.st.UpdateChat(ctx, j.c.chat, func(c *news.Chat, created bool) error {
			if created {
				return errChatGone
			}
			c.Strikes = 0
			return nil
		})
		if err != nil && !errors.Is(err, errChatGone) {
			j.log.Warn("Unable to clear the chat's strikes.", slog.Any("err", err))
		}
	}
}

// errChatGone aborts an UpdateChat on a chat that no longer exists.
var errChatGone = errors.New("delivery: chat no longer exists")

// handleFailure decides, by telegram.Kind and in this one place, what a
// failed send leads to.
func (e *Engine) handleFailure(ctx context.Context, j *job, m telegram.Message, err error, depth int) {
	var te *telegram.Error
	if !errors.As(err, &te) {
		te = &telegram.Error{Kind: telegram.Unknown, Description: err.Error()}
	}
	log := j.log.With(slog.String("kind", te.Kind.String()), slog.Any("err", err))
	switch te.Kind {
	case telegram.Flood:
		// The pause is shared already (answered): a sender about to
		// start must learn of it before anything else is done.
		d := max(te.RetryAfter, time.Second)
		log.Warn("Telegram asked to slow down; every sender pauses.", slog.Duration("retry_after", d))
		j.after(e.now(), d) // the items wait; no attempt is counted

	case telegram.Migrated:
		if te.MigrateTo == 0 || te.MigrateTo == j.c.chat {
			e.deadLetter(j, te.Kind.String(), err.Error(), j.batch)
			return
		}
		e.migrate(ctx, j, te.MigrateTo, log)

	case telegram.BadMarkup:
		if depth > 0 || m.ParseMode == "" {
			log.Error("Telegram rejected a plain-text message's entities; giving up on it.")
			e.deadLetter(j, te.Kind.String(), err.Error(), j.batch)
			return
		}
		log.Warn("Telegram could not parse the message's markup; resending it as plain text.")
		plain := e.r.Plain(m)
		plain.ChatID, plain.ThreadID, plain.Silent = m.ChatID, m.ThreadID, m.Silent
		e.sendAndHandle(ctx, j, plain, depth+1)

	case telegram.TooLong:
		e.shorten(ctx, j, m, te, err, depth, log)

	case telegram.Blocked, telegram.ChatNotFound, telegram.TopicClosed:
		// TopicClosed comes only for a topic: the topic is struck, not
		// its group.
		e.strike(ctx, j, te, err, log)

	case telegram.Unauthorized:
		log.Error("Telegram rejected the bot token; every sender pauses.", slog.Duration("pause", unauthorizedPause))
		if perr := e.lim.Pause(ctx, unauthorizedPause); perr != nil {
			log.Error("Unable to share the pause.", slog.Any("pause_error", perr))
		}
		j.after(e.now(), unauthorizedPause)

	case telegram.NetworkAmbiguous:
		j.o.ambiguous++
		if e.cfg.AtMostOnce {
			log.Warn("The answer to a send was lost; counting it as delivered (at most once).")
			e.delivered(ctx, j)
			return
		}
		log.Warn("The answer to a send was lost; sending again (at least once).")
		e.retry(j, te.Kind, err, log)

	case telegram.BadRequest, telegram.NotModified:
		log.Error("Telegram refused a message; giving up on it.")
		e.deadLetter(j, te.Kind.String(), err.Error(), j.batch)

	default: // Server, NetworkBeforeSend, Conflict, Unknown
		e.retry(j, te.Kind, err, log)
	}
}

// shorten resends a digest Telegram found too long with half its
// articles; a single article (or a third try) is dead-lettered.
func (e *Engine) shorten(ctx context.Context, j *job, m telegram.Message, te *telegram.Error, err error, depth int, log *slog.Logger) {
	if len(j.batch) <= 1 || depth > 2 {
		log.Error("A message was too long for Telegram; giving up on it.", slog.Int("units", telegram.Units(m.Text)))
		e.deadLetter(j, te.Kind.String(), err.Error(), j.batch)
		return
	}
	half := j.batch[:len(j.batch)/2]
	arts := make([]*news.Article, 0, len(half))
	for _, p := range half {
		a, aerr := e.article(ctx, p.item)
		if aerr != nil {
			e.retry(j, te.Kind, err, log)
			return
		}
		arts = append(arts, a)
	}
	log.Warn("A digest was too long for Telegram; sending fewer articles.", slog.Int("articles", len(half)))
	j.batch = half
	short := e.render(arts, half[0].item.edition, half, j.chat)
	short.ChatID, short.ThreadID = m.ChatID, m.ThreadID
	e.sendAndHandle(ctx, j, short, depth+1)
}

// retry schedules the batch for another attempt, or dead-letters the items
// that have had MaxAttempts.
func (e *Engine) retry(j *job, k telegram.Kind, err error, log *slog.Logger) {
	var again, dead []pending
	attempts := 0
	for _, p := range j.batch {
		attempts = max(attempts, p.attempts+1)
		if p.attempts+1 >= e.cfg.MaxAttempts {
			dead = append(dead, p)
		} else {
			again = append(again, p)
		}
	}
	if len(dead) > 0 {
		e.deadLetter(j, k.String(), err.Error(), dead)
	}
	if len(again) > 0 {
		j.o.retry = append(j.o.retry, refs(again)...)
		b := e.backoff(attempts)
		j.after(e.now(), b)
		log.Info("Send failed; retrying later.", slog.Int("attempt", attempts), slog.Duration("backoff", b))
	}
}

// backoff is the delay before attempt n+1: Backoff·2^(n−1), capped at 32×,
// with ±20% jitter so that retries of a burst spread out.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.Backoff << min(max(n-1, 0), 5)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) * 2
	return d - d/5 + jitter
}

// deadLetter gives up on items.
func (e *Engine) deadLetter(j *job, kind, errText string, ps []pending) {
	if len(ps) == 0 {
		return
	}
	dl := &DeadLetter{ChatID: j.c.chat, Kind: kind, Error: errText, At: e.now().UTC()}
	for _, p := range ps {
		dl.Items = append(dl.Items, p.item.public())
		dl.Attempts = max(dl.Attempts, p.attempts+1)
		j.o.dead = append(j.o.dead, p.ref)
	}
	j.o.deadLetter = dl
	j.log.Error("A message goes to the dead letters.", slog.String("kind", kind), slog.String("err", errText),
		slog.Int("items", len(ps)), slog.Int("attempts", dl.Attempts))
	e.cfg.Observer.DeadLettered()
}

// strike counts a 403 (or "chat not found") against the chat; at
// StrikeLimit the chat becomes inactive and everything queued for it is
// dropped. Below the limit the message is retried: a 403 can be transient.
func (e *Engine) strike(ctx context.Context, j *job, te *telegram.Error, err error, log *slog.Logger) {
	c, uerr := e.st.UpdateChat(ctx, j.c.chat, func(c *news.Chat, created bool) error {
		if created {
			return errChatGone
		}
		c.Strikes++
		if c.Strikes >= e.cfg.StrikeLimit {
			c.Inactive = true
		}
		return nil
	})
	switch {
	case errors.Is(uerr, errChatGone):
		j.o.drop = append(j.o.drop, refs(j.c.items)...)
		return
	case uerr != nil:
		log.Warn("Unable to count a strike against the chat.", slog.Any("update_error", uerr))
		e.retry(j, te.Kind, err, log)
		return
	case c.Inactive:
		log.Info("The chat is now inactive after repeated refusals; its queued news is dropped.", slog.Int("strikes", c.Strikes))
		j.o.drop = append(j.o.drop, refs(j.c.items)...)
		return
	}
	log.Info("The chat refused a message; counted a strike.", slog.Int("strikes", c.Strikes))
	e.retry(j, te.Kind, err, log)
}

// migrate moves a group that became a supergroup: its settings (in the
// store) and its queue (here); the new ID is then due at once.
func (e *Engine) migrate(ctx context.Context, j *job, to int64, log *slog.Logger) {
	err := e.st.MigrateChat(ctx, j.c.chat, to)
	if err != nil && !errors.Is(err, news.ErrNotFound) {
		log.Warn("Unable to migrate the chat's settings; retrying later.", slog.Int64("new_chat_id", to), slog.Any("migrate_error", err))
		e.retry(j, telegram.Migrated, err, log)
		return
	}
	// Everything still pending moves, entries dropped this turn included:
	// they are dropped again on the new ID's turn.
	if qerr := e.q.Migrate(ctx, e.now(), j.c.raw, to); qerr != nil {
		log.Warn("Unable to move the chat's queue; retrying later.", slog.Any("migrate_error", qerr))
		e.retry(j, telegram.Migrated, err, log)
		return
	}
	log.Info("The group became a supergroup; its news moves to the new ID.", slog.Int64("new_chat_id", to))
	j.o = outcome{released: true}
	e.wake()
}
