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
	pending map[int]telegram.Update // updates not yet handled, by ID
	submits int

	// Offset bookkeeping of Bot.Poll (see park.go).
	idle   chan struct{}    // closed while pending is empty
	known  map[int]struct{} // IDs polled and not yet confirmed: in hand or handled
	parked map[int]struct{} // IDs of pending updates parked in Redis
	claims *claimer         // nil: no claims across replicas
	stop   <-chan struct{}  // closed when Poll stops: a wait for another's claim ends
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
	idle := make(chan struct{})
	close(idle)
	return &dispatcher{b: b, slots: make(chan struct{}, b.cfg.Workers),
		lanes: make(map[int64]*lane), pending: make(map[int]telegram.Update),
		idle: idle, known: make(map[int]struct{}), parked: make(map[int]struct{})}
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
	d.holdLocked(u)
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

		switch d.claim(ctx, j.u.UpdateID) {
		case skipIt:
			d.release(ctx, j.u.UpdateID)
			continue
		case leaveIt:
			d.leave(l)
			return
		}
		d.slots <- struct{}{}
		hctx, cancel := context.WithTimeout(ctx, handleTimeout)
		if j.slowDown {
			d.b.slowDown(hctx, j.u)
		} else {
			d.b.HandleUpdate(hctx, j.u)
		}
		if d.claims != nil {
			d.claims.finish(hctx, j.u.UpdateID)
		}
		cancel()
		<-d.slots
		d.release(ctx, j.u.UpdateID)
	}
}

// claim asks the claims across replicas, if any, whether to handle update
// id.
func (d *dispatcher) claim(ctx context.Context, id int) verdict {
	if d.claims == nil {
		return handleIt
	}
	return d.claims.acquire(ctx, d.stop, id)
}

// holdLocked records update u as in hand.
func (d *dispatcher) holdLocked(u telegram.Update) {
	if len(d.pending) == 0 {
		d.idle = make(chan struct{})
	}
	d.pending[u.UpdateID] = u
}

// release records update id as handled, and forgets it in Redis if it was
// parked there.
func (d *dispatcher) release(ctx context.Context, id int) {
	d.mu.Lock()
	if _, held := d.pending[id]; held {
		delete(d.pending, id)
		if len(d.pending) == 0 {
			close(d.idle)
		}
	}
	_, parked := d.parked[id]
	delete(d.parked, id)
	d.mu.Unlock()
	if parked {
		d.b.unpark(ctx, id)
	}
}

// leave stops a lane whose next update another replica holds as Poll
// stops: that update and the ones queued after it stay pending, unhandled,
// so the stored offset stays before them.
func (d *dispatcher) leave(l *lane) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l.running = false
}

// safeOffset is the update offset to confirm and store: the first update
// neither handled nor parked in Redis, or next when there is none.
func (d *dispatcher) safeOffset(next int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.pending {
		if _, parked := d.parked[id]; !parked {
			next = min(next, id)
		}
	}
	return next
}

// fresh reports whether update id is new to this Poll, and records it: a
// poll from a held-back offset returns again the updates after it, in hand
// or handled.
func (d *dispatcher) fresh(id int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.known[id]; ok {
		return false
	}
	d.known[id] = struct{}{}
	return true
}

// forget drops the IDs below offset, which Telegram no longer returns.
func (d *dispatcher) forget(offset int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.known {
		if id < offset {
			delete(d.known, id)
		}
	}
}

// waitIdle blocks until every update in hand is handled, at most for
// most, or until ctx ends.
func (d *dispatcher) waitIdle(ctx context.Context, most time.Duration) {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	t := time.NewTimer(most)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
	}
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
