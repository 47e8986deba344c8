package bot

import (
	"context"
	"sync"
	"time"

	"newsbot/internal/telegram"
)

// Flood control: a chat that sends more than floodLimit messages within
// floodWindow gets one "slow down" reply and its excess is dropped, so that
// it cannot hold the other readers up.
const (
	floodLimit  = 20
	floodWindow = 10 * time.Second
	// sweepEvery is how many submitted updates pass between two sweeps of
	// idle chats out of the dispatcher's map.
	sweepEvery = 256
)

// dispatcher hands updates to one goroutine per chat with work: chats are
// handled concurrently (at most Workers at once), each chat's updates in
// the order they came. The poll loop never waits for a chat to finish.
type dispatcher struct {
	b     *Bot
	slots chan struct{} // one per update being handled
	wg    sync.WaitGroup

	mu      sync.Mutex
	lanes   map[int64]*lane
	pending map[int]struct{} // IDs of updates not yet handled
	submits int
}

// lane is one chat's queue and flood window.
type lane struct {
	queue   []job
	running bool
	recent  []time.Time // messages accepted within floodWindow
	warned  bool        // the chat was told to slow down during this flood
}

// job is an update to handle, or the "slow down" reply owed to a chat.
type job struct {
	u        telegram.Update
	slowDown bool
}

func newDispatcher(b *Bot) *dispatcher {
	return &dispatcher{b: b, slots: make(chan struct{}, b.cfg.Workers),
		lanes: make(map[int64]*lane), pending: make(map[int]struct{})}
}

// submit queues u on its chat's lane, or drops it when the chat floods.
// Handling goes on after ctx ends (see Bot.Poll); each update gets
// handleTimeout.
func (d *dispatcher) submit(ctx context.Context, u telegram.Update) {
	chat := chatOf(u)
	now := d.b.cfg.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.submits++
	if d.submits%sweepEvery == 0 {
		d.sweepLocked(now)
	}
	l := d.lanes[chat]
	if l == nil {
		l = &lane{}
		d.lanes[chat] = l
	}
	j := job{u: u}
	if u.Message != nil && chat != 0 {
		l.trim(now)
		if len(l.recent) >= floodLimit {
			if l.warned {
				d.b.log.Debug("A flooding chat's message was dropped.", "chat_id", chat, "update_id", u.UpdateID)
				return
			}
			l.warned, j.slowDown = true, true
			d.b.log.Warn("A chat sends too many messages; it is asked to slow down and its excess is dropped.", "chat_id", chat)
		} else {
			l.recent = append(l.recent, now)
		}
	}
	if j.slowDown {
		// The notice goes before the chat's queued replies: it explains
		// why the next ones will be missing.
		l.queue = append([]job{j}, l.queue...)
	} else {
		l.queue = append(l.queue, j)
	}
	d.pending[u.UpdateID] = struct{}{}
	if !l.running {
		l.running = true
		d.wg.Add(1)
		go d.run(context.WithoutCancel(ctx), l)
	}
}

// trim forgets the messages older than floodWindow; a flood is over when
// none is left.
func (l *lane) trim(now time.Time) {
	cut := 0
	for cut < len(l.recent) && now.Sub(l.recent[cut]) >= floodWindow {
		cut++
	}
	l.recent = l.recent[cut:]
	if len(l.recent) == 0 {
		l.warned = false
	}
}

// sweepLocked drops idle lanes whose flood window is empty.
func (d *dispatcher) sweepLocked(now time.Time) {
	for id, l := range d.lanes {
		if l.trim(now); !l.running && len(l.recent) == 0 {
			delete(d.lanes, id)
		}
	}
}

// run handles a lane's jobs until its queue is empty.
func (d *dispatcher) run(ctx context.Context, l *lane) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			d.mu.Unlock()
			return
		}
		j := l.queue[0]
		l.queue = l.queue[1:]
		d.mu.Unlock()

		d.slots <- struct{}{}
		hctx, cancel := context.WithTimeout(ctx, handleTimeout)
		if j.slowDown {
			d.b.slowDown(hctx, j.u)
		} else {
			d.b.HandleUpdate(hctx, j.u)
		}
		cancel()
		<-d.slots

		d.mu.Lock()
		delete(d.pending, j.u.UpdateID)
		d.mu.Unlock()
	}
}

// safeOffset is the update offset to store: the first update not yet
// handled, or next when every update was.
func (d *dispatcher) safeOffset(next int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.pending {
		next = min(next, id)
	}
	return next
}

// wait blocks until every submitted update is handled, or ctx ends.
func (d *dispatcher) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// slowDown tells a flooding chat, once, that its messages are dropped.
func (b *Bot) slowDown(ctx context.Context, u telegram.Update) {
	m := u.Message
	r, err := b.load(ctx, m.Chat, m.From)
	if err != nil {
		b.log.Error("Unable to load a flooding chat.", "chat_id", m.Chat.ID, "err", err)
		return
	}
	if err := b.replyKey(ctx, r.chatID, r.lang, "flood.slow_down"); err != nil && ctx.Err() == nil {
		b.log.Error("Unable to ask a flooding chat to slow down.", "chat_id", r.chatID, "err", err)
	}
}

// pushLanes is the dispatcher of the updates Telegram pushes (webhook
// mode), made at the first one.
type pushLanes struct {
	once sync.Once
	d    *dispatcher
}

func (b *Bot) pushDispatcher() *dispatcher {
	b.pushed.once.Do(func() { b.pushed.d = newDispatcher(b) })
	return b.pushed.d
}

// Dispatch hands an update received by webhook to the same per-chat
// dispatcher and flood control as Poll's and returns at once: updates are
// handled concurrently across chats and in order within one, and a chat
// that floods gets one "slow down" and its excess is dropped. Handling
// goes on after ctx ends, each update within handleTimeout; see
// WaitDispatched.
func (b *Bot) Dispatch(ctx context.Context, u telegram.Update) {
	b.pushDispatcher().submit(ctx, u)
}

// WaitDispatched blocks until every update given to Dispatch is handled,
// or ctx ends.
func (b *Bot) WaitDispatched(ctx context.Context) {
	b.pushDispatcher().wait(ctx)
}
